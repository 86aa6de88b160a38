/**
 * From raw layer maps to the pictures users look at: ReLU, bilinear upsampling to the input, min-max
 * normalisation per image, and the average over several layers.
 * @module
 */
import { Tensor } from '../tensor';
import { relu, sub, div, add } from '../ops/elementwise';
import { max, min } from '../ops/reduce';
import { interpolate } from '../ops/resample';
import { stack } from '../ops/indexing';

// The extreme of each image of [N, ...], shaped [N, 1, ...] to broadcast back.
function perImage(m: Tensor, f: typeof max): Tensor {
  const n = m.shape[0];
  return f(m.reshape([n, -1]), 1).reshape([n, ...m.shape.slice(1).map(() => 1)]);
}

/** Any [N, ...] in [0, 1]: per image (m − min) / (max − min), zero where the map is flat. */
export function normalizePerImage(m: Tensor): Tensor {
  const lo = perImage(m, min);
  const range = sub(perImage(m, max), lo);
  return div(sub(m, lo), add(range, 1e-7));
}

/** [N, h, w] → [N, H, W], bilinear (pixel areas, as `F.interpolate(align_corners=False)`). */
export function upsampleTo(m: Tensor, size: readonly [number, number]): Tensor {
  const [n, h, w] = m.shape;
  if (h === size[0] && w === size[1]) return m;
  return interpolate(m.reshape([n, 1, h, w]), { size: [size[0], size[1]], mode: 'bilinear' }).reshape([n, size[0], size[1]]);
}

/**
 * The final maps from each layer's raw map (already after the ReLU): each upsampled to the input and
 * normalised, then their average normalised again.
 */
export function finalMaps(raws: readonly Tensor[], size: readonly [number, number]): Tensor {
  const per = raws.map((r) => normalizePerImage(upsampleTo(relu(r), size)));
  if (per.length === 1) return per[0];
  return normalizePerImage(stack(per, 0).mean(0));
}

/**
 * Heatmaps over the images they explain: the map coloured and alpha-blended onto the image, which is
 * how class activation maps are usually shown.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { tidy } from '../memory';
import { checkNumber, checkTensor } from '../ops/util';
import { toImageGrid, writePngSync } from '../io/image';
import { applyColormap, knotsOf, type ColormapName } from './colormap';
import { upsampleTo } from './postprocess';

/** Options of {@link overlay}. */
export interface OverlayOptions {
  /** The colour map of the heatmap. Default `'jet'`, the usual choice in the CAM papers. */
  colormap?: ColormapName;
  /** Weight of the heatmap in the blend, in [0, 1]: 0 shows the image only, 1 the heatmap only. Default 0.5. */
  alpha?: number;
  /** Also write the result as a PNG here (synchronously): one image, or for a batch a grid of 8 per row. */
  path?: string;
}

/**
 * Blends a coloured map onto an image: `(1 − alpha)·image + alpha·colour(map)`.
 *
 * `image` is a float32 [C, H, W] image or [N, C, H, W] batch in [0, 1] with C = 1 (gray, repeated into
 * RGB) or 3; `map` is [H, W] (or [1, H, W]) for one image, [N, H, W] for a batch (an [H, W] map is
 * shared by the whole batch), values in [0, 1] as in {@link Explanation}'s `maps`. A map of another size
 * (a raw layer map, say) is resized to the image bilinearly. Resolves nothing: the result, a float32 RGB
 * [3, H, W] (or [N, 3, H, W]) tensor, is returned at once; with `path` the PNG is written before returning.
 * @example
 * const { maps } = await explain.gradCam(model, images);
 * explain.overlay(images, maps, { colormap: 'jet', alpha: 0.4, path: 'gradcam.png' });
 */
export function overlay(image: Tensor, map: Tensor, options: OverlayOptions = {}): Tensor {
  const op = 'overlay';
  const x = checkTensor(op, 'image', image);
  const m = checkTensor(op, 'map', map);
  if (x.dtype !== 'float32' || (x.ndim !== 3 && x.ndim !== 4)) {
    throw new TypeError(`${op}: argument 'image' must be a float32 [C, H, W] or [N, C, H, W] tensor, got ${x.dtype} ${fmtShape(x.shape)}`);
  }
  const c = x.shape[x.ndim - 3];
  if (c !== 1 && c !== 3) throw new RangeError(`${op}: argument 'image' must have 1 or 3 channels, got shape ${fmtShape(x.shape)}`);
  if (m.dtype !== 'float32' || (m.ndim !== 2 && m.ndim !== 3)) {
    throw new TypeError(`${op}: argument 'map' must be a float32 [H, W] or [N, H, W] tensor, got ${m.dtype} ${fmtShape(m.shape)}`);
  }
  const n = x.ndim === 4 ? x.shape[0] : 1;
  if (m.ndim === 3 && m.shape[0] !== n) {
    throw new RangeError(`${op}: argument 'map' ${fmtShape(m.shape)} does not match the ${n} image(s) of ${fmtShape(x.shape)}`);
  }
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object`);
  const alpha = checkNumber(op, 'alpha', options.alpha ?? 0.5, { min: 0, max: 1 });
  const name = options.colormap ?? 'jet';
  knotsOf(op, name);
  if (options.path !== undefined && typeof options.path !== 'string') throw new TypeError(`${op}: 'path' must be a string, got ${typeof options.path}`);
  return tidy(() => {
    const [h, w] = x.shape.slice(-2);
    const maps = upsampleTo(m.ndim === 2 ? m.reshape([1, ...m.shape]) : m, [h, w]);
    const images = x.ndim === 3 ? x.reshape([1, ...x.shape]) : x;
    // A gray image [N, 1, H, W] broadcasts against the colours [N, 3, H, W] (the RGB expansion), and a
    // shared map's colours [1, 3, H, W] against the batch.
    const blended = images.mul(1 - alpha).add(applyColormap(maps, name).mul(alpha));
    const out = x.ndim === 3 ? blended.reshape([3, h, w]) : blended;
    if (options.path !== undefined) writePngSync(options.path, out.ndim === 4 && n > 1 ? toImageGrid(out) : out.reshape([3, h, w]));
    return out;
  });
}

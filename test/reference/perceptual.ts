/**
 * Float64 references of Johnson et al.'s perceptual losses (ECCV 2016), from the definitions: the Gram
 * matrix G_cc' = Σ_hw φ_chw φ_c'hw / (C·H·W), the style loss ‖G(x) − G(y)‖²_F and the feature
 * reconstruction loss ‖φ(x) − φ(y)‖² / (C·H·W), each averaged over the batch.
 */
import { Nd } from './nd';

/** Gram matrices [N, C, C] of features [N, C, H, W]. */
export function gram(f: Nd): Nd {
  const [n, c, h, w] = f.shape;
  const hw = h * w;
  const out = Nd.zeros([n, c, c]);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < c; i++) {
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let k = 0; k < hw; k++) s += f.data[(b * c + i) * hw + k] * f.data[(b * c + j) * hw + k];
        out.data[(b * c + i) * c + j] = s / (c * hw);
      }
    }
  }
  return out;
}

/** Mean over the batch of ‖G(fx_n) − G(fy_m)‖²_F, where m = n or 0 when `fy` holds one image. */
export function styleLoss(fx: Nd, fy: Nd): number {
  const gx = gram(fx);
  const gy = gram(fy);
  const [n, c] = gx.shape;
  let s = 0;
  for (let b = 0; b < n; b++) {
    const by = fy.shape[0] === 1 ? 0 : b;
    for (let k = 0; k < c * c; k++) s += (gx.data[b * c * c + k] - gy.data[by * c * c + k]) ** 2;
  }
  return s / n;
}

/** Mean over the batch of ‖fx_n − fy_m‖² / (C·H·W) (m as in {@link styleLoss}). */
export function contentLoss(fx: Nd, fy: Nd): number {
  const n = fx.shape[0];
  const per = fx.size / n;
  let s = 0;
  for (let b = 0; b < n; b++) {
    const by = fy.shape[0] === 1 ? 0 : b;
    for (let k = 0; k < per; k++) s += (fx.data[b * per + k] - fy.data[by * per + k]) ** 2;
  }
  return s / (n * per);
}

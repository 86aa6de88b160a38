/**
 * Float64 references of the binary-network ops, from the XNOR-Net paper's definitions: sign with x ≥ 0 →
 * +1, α = mean |W| per filter, K = (mean over channels of |I|) convolved with a 1/(kh·kw) box, and the
 * binary convolution as the float convolution of the ±1 tensors.
 */
import { Nd } from './nd';
import { ConvRefOptions, conv2d } from './conv';

/** +1 where x ≥ 0, −1 elsewhere. */
export function sign(x: Nd): Nd {
  return Nd.from(Array.from(x.data, (v) => (v >= 0 ? 1 : -1)), x.shape);
}

/** α: mean |w| over every axis but the first → [O]. */
export function filterScale(w: Nd): Nd {
  const o = w.shape[0];
  const per = w.size / o;
  const out = Nd.zeros([o]);
  for (let i = 0; i < o; i++) {
    let s = 0;
    for (let j = 0; j < per; j++) s += Math.abs(w.data[i * per + j]);
    out.data[i] = s / per;
  }
  return out;
}

/** K: x [N, C, H, W] → [N, 1, OH, OW]. */
export function xnorScale(x: Nd, k: [number, number], o: ConvRefOptions = {}): Nd {
  const [n, c, h, w] = x.shape;
  const a = Nd.zeros([n, 1, h, w]);
  for (let b = 0; b < n; b++)
    for (let p = 0; p < h * w; p++) {
      let s = 0;
      for (let ch = 0; ch < c; ch++) s += Math.abs(x.data[(b * c + ch) * h * w + p]);
      a.data[b * h * w + p] = s / c;
    }
  const box = Nd.from(new Array(k[0] * k[1]).fill(1 / (k[0] * k[1])), [1, 1, k[0], k[1]]);
  return conv2d(a, box, null, o);
}

/** conv2d(sign x, sign w) · α[o] · K[n, 0, i, j] (α, K optional). */
export function binaryConv2d(x: Nd, w: Nd, o: ConvRefOptions, alpha: Nd | null, scale: Nd | null): Nd {
  const y = conv2d(sign(x), sign(w), null, o);
  const [, co, oh, ow] = y.shape;
  for (let i = 0; i < y.size; i++) {
    const b = Math.floor(i / (co * oh * ow));
    const f = Math.floor(i / (oh * ow)) % co;
    const p = i % (oh * ow);
    y.data[i] *= (alpha ? alpha.data[f] : 1) * (scale ? scale.data[b * oh * ow + p] : 1);
  }
  return y;
}

/** a [M, K], b [N, K] → Σ_k sign(a[i, k])·sign(b[j, k]) · α[j] · s[i]. */
export function binaryMatmul(a: Nd, b: Nd, alpha: Nd | null, scale: Nd | null): Nd {
  const [m, k] = a.shape;
  const n = b.shape[0];
  const out = Nd.zeros([m, n]);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += (a.data[i * k + q] >= 0 ? 1 : -1) * (b.data[j * k + q] >= 0 ? 1 : -1);
      out.data[i * n + j] = s * (alpha ? alpha.data[j] : 1) * (scale ? scale.data[i] : 1);
    }
  return out;
}

/**
 * Float64 references of the image priors of feature inversion (Mahendran & Vedaldi 2015), straight from
 * the definitions: the α-norm Σ|x|^α, the total variation Σ((x_{i,j+1} − x_ij)² + (x_{i+1,j} − x_ij)²)^{β/2}
 * with a zero difference past the last row and column, and the circular shift of the last two axes.
 */
import { Nd } from './nd';

/** Σ |x|^α, a scalar. */
export function alphaNorm(x: Nd, alpha: number): Nd {
  let s = 0;
  for (let i = 0; i < x.size; i++) s += Math.abs(x.data[i]) ** alpha;
  return Nd.from([s], []);
}

/** The total variation over the last two axes, every leading index summed, a scalar. */
export function totalVariation(x: Nd, beta: number): Nd {
  const h = x.shape[x.ndim - 2];
  const w = x.shape[x.ndim - 1];
  const planes = x.size / (h * w);
  let s = 0;
  for (let p = 0; p < planes; p++) {
    const at = (i: number, j: number) => x.data[p * h * w + i * w + j];
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const dw = j + 1 < w ? at(i, j + 1) - at(i, j) : 0;
        const dh = i + 1 < h ? at(i + 1, j) - at(i, j) : 0;
        s += (dw * dw + dh * dh) ** (beta / 2);
      }
    }
  }
  return Nd.from([s], []);
}

/** out[..., (i + dy) mod H, (j + dx) mod W] = x[..., i, j]. */
export function roll(x: Nd, dy: number, dx: number): Nd {
  const h = x.shape[x.ndim - 2];
  const w = x.shape[x.ndim - 1];
  const out = Nd.zeros(x.shape);
  const mod = (a: number, n: number) => ((a % n) + n) % n;
  for (let p = 0; p < x.size / (h * w); p++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) out.data[p * h * w + mod(i + dy, h) * w + mod(j + dx, w)] = x.data[p * h * w + i * w + j];
    }
  }
  return out;
}

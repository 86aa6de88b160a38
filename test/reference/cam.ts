/**
 * Float64 references of the class-activation-map formulas, written from the papers' equations over plain
 * arrays: activations A and gradients G as Nd [N, K, h, w]; every function returns the raw map [N, h, w]
 * after the final ReLU. Also the first principal component by Jacobi rotations (an algorithm independent
 * of the library's power iteration).
 */
import { Nd } from './nd';

type Weigh = (a: Nd, g: Nd, n: number, k: number) => (i: number, j: number) => number;

// Σ_k weight(k, i, j) · A_kij per image, then ReLU.
function combine(a: Nd, g: Nd, weigh: Weigh): Nd {
  const [N, K, h, w] = a.shape;
  const out = Nd.zeros([N, h, w]);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      const f = weigh(a, g, n, k);
      for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out.set([n, i, j], out.get(n, i, j) + f(i, j) * a.get(n, k, i, j));
    }
  return out.map((v) => Math.max(v, 0));
}

function spatialSum(x: Nd, n: number, k: number, f: (v: number, i: number, j: number) => number = (v) => v): number {
  const [, , h, w] = x.shape;
  let s = 0;
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) s += f(x.get(n, k, i, j), i, j);
  return s;
}

/** Grad-CAM: α_k = mean_ij G. */
export const gradCam = (a: Nd, g: Nd): Nd =>
  combine(a, g, (_a, gg, n, k) => {
    const alpha = spatialSum(gg, n, k) / (gg.shape[2] * gg.shape[3]);
    return () => alpha;
  });

/** Grad-CAM++: α_kij = G²/(2G² + Σ_ab A_kab G³) (0 where G = 0), w_k = Σ_ij α_kij ReLU(G_kij). */
export const gradCamPlusPlus = (a: Nd, g: Nd): Nd =>
  combine(a, g, (aa, gg, n, k) => {
    const sumA = spatialSum(aa, n, k);
    const wk = spatialSum(gg, n, k, (v) => (v === 0 ? 0 : ((v * v) / (2 * v * v + sumA * v * v * v + 1e-7)) * Math.max(v, 0)));
    return () => wk;
  });

/** XGrad-CAM: w_k = Σ G·A / (Σ A + ε). */
export const xGradCam = (a: Nd, g: Nd): Nd =>
  combine(a, g, (aa, gg, n, k) => {
    const wk = spatialSum(gg, n, k, (v, i, j) => v * aa.get(n, k, i, j)) / (spatialSum(aa, n, k) + 1e-7);
    return () => wk;
  });

/** HiResCAM: Σ_k G ⊙ A. */
export const hiResCam = (a: Nd, g: Nd): Nd => combine(a, g, (_a, gg, n, k) => (i, j) => gg.get(n, k, i, j));

/** LayerCAM: Σ_k ReLU(G) ⊙ A. */
export const layerCam = (a: Nd, g: Nd): Nd => combine(a, g, (_a, gg, n, k) => (i, j) => Math.max(gg.get(n, k, i, j), 0));

/** Channel weights [N, K] applied to A, then ReLU (CAM, Score-CAM, Ablation-CAM). */
export function weighted(a: Nd, weights: Nd): Nd {
  return combine(a, a, (_a, _g, n, k) => {
    const wk = weights.get(n, k);
    return () => wk;
  });
}

// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: eigenvalues and column eigenvectors.
function jacobi(m: number[][]): { values: number[]; vectors: number[][] } {
  const n = m.length;
  const a = m.map((r) => [...r]);
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < n; r++) {
          const arp = a[r][p];
          const arq = a[r][q];
          a[r][p] = c * arp - s * arq;
          a[r][q] = s * arp + c * arq;
        }
        for (let r = 0; r < n; r++) {
          const apr = a[p][r];
          const aqr = a[q][r];
          a[p][r] = c * apr - s * aqr;
          a[q][r] = s * apr + c * aqr;
        }
        for (let r = 0; r < n; r++) {
          const vrp = v[r][p];
          const vrq = v[r][q];
          v[r][p] = c * vrp - s * vrq;
          v[r][q] = s * vrp + c * vrq;
        }
      }
  }
  return { values: a.map((r, i) => r[i]), vectors: v };
}

/**
 * EigenCAM's 2-D projection: per image, the pixels as observations of the K centred channels projected on
 * the leading eigenvector of the K × K covariance; sign chosen to agree with the channel sum. Then ReLU.
 */
export function eigenProjection(a: Nd): Nd {
  const [N, K, h, w] = a.shape;
  const P = h * w;
  const out = Nd.zeros([N, h, w]);
  for (let n = 0; n < N; n++) {
    const x = Array.from({ length: K }, (_, k) => {
      const row = Array.from({ length: P }, (_, p) => a.get(n, k, Math.floor(p / w), p % w));
      const mean = row.reduce((s, v) => s + v, 0) / P;
      return row.map((v) => v - mean);
    });
    const cov = x.map((xr) => x.map((xs) => xr.reduce((s, v, p) => s + v * xs[p], 0)));
    const { values, vectors } = jacobi(cov);
    const top = values.indexOf(Math.max(...values));
    const proj = Array.from({ length: P }, (_, p) => x.reduce((s, xr, k) => s + xr[p] * vectors[k][top], 0));
    let agree = 0;
    for (let p = 0; p < P; p++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += a.get(n, k, Math.floor(p / w), p % w);
      agree += sum * proj[p];
    }
    for (let p = 0; p < P; p++) out.set([n, Math.floor(p / w), p % w], Math.max(agree < 0 ? -proj[p] : proj[p], 0));
  }
  return out;
}

/** Per-image min-max normalisation of [N, ...] with the library's ε = 1e-7 in the denominator. */
export function normalizePerImage(m: Nd): Nd {
  const N = m.shape[0];
  const per = m.size / N;
  const out = m.clone();
  for (let n = 0; n < N; n++) {
    const s = m.data.subarray(n * per, (n + 1) * per);
    const lo = Math.min(...s);
    const hi = Math.max(...s);
    for (let i = 0; i < per; i++) out.data[n * per + i] = (s[i] - lo) / (hi - lo + 1e-7);
  }
  return out;
}

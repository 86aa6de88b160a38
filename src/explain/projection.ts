/**
 * The first principal component of a layer's activations, per image (EigenCAM and `eigenSmooth`): the
 * activations [K, h, w] as h·w observations of K features, centred per feature, projected on the
 * leading right singular vector. Computed in float64 on the host from the smaller Gram matrix (h·w × h·w
 * or K × K) by power iteration; the projection's sign, arbitrary in an SVD, is chosen so that it agrees
 * with the channel sum of the activations (a positive map where the layer is active).
 * @module
 */
import { Tensor } from '../tensor';
import { tensor } from '../ops/creation';

// Leading eigenvector of a symmetric positive semi-definite n×n matrix (row-major), by power iteration
// from a fixed start, so the result is reproducible.
function leadingEigenvector(m: Float64Array, n: number): Float64Array {
  let v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 1 + i / n;
  let lambda = 0;
  for (let iter = 0; iter < 1000; iter++) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += m[i * n + j] * v[j];
      w[i] = s;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += w[i] * w[i];
    norm = Math.sqrt(norm);
    if (norm === 0) return w;
    for (let i = 0; i < n; i++) w[i] /= norm;
    v = w;
    if (Math.abs(norm - lambda) <= 1e-13 * norm) break;
    lambda = norm;
  }
  return v;
}

/** The projection of one image's activations `a` ([K, P] row-major, P = h·w pixels) on its first component. */
export function firstComponent(a: Float32Array | Float64Array, k: number, p: number): Float64Array {
  const x = new Float64Array(k * p); // centred, x[c·P + q]
  for (let c = 0; c < k; c++) {
    let mean = 0;
    for (let q = 0; q < p; q++) mean += a[c * p + q];
    mean /= p;
    for (let q = 0; q < p; q++) x[c * p + q] = a[c * p + q] - mean;
  }
  const proj = new Float64Array(p);
  if (p <= k) {
    // Gram over pixels G = X Xᵀ (X: P × K); the projection X·v₁ equals G·u₁ / σ₁ = σ₁·u₁.
    const g = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let j = i; j < p; j++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += x[c * p + i] * x[c * p + j];
        g[i * p + j] = s;
        g[j * p + i] = s;
      }
    }
    const u = leadingEigenvector(g, p);
    for (let i = 0; i < p; i++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += g[i * p + j] * u[j];
      proj[i] = s;
    }
    let uu = 0;
    for (let i = 0; i < p; i++) uu += u[i] * proj[i];
    const sigma = Math.sqrt(Math.max(uu, 0));
    for (let i = 0; i < p; i++) proj[i] = sigma > 0 ? proj[i] / sigma : 0;
  } else {
    // Covariance over channels C = Xᵀ X (K × K); the projection is X·v₁.
    const cov = new Float64Array(k * k);
    for (let c = 0; c < k; c++) {
      for (let d = c; d < k; d++) {
        let s = 0;
        for (let q = 0; q < p; q++) s += x[c * p + q] * x[d * p + q];
        cov[c * k + d] = s;
        cov[d * k + c] = s;
      }
    }
    const v = leadingEigenvector(cov, k);
    for (let c = 0; c < k; c++) for (let q = 0; q < p; q++) proj[q] += x[c * p + q] * v[c];
  }
  let agree = 0;
  for (let q = 0; q < p; q++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += a[c * p + q];
    agree += s * proj[q];
  }
  if (agree < 0) for (let q = 0; q < p; q++) proj[q] = -proj[q];
  return proj;
}

/** [N, K, h, w] → [N, h, w]: each image's projection on its first principal component. */
export async function projection2d(acts: Tensor): Promise<Tensor> {
  const [n, k, h, w] = acts.shape;
  const data = (await acts.data()) as Float32Array;
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) out.set(firstComponent(data.subarray(i * k * h * w, (i + 1) * k * h * w), k, h * w), i * h * w);
  return tensor(out, [n, h, w], { device: acts.device });
}

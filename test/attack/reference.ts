/**
 * Float64 reference of the one-step attacks on a linear softmax classifier z = W·x + b, where the loss
 * gradient has a closed form: ∂CE(z, y)/∂x = Wᵀ(softmax(z) − e_y).
 */
export function linearLossGradient(w: Float64Array, b: Float64Array, classes: number, x: Float64Array, labels: number[]): Float64Array {
  const d = w.length / classes;
  const n = labels.length;
  const g = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: classes }, (_, c) => {
      let s = b[c];
      for (let j = 0; j < d; j++) s += w[c * d + j] * x[i * d + j];
      return s;
    });
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, v) => a + v, 0);
    for (let c = 0; c < classes; c++) {
      const coef = e[c] / sum - (c === labels[i] ? 1 : 0);
      for (let j = 0; j < d; j++) g[i * d + j] += coef * w[c * d + j];
    }
  }
  return g;
}

/** clip(x + ε·sign(g)) (FGSM) or clip(x + ε·g/‖g‖₂) per image (FGM), to [lo, hi]. */
export function oneStep(x: Float64Array, g: Float64Array, n: number, eps: number, norm: 'linf' | 'l2', lo = 0, hi = 1): Float64Array {
  const d = x.length / n;
  const out = new Float64Array(x.length);
  for (let i = 0; i < n; i++) {
    let norm2 = 0;
    for (let j = 0; j < d; j++) norm2 += g[i * d + j] ** 2;
    const scale = eps / (Math.sqrt(norm2) + 1e-12);
    for (let j = 0; j < d; j++) {
      const step = norm === 'linf' ? eps * Math.sign(g[i * d + j]) : scale * g[i * d + j];
      out[i * d + j] = Math.min(Math.max(x[i * d + j] + step, lo), hi);
    }
  }
  return out;
}

/** Float64 reference of batch normalisation and local response normalisation (PyTorch semantics). */
import { Nd } from './nd';

export interface BatchNormRefOptions {
  training: boolean;
  momentum?: number;
  eps?: number;
}

export interface BatchNormRefResult {
  y: Nd;
  /** Updated running statistics (training), or the given ones (eval). */
  runningMean: number[] | null;
  runningVar: number[] | null;
}

/** Batch norm of x [N, C, ...]: per channel, over N and the trailing axes. */
export function batchNorm(
  x: Nd,
  runningMean: number[] | null,
  runningVar: number[] | null,
  weight: Nd | null,
  bias: Nd | null,
  o: BatchNormRefOptions,
): BatchNormRefResult {
  const [N, C] = x.shape;
  const S = x.size / (N * C);
  const M = N * S;
  const momentum = o.momentum ?? 0.1;
  const eps = o.eps ?? 1e-5;
  const at = (n: number, c: number, s: number) => (n * C + c) * S + s;
  const y = Nd.zeros(x.shape);
  const rm = runningMean ? [...runningMean] : null;
  const rv = runningVar ? [...runningVar] : null;
  for (let c = 0; c < C; c++) {
    let mean: number;
    let variance: number;
    if (o.training) {
      let sum = 0;
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sum += x.data[at(n, c, s)];
      mean = sum / M;
      let sq = 0;
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sq += (x.data[at(n, c, s)] - mean) ** 2;
      variance = sq / M;
      if (rm && rv) {
        rm[c] = (1 - momentum) * rm[c] + momentum * mean;
        rv[c] = (1 - momentum) * rv[c] + momentum * (sq / (M - 1));
      }
    } else {
      mean = runningMean![c];
      variance = runningVar![c];
    }
    const w = weight ? weight.data[c] : 1;
    const b = bias ? bias.data[c] : 0;
    for (let n = 0; n < N; n++)
      for (let s = 0; s < S; s++) y.data[at(n, c, s)] = ((x.data[at(n, c, s)] - mean) / Math.sqrt(variance + eps)) * w + b;
  }
  return { y, runningMean: rm, runningVar: rv };
}

/** LRN across channels: x_c / (k + alpha/size · Σ_{j=c−⌊size/2⌋}^{c+⌊(size−1)/2⌋} x_j²)^beta, zero padded. */
export function localResponseNorm(x: Nd, size: number, alpha = 1e-4, beta = 0.75, k = 1): Nd {
  const [N, C] = x.shape;
  const S = x.size / (N * C);
  const y = Nd.zeros(x.shape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let s = 0; s < S; s++) {
        let sq = 0;
        for (let j = c - Math.floor(size / 2); j <= c + Math.floor((size - 1) / 2); j++) {
          if (j < 0 || j >= C) continue;
          sq += x.data[(n * C + j) * S + s] ** 2;
        }
        const i = (n * C + c) * S + s;
        y.data[i] = x.data[i] / Math.pow(k + (alpha / size) * sq, beta);
      }
  return y;
}

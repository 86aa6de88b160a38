/**
 * Float64 references of the losses, following PyTorch's definitions term by term (cross-entropy with
 * label smoothing is nll_loss(log_softmax) mixed with the separately reduced smoothing term, as in ATen).
 */
import { Nd, zipWith } from './nd';
import { logSoftmax } from './softmax';

export type Reduction = 'mean' | 'sum' | 'none';

export interface NllRefOptions {
  weight?: Nd;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

/** Cross-entropy of logits x ([C], [N, C] or [N, C, d...]) and class indices t. */
export function crossEntropy(x: Nd, t: Nd, o: NllRefOptions = {}): Nd {
  return nllCore(x.ndim === 1 ? logSoftmax(x, 0) : logSoftmax(x, 1), t, o, o.labelSmoothing ?? 0);
}

/** NLL of log-probabilities. */
export function nllLoss(logp: Nd, t: Nd, o: NllRefOptions = {}): Nd {
  return nllCore(logp, t, o, 0);
}

function nllCore(logp: Nd, t: Nd, o: NllRefOptions, eps: number): Nd {
  const ignore = o.ignoreIndex ?? -100;
  const red = o.reduction ?? 'mean';
  const N = logp.ndim === 1 ? 1 : logp.shape[0];
  const C = logp.ndim === 1 ? logp.shape[0] : logp.shape[1];
  const S = logp.ndim <= 2 ? 1 : logp.shape.slice(2).reduce((a, b) => a * b, 1);
  const w = (c: number) => (o.weight ? o.weight.data[c] : 1);
  const at = (n: number, c: number, s: number) => logp.data[(n * C + c) * S + s];
  const nll = new Float64Array(N * S);
  const smooth = new Float64Array(N * S);
  let wsum = 0;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const k = n * S + s;
      const tc = t.data[k];
      if (tc === ignore) continue;
      if (tc < 0 || tc >= C) throw new Error(`reference: bad target ${tc}`);
      nll[k] = -w(tc) * at(n, tc, s);
      for (let c = 0; c < C; c++) smooth[k] -= w(c) * at(n, c, s);
      wsum += w(tc);
    }
  }
  const sumOf = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
  if (red === 'none') {
    const out = Nd.zeros(t.shape);
    for (let k = 0; k < N * S; k++) out.data[k] = (1 - eps) * nll[k] + (eps / C) * smooth[k];
    return out;
  }
  const div = red === 'mean' ? wsum : 1;
  return Nd.from([(1 - eps) * (sumOf(nll) / div) + (eps / C) * (sumOf(smooth) / div)], []);
}

function reduce(l: Nd, r: Reduction = 'mean'): Nd {
  if (r === 'none') return l;
  const s = l.data.reduce((a, b) => a + b, 0);
  return Nd.from([r === 'sum' ? s : s / l.size], []);
}

export const mse = (x: Nd, y: Nd, r?: Reduction) => reduce(zipWith([x, y], (a, b) => (a - b) ** 2), r);
export const l1 = (x: Nd, y: Nd, r?: Reduction) => reduce(zipWith([x, y], (a, b) => Math.abs(a - b)), r);
export function smoothL1(x: Nd, y: Nd, beta: number, r?: Reduction): Nd {
  return reduce(
    zipWith([x, y], (a, b) => {
      const d = Math.abs(a - b);
      return d < beta ? (0.5 * d * d) / beta : d - 0.5 * beta;
    }),
    r,
  );
}

/** BCE on probabilities; logs clamped at −100 as in PyTorch; weight broadcast. */
export function bce(p: Nd, t: Nd, w?: Nd, r?: Reduction): Nd {
  const ops = w ? [p, t, w] : [p, t];
  return reduce(
    zipWith(ops, (pv, tv, wv = 1) => -wv * (tv * Math.max(Math.log(pv), -100) + (1 - tv) * Math.max(Math.log(1 - pv), -100))),
    r,
  );
}

/** BCE on logits, written directly as −w·[pw·t·log σ(x) + (1 − t)·log(1 − σ(x))] (stable logσ). */
export function bceWithLogits(x: Nd, t: Nd, w?: Nd, pw?: Nd, r?: Reduction): Nd {
  const one = Nd.from([1], []);
  const logSig = (v: number) => (v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v)));
  return reduce(
    zipWith([x, t, w ?? one, pw ?? one], (xv, tv, wv, pv) => -wv * (pv * tv * logSig(xv) + (1 - tv) * logSig(-xv))),
    r,
  );
}

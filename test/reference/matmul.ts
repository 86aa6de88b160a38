/**
 * Float64 references of the matrix products, written as plain loops: torch.matmul semantics (vector
 * promotion, broadcast batch dims), optional transposes of the last two axes, and linear.
 */
import { Nd, broadcastShape } from './nd';

/** Swaps the last two axes. */
export function transposeLast(x: Nd): Nd {
  const r = x.ndim;
  const [m, n] = [x.shape[r - 2], x.shape[r - 1]];
  const out = Nd.zeros([...x.shape.slice(0, -2), n, m]);
  const batch = x.size / Math.max(m * n, 1);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out.data[b * m * n + j * m + i] = x.data[b * m * n + i * n + j];
  return out;
}

/** torch.matmul(op(a), op(b)) in float64; op transposes the last two axes when asked. */
export function matmul(a: Nd, b: Nd, transA = false, transB = false): Nd {
  if (transA) a = transposeLast(a);
  if (transB) b = transposeLast(b);
  const a2 = a.ndim === 1 ? a.reshape([1, a.shape[0]]) : a;
  const b2 = b.ndim === 1 ? b.reshape([b.shape[0], 1]) : b;
  const [m, k] = a2.shape.slice(-2);
  const [k2, n] = b2.shape.slice(-2);
  if (k !== k2) throw new Error(`reference matmul: inner ${k} vs ${k2}`);
  const batch = broadcastShape(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const out = Nd.zeros([...batch, m, n]);
  const nb = Nd.numel(batch);
  // Offset of a batch index into an operand with (possibly fewer, possibly size-1) batch dims.
  const offset = (x: Nd, bi: number) => {
    const xb = x.shape.slice(0, -2);
    let rem = bi;
    const idx: number[] = [];
    for (let d = batch.length - 1; d >= 0; d--) {
      idx[d] = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
    }
    let o = 0;
    for (let d = 0; d < xb.length; d++) o = o * xb[d] + (xb[d] === 1 ? 0 : idx[batch.length - xb.length + d]);
    return o * x.shape[x.ndim - 2] * x.shape[x.ndim - 1];
  };
  for (let bi = 0; bi < nb; bi++) {
    const oa = offset(a2, bi);
    const ob = offset(b2, bi);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let kk = 0; kk < k; kk++) s += a2.data[oa + i * k + kk] * b2.data[ob + kk * n + j];
        out.data[bi * m * n + i * n + j] = s;
      }
  }
  let shape = out.shape;
  if (a.ndim === 1) shape = shape.filter((_, i) => i !== shape.length - 2);
  if (b.ndim === 1) shape = shape.filter((_, i) => i !== shape.length - 1);
  return out.reshape(shape);
}

/** x · wᵀ + bias, x [..., in], w [out, in], bias [out]. */
export function linear(x: Nd, w: Nd, bias?: Nd): Nd {
  const [nOut, nIn] = w.shape;
  const rows = x.size / nIn;
  const out = Nd.zeros([...x.shape.slice(0, -1), nOut]);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < nOut; o++) {
      let s = bias ? bias.data[o] : 0;
      for (let i = 0; i < nIn; i++) s += x.data[r * nIn + i] * w.data[o * nIn + i];
      out.data[r * nOut + o] = s;
    }
  return out;
}

/**
 * Matrix products on the native GEMM: `matmul` (torch.matmul semantics, with optional transposes that cost
 * no copy), `mm`, `bmm` and `linear`. Backward reuses the same GEMM with the transposes flipped, and sums
 * over broadcast batch dims.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { record } from '../autograd';
import { reshape } from './layout';
import { sum, sumTo } from './reduce';
import { broadcastShapes, checkDtype, checkSameDevice, checkTensor, empty, run, MAX_DIMS } from './util';

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Use the transpose of `a`'s last two axes (a is stored `[..., K, M]`). Needs `a` of rank >= 2. */
  transA?: boolean;
  /** Use the transpose of `b`'s last two axes (b is stored `[..., N, K]`). Needs `b` of rank >= 2. */
  transB?: boolean;
}

function checkBool(op: string, arg: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new TypeError(`${op}: option '${arg}' must be a boolean, got ${typeof v}`);
  return v;
}

// Runs the native matmul on operands of rank >= 2 (no autograd). Shapes were validated by the caller.
function matmulRaw(a: Tensor, b: Tensor, transA: boolean, transB: boolean, outShape: readonly number[]): Tensor {
  const out = empty(outShape, 'float32', a.device);
  try {
    run('matmul', [a, b], [out], { transA, transB });
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

// Output shape of op(a) · op(b) for operands of rank >= 2; RangeErrors name the op and both shapes.
function productShape(op: string, a: readonly number[], b: readonly number[], transA: boolean, transB: boolean, shown: [readonly number[], readonly number[]]): number[] {
  const [m, ka] = transA ? [a[a.length - 1], a[a.length - 2]] : [a[a.length - 2], a[a.length - 1]];
  const [kb, n] = transB ? [b[b.length - 1], b[b.length - 2]] : [b[b.length - 2], b[b.length - 1]];
  const how = `${transA ? ' (transA)' : ''}${transB ? ' (transB)' : ''}`;
  if (ka !== kb) {
    throw new RangeError(
      `${op}: inner dimensions differ: 'a' ${fmtShape(shown[0])} has ${ka} columns but 'b' ${fmtShape(shown[1])} has ${kb} rows${how}`,
    );
  }
  let batch: number[];
  try {
    batch = broadcastShapes(op, a.slice(0, -2), b.slice(0, -2));
  } catch {
    throw new RangeError(
      `${op}: batch dimensions of 'a' ${fmtShape(shown[0])} and 'b' ${fmtShape(shown[1])} cannot be broadcast together ` +
        `(${fmtShape(a.slice(0, -2))} vs ${fmtShape(b.slice(0, -2))})`,
    );
  }
  if (batch.length + 2 > MAX_DIMS) throw new RangeError(`${op}: result would have rank ${batch.length + 2}; at most ${MAX_DIMS} is supported`);
  return [...batch, m, n];
}

function checkOperands(op: string, a: unknown, b: unknown): [Tensor, Tensor] {
  const ta = checkTensor(op, 'a', a);
  const tb = checkTensor(op, 'b', b);
  checkDtype(op, 'a', ta, ['float32']);
  checkDtype(op, 'b', tb, ['float32']);
  checkSameDevice(op, { a: ta, b: tb });
  return [ta, tb];
}

// The differentiable product of operands of rank >= 2, with transposes. `a` and `b` are the tensors autograd
// sees (their gradients have their shapes).
function product(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean, outShape: number[]): Tensor {
  const out = matmulRaw(a, b, transA, transB, outShape);
  const [ga, gb] = [a.requiresGrad, b.requiresGrad];
  record(op, [a, b], [out], [ga || gb ? b : null, ga || gb ? a : null], ([g], [sb, sa]) => {
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (ga) {
      // d op(A) = g · op(B)ᵀ; with transA the stored A gets its transpose, op(B) · gᵀ.
      const full = transA
        ? matmulRaw(sb!, g, transB, true, productShape(op, sb!.shape, g.shape, transB, true, [sb!.shape, g.shape]))
        : matmulRaw(g, sb!, false, !transB, productShape(op, g.shape, sb!.shape, false, !transB, [g.shape, sb!.shape]));
      da = sumTo(full, a.shape);
    }
    if (gb && b.ndim === 2 && a.ndim > 2 && !transA) {
      // A shared matrix: fold the batch into the rows, one GEMM with the sum over the batch inside it.
      const rows = a.shape.slice(0, -1).reduce((p, d) => p * d, 1);
      const af = sa!._view([rows, a.shape[a.ndim - 1]]);
      const gf = g._view([rows, g.shape[g.ndim - 1]]);
      db = transB ? matmulRaw(gf, af, true, false, [gf.shape[1], af.shape[1]]) : matmulRaw(af, gf, true, false, [af.shape[1], gf.shape[1]]);
    } else if (gb) {
      // d op(B) = op(A)ᵀ · g; with transB the stored B gets gᵀ · op(A).
      const full = transB
        ? matmulRaw(g, sa!, true, transA, productShape(op, g.shape, sa!.shape, true, transA, [g.shape, sa!.shape]))
        : matmulRaw(sa!, g, !transA, false, productShape(op, sa!.shape, g.shape, !transA, false, [sa!.shape, g.shape]));
      db = sumTo(full, b.shape);
    }
    return [da, db];
  });
  return out;
}

// A view (recorded for autograd) with another shape, or the tensor itself when the shape is the same.
function as(x: Tensor, shape: number[]): Tensor {
  if (shape.length === x.ndim && shape.every((d, i) => d === x.shape[i])) return x;
  return reshape(x, shape);
}

/**
 * Matrix product with `torch.matmul` semantics:
 * - 1-D · 1-D: the dot product (a 0-d tensor);
 * - 2-D · 2-D: the matrix product;
 * - a 1-D `a` is treated as a row `[1, K]`, a 1-D `b` as a column `[K, 1]`, and the added axis is removed;
 * - higher ranks: batched products over the leading axes, which broadcast (NumPy rules).
 *
 * `transA` / `transB` use the transpose of the last two axes of `a` / `b` without copying it.
 * float32 only.
 * @example
 * matmul(x, w)                      // [B, T, C] · [C, D] -> [B, T, D]
 * matmul(q, k, { transB: true })    // q · kᵀ: [B, H, T, D] · [B, H, T, D] -> [B, H, T, T]
 * matmul(v1, v2)                    // dot product of two vectors
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const op = 'matmul';
  const [ta, tb] = checkOperands(op, a, b);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: 'options' must be an object`);
  const transA = checkBool(op, 'transA', options.transA);
  const transB = checkBool(op, 'transB', options.transB);
  if (ta.ndim === 0 || tb.ndim === 0) {
    throw new RangeError(`${op}: both arguments must be at least 1-D, got shapes ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)}`);
  }
  if (transA && ta.ndim < 2) throw new RangeError(`${op}: 'transA' needs 'a' of rank >= 2, got shape ${fmtShape(ta.shape)}`);
  if (transB && tb.ndim < 2) throw new RangeError(`${op}: 'transB' needs 'b' of rank >= 2, got shape ${fmtShape(tb.shape)}`);
  const a2 = ta.ndim === 1 ? [1, ta.shape[0]] : [...ta.shape];
  const b2 = tb.ndim === 1 ? [tb.shape[0], 1] : [...tb.shape];
  const outShape = productShape(op, a2, b2, transA, transB, [ta.shape, tb.shape]);
  const finalShape = outShape.filter((_, i) => !(ta.ndim === 1 && i === outShape.length - 2) && !(tb.ndim === 1 && i === outShape.length - 1));
  const va = as(ta, a2);
  const vb = as(tb, b2);
  try {
    const out = product(op, va, vb, transA, transB, outShape);
    const res = as(out, finalShape);
    if (res !== out) out.dispose();
    return res;
  } finally {
    if (va !== ta) va.dispose();
    if (vb !== tb) vb.dispose();
  }
}

/**
 * Product of two matrices (2-D only; see {@link matmul} for vectors and batches).
 * @example mm(a, b) // [M, K] · [K, N] -> [M, N]
 */
export function mm(a: Tensor, b: Tensor): Tensor {
  const [ta, tb] = checkOperands('mm', a, b);
  if (ta.ndim !== 2 || tb.ndim !== 2) {
    throw new RangeError(`mm: both arguments must be 2-D matrices, got shapes ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)}`);
  }
  return product('mm', ta, tb, false, false, productShape('mm', ta.shape, tb.shape, false, false, [ta.shape, tb.shape]));
}

/**
 * Batched matrix product of 3-D tensors with the same batch size (no broadcasting; see {@link matmul}).
 * @example bmm(a, b) // [B, M, K] · [B, K, N] -> [B, M, N]
 */
export function bmm(a: Tensor, b: Tensor): Tensor {
  const [ta, tb] = checkOperands('bmm', a, b);
  if (ta.ndim !== 3 || tb.ndim !== 3) {
    throw new RangeError(`bmm: both arguments must be 3-D (batch, rows, cols), got shapes ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)}`);
  }
  if (ta.shape[0] !== tb.shape[0]) {
    throw new RangeError(`bmm: batch sizes differ: 'a' ${fmtShape(ta.shape)} and 'b' ${fmtShape(tb.shape)}`);
  }
  return product('bmm', ta, tb, false, false, productShape('bmm', ta.shape, tb.shape, false, false, [ta.shape, tb.shape]));
}

/**
 * Affine map `x · weightᵀ + bias`, PyTorch's `F.linear`: `weight` is `[out, in]`, `bias` is `[out]`, and
 * `x` is `[..., in]` with any number of leading axes (or 1-D `[in]`).
 * @example linear(x, w, b) // [N, 784] with w [10, 784], b [10] -> [N, 10]
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = 'linear';
  checkTensor(op, 'input', x);
  checkTensor(op, 'weight', weight);
  if (bias !== undefined && bias !== null) checkTensor(op, 'bias', bias);
  const b = bias ?? null;
  checkDtype(op, 'input', x, ['float32']);
  checkDtype(op, 'weight', weight, ['float32']);
  if (b) checkDtype(op, 'bias', b, ['float32']);
  checkSameDevice(op, { input: x, weight, bias: b });
  if (weight.ndim !== 2) throw new RangeError(`${op}: argument 'weight' must be 2-D (out, in), got shape ${fmtShape(weight.shape)}`);
  if (x.ndim < 1) throw new RangeError(`${op}: argument 'input' must be at least 1-D (..., in), got shape ${fmtShape(x.shape)}`);
  const [nOut, nIn] = weight.shape;
  if (x.shape[x.ndim - 1] !== nIn) {
    throw new RangeError(`${op}: input ${fmtShape(x.shape)} has ${x.shape[x.ndim - 1]} features but weight ${fmtShape(weight.shape)} expects ${nIn}`);
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== nOut)) {
    throw new RangeError(`${op}: bias ${fmtShape(b.shape)} must be 1-D of size ${nOut} for weight ${fmtShape(weight.shape)}`);
  }
  const outShape = [...x.shape.slice(0, -1), nOut];
  const out = empty(outShape, 'float32', x.device);
  try {
    run(op, [x, weight, b], [out]);
  } catch (e) {
    out.dispose();
    throw e;
  }
  const [gx, gw] = [x.requiresGrad, weight.requiresGrad];
  record(op, [x, weight, b], [out], [gw ? x : null, gx ? weight : null], ([g], [sx, sw]) => {
    const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const g2 = g._view([rows, nOut]);
    const dx = gx ? matmulRaw(g2, sw!, false, false, [rows, nIn])._view(x.shape) : null;
    const dw = gw ? matmulRaw(g2, sx!._view([rows, nIn]), true, false, [nOut, nIn]) : null;
    const db = b?.requiresGrad ? (g.ndim === 1 ? g : sum(g2, 0)) : null;
    return [dx, dw, db];
  });
  return out;
}

declare module '../tensor' {
  interface Tensor {
    /** See {@link matmul}. */ matmul(other: Tensor, options?: MatmulOptions): Tensor;
    /** See {@link mm}. */ mm(other: Tensor): Tensor;
    /** See {@link bmm}. */ bmm(other: Tensor): Tensor;
  }
}

const proto = Tensor.prototype;
proto.matmul = function (this: Tensor, o: Tensor, opts?: MatmulOptions) { return matmul(this, o, opts); };
proto.mm = function (this: Tensor, o: Tensor) { return mm(this, o); };
proto.bmm = function (this: Tensor, o: Tensor) { return bmm(this, o); };

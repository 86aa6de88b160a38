/**
 * Shape and layout: reshape/view, flatten, squeeze/unsqueeze (all views of the same storage), permute,
 * transpose and expand (copies, since storage is always contiguous).
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { record } from '../autograd';
import { checkShape, checkTensor, empty, normAxis, numel, run, traceView, MAX_DIMS } from './util';
import { sumTo } from './reduce';

function viewAs(op: string, x: Tensor, shape: number[]): Tensor {
  const out = x._view(shape);
  traceView(op, x, out);
  record(op, [x], [out], [], ([g]) => [reshape(g, x.shape)]);
  return out;
}

/**
 * The same data with another shape (a view: no copy). One entry may be -1 and is inferred.
 * @example x.reshape([2, -1])
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', 'input', x);
  if (!Array.isArray(shape)) throw new TypeError(`reshape: 'shape' must be an array, got ${typeof shape}`);
  const holes = shape.filter((d) => d === -1).length;
  if (holes > 1) throw new RangeError(`reshape: only one dimension can be -1, got ${fmtShape(shape)}`);
  let resolved = [...shape];
  if (holes === 1) {
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (known === 0 || x.size % known !== 0) {
      throw new RangeError(`reshape: cannot reshape a tensor of shape ${fmtShape(x.shape)} into ${fmtShape(shape)}`);
    }
    resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  checkShape('reshape', resolved);
  if (numel(resolved) !== x.size) {
    throw new RangeError(`reshape: cannot reshape a tensor of shape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
  }
  return viewAs('reshape', x, resolved);
}

/**
 * Merges axes `startDim`..`endDim` into one (a view).
 * @example flatten(x, 1) // [N, C, H, W] -> [N, C*H*W]
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', 'input', x);
  if (x.ndim === 0) return viewAs('flatten', x, [1]);
  const s = normAxis('flatten', startDim, x.ndim, 'startDim');
  const e = normAxis('flatten', endDim, x.ndim, 'endDim');
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${fmtShape(x.shape)}`);
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return viewAs('flatten', x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/** Removes size-1 axes (all of them, or only `dim`) — a view. */
export function squeeze(x: Tensor, dim?: number): Tensor {
  checkTensor('squeeze', 'input', x);
  if (dim === undefined) return viewAs('squeeze', x, x.shape.filter((d) => d !== 1));
  const d = normAxis('squeeze', dim, x.ndim);
  return viewAs('squeeze', x, x.shape[d] === 1 ? x.shape.filter((_, i) => i !== d) : [...x.shape]);
}

/** Inserts a size-1 axis at `dim` (a view). @example unsqueeze(x, 0) // add a batch axis */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', 'input', x);
  if (x.ndim >= MAX_DIMS) throw new RangeError(`unsqueeze: shape ${fmtShape(x.shape)} already has the maximum rank ${MAX_DIMS}`);
  const d = normAxis('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return viewAs('unsqueeze', x, shape);
}

/**
 * Reorders the axes (a copy). @example permute(x, [0, 2, 3, 1]) // NCHW -> NHWC
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor('permute', 'input', x);
  if (!Array.isArray(dims) || dims.length !== x.ndim) {
    throw new RangeError(`permute: 'dims' must list all ${x.ndim} axes of shape ${fmtShape(x.shape)}, got ${JSON.stringify(dims)}`);
  }
  const perm = dims.map((d) => normAxis('permute', d, x.ndim));
  if (new Set(perm).size !== perm.length) throw new RangeError(`permute: 'dims' ${JSON.stringify(dims)} repeats an axis`);
  const shape = perm.map((p) => x.shape[p]);
  const out = empty(shape, x.dtype, x.device);
  run('permute', [x], [out], { perm });
  const inverse = perm.map((_, i) => perm.indexOf(i));
  record('permute', [x], [out], [], ([g]) => [permute(g, inverse)]);
  return out;
}

/** Swaps two axes (a copy). @example transpose(x, -1, -2) */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', 'input', x);
  const a = normAxis('transpose', dim0, x.ndim, 'dim0');
  const b = normAxis('transpose', dim1, x.ndim, 'dim1');
  const perm = x.shape.map((_, i) => i);
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return permute(x, perm);
}

/**
 * Broadcasts to a larger shape (a copy). -1 keeps an axis as it is.
 * @example expand(bias.reshape([1, -1, 1, 1]), [n, c, h, w])
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('expand', 'input', x);
  if (!Array.isArray(shape)) throw new TypeError(`expand: 'shape' must be an array`);
  if (shape.length < x.ndim) throw new RangeError(`expand: target ${fmtShape(shape)} has fewer axes than ${fmtShape(x.shape)}`);
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  checkShape('expand', target);
  target.forEach((d, i) => {
    const src = i >= lead ? x.shape[i - lead] : 1;
    if (src !== d && src !== 1) throw new RangeError(`expand: cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  });
  if (target.length === x.ndim && target.every((d, i) => d === x.shape[i])) return x;
  const out = empty(target, x.dtype, x.device);
  run('expand', [x], [out]);
  record('expand', [x], [out], [], ([g]) => [sumTo(g, x.shape)]);
  return out;
}

declare module '../tensor' {
  interface Tensor {
    /** See {@link reshape}. */ reshape(shape: readonly number[]): Tensor;
    /** Alias of {@link reshape} (PyTorch's `view`). */ view(shape: readonly number[]): Tensor;
    /** See {@link flatten}. */ flatten(startDim?: number, endDim?: number): Tensor;
    /** See {@link squeeze}. */ squeeze(dim?: number): Tensor;
    /** See {@link unsqueeze}. */ unsqueeze(dim: number): Tensor;
    /** See {@link permute}. */ permute(dims: readonly number[]): Tensor;
    /** See {@link transpose}. */ transpose(dim0: number, dim1: number): Tensor;
    /** Transpose of a 2-D tensor. */ t(): Tensor;
    /** See {@link expand}. */ expand(shape: readonly number[]): Tensor;
  }
}

const proto = Tensor.prototype;
proto.reshape = function (this: Tensor, s: readonly number[]) { return reshape(this, s); };
proto.view = function (this: Tensor, s: readonly number[]) { return reshape(this, s); };
proto.flatten = function (this: Tensor, a?: number, b?: number) { return flatten(this, a, b); };
proto.squeeze = function (this: Tensor, d?: number) { return squeeze(this, d); };
proto.unsqueeze = function (this: Tensor, d: number) { return unsqueeze(this, d); };
proto.permute = function (this: Tensor, d: readonly number[]) { return permute(this, d); };
proto.transpose = function (this: Tensor, a: number, b: number) { return transpose(this, a, b); };
proto.t = function (this: Tensor) {
  if (this.ndim !== 2) throw new RangeError(`t: expects a 2-D tensor, got shape ${fmtShape(this.shape)}`);
  return transpose(this, 0, 1);
};
proto.expand = function (this: Tensor, s: readonly number[]) { return expand(this, s); };

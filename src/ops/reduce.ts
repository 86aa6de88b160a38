/**
 * Reductions over any set of axes, with keepdim: sum, mean, max, min, argmax, argmin, var, std and
 * logsumexp. Axes that are not adjacent are moved together by a permute before the native kernel runs.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { record } from '../autograd';
import { cast } from './creation';
import { add, div, eq, exp, log, mul, sqrt, sub } from './elementwise';
import { expand, permute, reshape } from './layout';
import { checkNumber, checkTensor, empty, normAxes, normAxis, numel, run } from './util';

/** Axes to reduce: one, several, or all when omitted. */
export type Dims = number | readonly number[] | undefined | null;

interface Plan {
  axes: number[];
  outShape: number[]; // without kept dims
  keptShape: number[]; // with size-1 dims where reduced
  count: number; // elements per reduction
}

function plan(op: string, x: Tensor, dim: Dims): Plan {
  const axes = normAxes(op, dim, x.ndim);
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = x.shape.filter((_, i) => !axes.includes(i));
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  return { axes, outShape, keptShape, count };
}

// Runs the native reduction; the axes must be adjacent, else they are permuted to the end first.
function reduceRaw(kernel: string, x: Tensor, p: Plan, outDtype: Tensor['dtype'], attrs: Record<string, number> = {}): Tensor {
  const adjacent = p.axes.every((a, i) => i === 0 || a === p.axes[i - 1] + 1);
  let src = x;
  let begin = p.axes[0] ?? 0;
  let end = (p.axes[p.axes.length - 1] ?? -1) + 1;
  if (!adjacent) {
    const rest = x.shape.map((_, i) => i).filter((i) => !p.axes.includes(i));
    src = permute(x, [...rest, ...p.axes]);
    begin = rest.length;
    end = x.ndim;
  }
  const out = empty(p.outShape, outDtype, x.device);
  try {
    run(kernel, [src], [out], { begin, end, ...attrs });
  } finally {
    if (src !== x) src.dispose();
  }
  return out;
}

function finish(out: Tensor, p: Plan, keepdim: boolean): Tensor {
  if (!keepdim) return out;
  const kept = reshape(out, p.keptShape);
  out.dispose();
  return kept;
}

// Broadcasts a reduced gradient (or value) back over the input's shape.
function spread(g: Tensor, p: Plan, shape: readonly number[]): Tensor {
  return expand(reshape(g, p.keptShape), shape);
}

function checkKeepdim(op: string, keepdim: unknown): boolean {
  if (keepdim === undefined) return false;
  if (typeof keepdim !== 'boolean') throw new TypeError(`${op}: 'keepdim' must be a boolean`);
  return keepdim;
}

/**
 * Sum over `dim` (all axes when omitted). int32 sums stay int32.
 * @example x.sum(); x.sum(1, true); x.sum([0, 2]);
 */
export function sum(x: Tensor, dim?: Dims, keepdim?: boolean): Tensor {
  checkTensor('sum', 'input', x);
  const kd = checkKeepdim('sum', keepdim);
  const p = plan('sum', x, dim);
  const out = finish(reduceRaw('sum', x, p, x.dtype), p, kd);
  record('sum', [x], [out], [], ([g]) => [spread(g, p, x.shape)]);
  return out;
}

/** Mean over `dim` (all axes when omitted); int32 input is averaged as float32. */
export function mean(x: Tensor, dim?: Dims, keepdim?: boolean): Tensor {
  checkTensor('mean', 'input', x);
  const kd = checkKeepdim('mean', keepdim);
  const p = plan('mean', x, dim);
  const src = cast(x, 'float32');
  const out = finish(reduceRaw('mean', src, p, 'float32'), p, kd);
  if (src !== x) src.dispose();
  record('mean', [x], [out], [], ([g]) => [div(spread(g, p, x.shape), p.count)]);
  return out;
}

function extreme(op: 'max' | 'min', x: Tensor, dim: Dims, keepdim: boolean | undefined): Tensor {
  checkTensor(op, 'input', x);
  const kd = checkKeepdim(op, keepdim);
  const p = plan(op, x, dim);
  if (p.count === 0) throw new RangeError(`${op}: cannot reduce over an empty axis (shape ${fmtShape(x.shape)})`);
  const out = finish(reduceRaw(op, x, p, x.dtype), p, kd);
  // Ties share the gradient evenly (as torch.amax does).
  record(op, [x], [out], [x, out], ([g], [sx, so]) => {
    const mask = eq(sx!, spread(so!, p, x.shape));
    const ties = spread(sum(mask, p.axes, true), p, x.shape);
    return [mul(spread(g, p, x.shape), div(mask, ties))];
  });
  return out;
}

/** Maximum over `dim` (all axes when omitted); ties share the gradient. */
export function max(x: Tensor, dim?: Dims, keepdim?: boolean): Tensor {
  return extreme('max', x, dim, keepdim);
}

/** Minimum over `dim` (all axes when omitted); ties share the gradient. */
export function min(x: Tensor, dim?: Dims, keepdim?: boolean): Tensor {
  return extreme('min', x, dim, keepdim);
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean | undefined): Tensor {
  checkTensor(op, 'input', x);
  const kd = checkKeepdim(op, keepdim);
  if (dim === undefined) {
    // Over the flattened tensor, as PyTorch does.
    const flat = reshape(x, [x.size]);
    const p = plan(op, flat, 0);
    if (p.count === 0) throw new RangeError(`${op}: cannot reduce an empty tensor`);
    const out = reduceRaw(op, flat, p, 'int32');
    flat.dispose();
    if (!kd) return out;
    const kept = reshape(out, x.shape.map(() => 1));
    out.dispose();
    return kept;
  }
  const p = plan(op, x, normAxis(op, dim, x.ndim));
  if (p.count === 0) throw new RangeError(`${op}: cannot reduce over an empty axis (shape ${fmtShape(x.shape)})`);
  return finish(reduceRaw(op, x, p, 'int32'), p, kd);
}

/** Index (int32) of the maximum along `dim`, or in the flattened tensor; first occurrence wins. */
export function argmax(x: Tensor, dim?: number, keepdim?: boolean): Tensor {
  return argExtreme('argmax', x, dim, keepdim);
}

/** Index (int32) of the minimum along `dim`, or in the flattened tensor; first occurrence wins. */
export function argmin(x: Tensor, dim?: number, keepdim?: boolean): Tensor {
  return argExtreme('argmin', x, dim, keepdim);
}

/** Options of {@link variance} and {@link std}. */
export interface VarOptions {
  /** Subtracted from the count in the divisor: 1 (Bessel, the default) or 0 (population). */
  correction?: number;
  /** Keep the reduced axes with size 1. */
  keepdim?: boolean;
}

/** Variance over `dim` (all axes when omitted), two-pass in double precision. @example x.var(0, { correction: 0 }) */
export function variance(x: Tensor, dim?: Dims, options: VarOptions = {}): Tensor {
  checkTensor('var', 'input', x);
  const correction = checkNumber('var', 'correction', options.correction ?? 1, { min: 0 });
  const kd = checkKeepdim('var', options.keepdim);
  const p = plan('var', x, dim);
  const src = cast(x, 'float32');
  const out = finish(reduceRaw('var', src, p, 'float32', { correction }), p, kd);
  if (src !== x) src.dispose();
  record('var', [x], [out], [x], ([g], [sx]) => {
    const m = spread(mean(sx!, p.axes, true), p, x.shape);
    return [mul(spread(g, p, x.shape), mul(sub(sx!, m), 2 / (p.count - correction)))];
  });
  return out;
}

/** Standard deviation: sqrt of {@link variance}. */
export function std(x: Tensor, dim?: Dims, options: VarOptions = {}): Tensor {
  const v = variance(x, dim, options);
  const s = sqrt(v);
  v.dispose();
  return s;
}

/** log(sum(exp(x))) over `dim`, computed stably (the maximum is subtracted first). */
export function logsumexp(x: Tensor, dim?: Dims, keepdim?: boolean): Tensor {
  checkTensor('logsumexp', 'input', x);
  const kd = checkKeepdim('logsumexp', keepdim);
  const p = plan('logsumexp', x, dim);
  const m = max(x, p.axes, true);
  const mc = m.detach();
  const shifted = sub(x, mc);
  const e = exp(shifted);
  const s = sum(e, p.axes, true);
  const l = log(s);
  const r = add(l, mc);
  const out = kd ? r : reshape(r, p.outShape);
  for (const t of [m, mc, shifted, e, s, l]) t.dispose();
  if (out !== r) r.dispose();
  return out;
}

/**
 * @internal Sums a broadcast gradient back down to `shape` (the inverse of broadcasting); `g` itself
 * when the shapes already match.
 */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = sum(g, axes, true);
  if (numel(s.shape) === numel(shape) && s.ndim === shape.length) return s;
  const r = reshape(s, shape);
  s.dispose();
  return r;
}

declare module '../tensor' {
  interface Tensor {
    /** See {@link sum}. */ sum(dim?: Dims, keepdim?: boolean): Tensor;
    /** See {@link mean}. */ mean(dim?: Dims, keepdim?: boolean): Tensor;
    /** See {@link max}. */ max(dim?: Dims, keepdim?: boolean): Tensor;
    /** See {@link min}. */ min(dim?: Dims, keepdim?: boolean): Tensor;
    /** See {@link argmax}. */ argmax(dim?: number, keepdim?: boolean): Tensor;
    /** See {@link argmin}. */ argmin(dim?: number, keepdim?: boolean): Tensor;
    /** See {@link variance}. */ var(dim?: Dims, options?: VarOptions): Tensor;
    /** See {@link std}. */ std(dim?: Dims, options?: VarOptions): Tensor;
    /** See {@link logsumexp}. */ logsumexp(dim?: Dims, keepdim?: boolean): Tensor;
  }
}

const proto = Tensor.prototype;
proto.sum = function (this: Tensor, d?: Dims, k?: boolean) { return sum(this, d, k); };
proto.mean = function (this: Tensor, d?: Dims, k?: boolean) { return mean(this, d, k); };
proto.max = function (this: Tensor, d?: Dims, k?: boolean) { return max(this, d, k); };
proto.min = function (this: Tensor, d?: Dims, k?: boolean) { return min(this, d, k); };
proto.argmax = function (this: Tensor, d?: number, k?: boolean) { return argmax(this, d, k); };
proto.argmin = function (this: Tensor, d?: number, k?: boolean) { return argmin(this, d, k); };
proto.var = function (this: Tensor, d?: Dims, o?: VarOptions) { return variance(this, d, o); };
proto.std = function (this: Tensor, d?: Dims, o?: VarOptions) { return std(this, d, o); };
proto.logsumexp = function (this: Tensor, d?: Dims, k?: boolean) { return logsumexp(this, d, k); };

/**
 * Shared plumbing of the JS op layer: argument validation with messages that name the op, the argument
 * and the shapes; output allocation; and the call into the native op table.
 * @module
 */
import { DType, isDType } from '../dtype';
import { CPU, Device, DeviceLike, device as parseDevice } from '../device';
import { Attrs, native } from '../native';
import { Tensor, fmtShape } from '../tensor';

/** Highest rank a tensor may have. */
export const MAX_DIMS = 6;

/** @internal Throws a TypeError unless `x` is a live Tensor. */
export function checkTensor(op: string, arg: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) {
    const what = x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
    throw new TypeError(`${op}: argument '${arg}' must be a Tensor, got ${what}`);
  }
  x._h(op, arg);
  return x;
}

/** @internal Throws a TypeError unless the tensor has one of the dtypes. */
export function checkDtype(op: string, arg: string, x: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(x.dtype)) {
    throw new TypeError(`${op}: argument '${arg}' must have dtype ${allowed.join(' or ')}, got ${x.dtype} (shape ${fmtShape(x.shape)})`);
  }
}

/** @internal Throws a TypeError unless every tensor is on the same device; returns that device. */
export function checkSameDevice(op: string, args: Record<string, Tensor | null | undefined>): Device {
  let dev: Device | null = null;
  let first = '';
  for (const [name, t] of Object.entries(args)) {
    if (!t) continue;
    if (dev === null) {
      dev = t.device;
      first = name;
    } else if (t.device !== dev) {
      throw new TypeError(`${op}: '${first}' is on ${dev} but '${name}' is on ${t.device}`);
    }
  }
  return dev ?? CPU;
}

/** @internal Throws a RangeError unless `t` has rank `rank` (or one of several). */
export function checkRank(op: string, arg: string, t: Tensor, rank: number | readonly number[], meaning?: string): void {
  const ranks = typeof rank === 'number' ? [rank] : rank;
  if (!ranks.includes(t.ndim)) {
    throw new RangeError(
      `${op}: argument '${arg}' must be ${ranks.join(' or ')}-D${meaning ? ` (${meaning})` : ''}, got shape ${fmtShape(t.shape)}`,
    );
  }
}

/** @internal Normalises a possibly negative axis; RangeError when out of range. */
export function normAxis(op: string, axis: number, ndim: number, arg = 'dim'): number {
  if (!Number.isInteger(axis)) throw new TypeError(`${op}: '${arg}' must be an integer, got ${axis}`);
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (axis < lo || axis > hi) throw new RangeError(`${op}: '${arg}' ${axis} is out of range for a ${ndim}-D tensor (expected ${lo}..${hi})`);
  return axis < 0 ? axis + Math.max(ndim, 1) : axis;
}

/** @internal Normalises an axis list (or undefined = all axes), sorted and unique. */
export function normAxes(op: string, axes: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  if (!Array.isArray(list)) throw new TypeError(`${op}: 'dim' must be a number or an array of numbers`);
  const out = [...new Set(list.map((a) => normAxis(op, a, ndim)))].sort((a, b) => a - b);
  if (out.length !== list.length) throw new RangeError(`${op}: 'dim' ${JSON.stringify(axes)} repeats an axis`);
  return out;
}

/** @internal Validates a user-supplied shape: an array of at most 6 non-negative integers. */
export function checkShape(op: string, shape: unknown, arg = 'shape'): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: '${arg}' must be an array of integers, got ${typeof shape}`);
  if (shape.length > MAX_DIMS) throw new RangeError(`${op}: '${arg}' ${fmtShape(shape)} has rank ${shape.length}; at most ${MAX_DIMS} is supported`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: '${arg}' ${JSON.stringify(shape)} must hold non-negative integers`);
    }
  }
  return [...shape] as number[];
}

/** @internal Validates a dtype option. */
export function checkDTypeOption(op: string, dtype: unknown, dflt: DType): DType {
  if (dtype === undefined) return dflt;
  if (!isDType(dtype)) throw new TypeError(`${op}: unknown dtype ${JSON.stringify(dtype)} (use 'float32' or 'int32')`);
  return dtype;
}

/** @internal Validates a device option. */
export function checkDeviceOption(op: string, d: unknown): Device {
  if (d === undefined) return CPU;
  try {
    return parseDevice(d as DeviceLike);
  } catch {
    throw new TypeError(`${op}: unknown device ${JSON.stringify(d)} (use 'cpu', 'cuda' or 'cuda:N')`);
  }
}

/** @internal Validates a finite number option. */
export function checkNumber(op: string, arg: string, x: unknown, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
  if (typeof x !== 'number' || Number.isNaN(x)) throw new TypeError(`${op}: '${arg}' must be a number, got ${typeof x === 'number' ? 'NaN' : typeof x}`);
  if (opts.integer && !Number.isInteger(x)) throw new TypeError(`${op}: '${arg}' must be an integer, got ${x}`);
  if (opts.min !== undefined && x < opts.min) throw new RangeError(`${op}: '${arg}' must be >= ${opts.min}, got ${x}`);
  if (opts.max !== undefined && x > opts.max) throw new RangeError(`${op}: '${arg}' must be <= ${opts.max}, got ${x}`);
  return x;
}

/** @internal Broadcasts two shapes by NumPy rules; RangeError naming the op when they do not fit. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new RangeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (axis ${i}: ${x} vs ${y})`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** @internal Product of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Largest tensor the library allocates: 2^46 bytes (64 TiB), far beyond any real device. */
const MAX_BYTES = 2 ** 46;

/** @internal Allocates an uninitialised tensor (outputs of ops). */
export function empty(shape: readonly number[], dtype: DType, device: Device): Tensor {
  if (numel(shape) * 4 > MAX_BYTES) {
    throw new RangeError(`cannot allocate a tensor of shape ${fmtShape(shape)}: ${numel(shape)} elements exceed the 2^46-byte limit`);
  }
  return new Tensor(native.empty(dtype, shape, device.type, device.index), shape, dtype, device);
}

/** @internal Enqueues native op `op` reading `inputs` (null = absent optional input), writing `outputs`. */
export function run(op: string, inputs: readonly (Tensor | null | undefined)[], outputs: readonly Tensor[], attrs: Attrs = {}): void {
  native.run(
    op,
    inputs.map((t, i) => (t ? t._h(op, `input ${i}`) : null)),
    outputs.map((t, i) => t._h(op, `output ${i}`)),
    attrs,
  );
  tracer?.(op, inputs, outputs, attrs);
}

/**
 * @internal Sees every op that ran while {@link traceOps} is active: native ops by their kernel name, and
 * the views (`reshape`, `flatten`, `squeeze`, `unsqueeze`) with `{ shape }`. ONNX export builds its graph
 * from these calls.
 */
export type OpTracer = (op: string, inputs: readonly (Tensor | null | undefined)[], outputs: readonly Tensor[], attrs: Attrs) => void;

let tracer: OpTracer | null = null;

/** @internal Runs `fn` with `t` receiving its ops (synchronous code only; traces do not nest). */
export function traceOps<T>(t: OpTracer, fn: () => T): T {
  if (tracer) throw new Error('traceOps: a trace is already running');
  tracer = t;
  try {
    return fn();
  } finally {
    tracer = null;
  }
}

/** @internal Reports a view (no native op runs for it) to the active tracer. */
export function traceView(op: string, x: Tensor, out: Tensor): void {
  tracer?.(op, [x], [out], { shape: [...out.shape] });
}

/** @internal Allocates one output and runs `op` into it. */
export function run1(op: string, inputs: readonly (Tensor | null | undefined)[], shape: readonly number[], dtype: DType, device: Device, attrs: Attrs = {}): Tensor {
  const out = empty(shape, dtype, device);
  try {
    run(op, inputs, [out], attrs);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/**
 * Creating tensors: from data, constants, ranges, identity, random draws; and copies between devices
 * and dtypes.
 * @module
 */
import { DType } from '../dtype';
import { Device, DeviceLike } from '../device';
import { native } from '../native';
import { Generator, defaultGenerator } from '../random';
import { Tensor, fmtShape } from '../tensor';
import { isGradEnabled, record } from '../autograd';
import { checkDTypeOption, checkDeviceOption, checkNumber, checkShape, checkTensor, empty, numel, run } from './util';

/** Options shared by the creation functions. */
export interface TensorOptions {
  /** Element type; float32 unless stated otherwise. */
  dtype?: DType;
  /** Device; `'cpu'` by default. */
  device?: DeviceLike;
  /** Record ops on the result for autograd (float32 only). */
  requiresGrad?: boolean;
}

/** Options of the random functions. */
export interface RandomOptions extends TensorOptions {
  /** The stream to draw from; the global one by default. */
  generator?: Generator;
}

/** Data accepted by {@link tensor}. */
export type TensorData = number | readonly TensorData[] | Float32Array | Int32Array | ArrayLike<number>;

function finish(op: string, t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad) {
    if (t.dtype !== 'float32') {
      t.dispose();
      throw new TypeError(`${op}: only float32 tensors can require grad, got ${t.dtype}`);
    }
    t.requiresGrad = true;
  }
  return t;
}

function checkOptions(op: string, opts: unknown): TensorOptions {
  if (opts === undefined) return {};
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${op}: options must be an object`);
  return opts as TensorOptions;
}

// Infers the shape of nested arrays and flattens them; RangeError when ragged.
function flatten(op: string, data: TensorData): { flat: ArrayLike<number>; shape: number[] } {
  if (typeof data === 'number') return { flat: [data], shape: [] };
  if (ArrayBuffer.isView(data)) return { flat: data as Float32Array, shape: [(data as Float32Array).length] };
  if (!Array.isArray(data)) throw new TypeError(`${op}: data must be a number, a (nested) array or a typed array`);
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  if (shape.length > 6) throw new RangeError(`${op}: nested data of rank ${shape.length}; at most 6 is supported`);
  const flat: number[] = [];
  const walk = (x: unknown, axis: number, path: string) => {
    if (axis === shape.length) {
      if (typeof x !== 'number' && typeof x !== 'boolean') throw new TypeError(`${op}: data${path} is ${typeof x}, not a number`);
      flat.push(Number(x));
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[axis]) {
      throw new RangeError(`${op}: ragged data: data${path} should be an array of length ${shape[axis]}`);
    }
    x.forEach((v, i) => walk(v, axis + 1, `${path}[${i}]`));
  };
  walk(data, 0, '');
  return { flat, shape };
}

/**
 * A tensor holding a copy of `data`: nested arrays (shape inferred), a typed array or flat array with a
 * `shape`, or a number (a 0-d tensor). Int32Array data gives int32 unless `dtype` says otherwise.
 * @example
 * tensor([[1, 2, 3], [4, 5, 6]]);                    // shape [2, 3]
 * tensor(new Float32Array(6), [2, 3], { requiresGrad: true });
 * tensor([0, 2, 1], undefined, { dtype: 'int32' });  // labels
 */
export function tensor(data: TensorData, shape?: readonly number[], options?: TensorOptions): Tensor {
  const opts = checkOptions('tensor', options);
  const { flat, shape: inferred } = flatten('tensor', data);
  const dtype = checkDTypeOption('tensor', opts.dtype, data instanceof Int32Array ? 'int32' : 'float32');
  const dev = checkDeviceOption('tensor', opts.device);
  let finalShape = inferred;
  if (shape !== undefined) {
    finalShape = checkShape('tensor', shape);
    if (numel(finalShape) !== flat.length) {
      throw new RangeError(`tensor: shape ${fmtShape(finalShape)} holds ${numel(finalShape)} elements but data has ${flat.length}`);
    }
  }
  const typed = dtype === 'int32' ? Int32Array.from(flat as ArrayLike<number>) : Float32Array.from(flat as ArrayLike<number>);
  const t = new Tensor(native.fromData(typed, dtype, finalShape, dev.type, dev.index), finalShape, dtype, dev);
  return finish('tensor', t, opts);
}

/** @internal A filled tensor. */
function filled(op: string, shape: readonly number[], value: number, options: TensorOptions | undefined, dflt: DType = 'float32'): Tensor {
  const opts = checkOptions(op, options);
  const s = checkShape(op, shape);
  checkNumber(op, 'value', value);
  const t = empty(s, checkDTypeOption(op, opts.dtype, dflt), checkDeviceOption(op, opts.device));
  run('fill', [], [t], { value });
  return finish(op, t, opts);
}

/** A tensor of zeros. @example zeros([2, 3]) */
export function zeros(shape: readonly number[], options?: TensorOptions): Tensor {
  return filled('zeros', shape, 0, options);
}

/** A tensor of ones. @example ones([4], { dtype: 'int32' }) */
export function ones(shape: readonly number[], options?: TensorOptions): Tensor {
  return filled('ones', shape, 1, options);
}

/** A tensor filled with `value`. @example full([2, 2], 7) */
export function full(shape: readonly number[], value: number, options?: TensorOptions): Tensor {
  return filled('full', shape, value, options);
}

function like(op: string, x: Tensor, options: TensorOptions | undefined): TensorOptions {
  checkTensor(op, 'input', x);
  return { dtype: x.dtype, device: x.device, ...checkOptions(op, options) };
}

/** Zeros with the shape (and by default dtype and device) of `x`. */
export function zerosLike(x: Tensor, options?: TensorOptions): Tensor {
  return filled('zerosLike', x.shape, 0, like('zerosLike', x, options));
}

/** Ones with the shape (and by default dtype and device) of `x`. */
export function onesLike(x: Tensor, options?: TensorOptions): Tensor {
  return filled('onesLike', x.shape, 1, like('onesLike', x, options));
}

/** `value` everywhere, with the shape (and by default dtype and device) of `x`. */
export function fullLike(x: Tensor, value: number, options?: TensorOptions): Tensor {
  return filled('fullLike', x.shape, value, like('fullLike', x, options));
}

/**
 * Values from `start` (inclusive) to `end` (exclusive) by `step`; `arange(n)` is 0..n-1. The dtype is
 * int32 when all arguments are integers, float32 otherwise.
 * @example arange(5); arange(1, 2, 0.25);
 */
export function arange(start: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  const opts = checkOptions('arange', options);
  if (end === undefined) {
    end = start;
    start = 0;
  }
  checkNumber('arange', 'start', start);
  checkNumber('arange', 'end', end);
  checkNumber('arange', 'step', step);
  if (step === 0) throw new RangeError('arange: step must be non-zero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const ints = [start, end, step].every(Number.isInteger);
  const t = empty([n], checkDTypeOption('arange', opts.dtype, ints ? 'int32' : 'float32'), checkDeviceOption('arange', opts.device));
  run('arange', [], [t], { start, step });
  return finish('arange', t, opts);
}

/** `steps` evenly spaced values from `start` to `end`, both included. @example linspace(0, 1, 5) */
export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  const opts = checkOptions('linspace', options);
  checkNumber('linspace', 'steps', steps, { min: 0, integer: true });
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const t = empty([steps], checkDTypeOption('linspace', opts.dtype, 'float32'), checkDeviceOption('linspace', opts.device));
  run('arange', [], [t], { start, step });
  return finish('linspace', t, opts);
}

/** The n×m identity (m defaults to n). @example eye(3) */
export function eye(n: number, m = n, options?: TensorOptions): Tensor {
  const opts = checkOptions('eye', options);
  checkNumber('eye', 'n', n, { min: 0, integer: true });
  checkNumber('eye', 'm', m, { min: 0, integer: true });
  const t = empty([n, m], checkDTypeOption('eye', opts.dtype, 'float32'), checkDeviceOption('eye', opts.device));
  run('eye', [], [t]);
  return finish('eye', t, opts);
}

function randomOp(op: string, kernel: string, shape: readonly number[], a: number, b: number, options: RandomOptions | undefined): Tensor {
  const opts = checkOptions(op, options) as RandomOptions;
  const s = checkShape(op, shape);
  const gen = opts.generator ?? defaultGenerator;
  if (!(gen instanceof Generator)) throw new TypeError(`${op}: 'generator' must be a Generator`);
  const dtype = checkDTypeOption(op, opts.dtype, 'float32');
  if (kernel !== 'random_bernoulli' && dtype !== 'float32') throw new TypeError(`${op}: dtype must be float32, got ${dtype}`);
  const t = empty(s, dtype, checkDeviceOption(op, opts.device));
  run(kernel, [], [t], { ...gen.take(numel(s)), a, b });
  return finish(op, t, opts);
}

/** Uniform draws in [0, 1). @example rand([2, 3], { generator: new Generator(1) }) */
export function rand(shape: readonly number[], options?: RandomOptions): Tensor {
  return randomOp('rand', 'random_uniform', shape, 0, 1, options);
}

/** Uniform draws in [low, high). */
export function uniform(shape: readonly number[], low = 0, high = 1, options?: RandomOptions): Tensor {
  checkNumber('uniform', 'low', low);
  checkNumber('uniform', 'high', high, { min: low });
  return randomOp('uniform', 'random_uniform', shape, low, high, options);
}

/** Standard normal draws. @example randn([128, 64]) */
export function randn(shape: readonly number[], options?: RandomOptions): Tensor {
  return randomOp('randn', 'random_normal', shape, 0, 1, options);
}

/** Normal draws with the given mean and standard deviation. */
export function normal(shape: readonly number[], mean = 0, std = 1, options?: RandomOptions): Tensor {
  checkNumber('normal', 'mean', mean);
  checkNumber('normal', 'std', std, { min: 0 });
  return randomOp('normal', 'random_normal', shape, mean, std, options);
}

/** Draws of 1 with probability `p`, else 0 (float32 unless `dtype` says int32). @example bernoulli([10], 0.3) */
export function bernoulli(shape: readonly number[], p: number, options?: RandomOptions): Tensor {
  checkNumber('bernoulli', 'p', p, { min: 0, max: 1 });
  return randomOp('bernoulli', 'random_bernoulli', shape, p, 0, options);
}

/** Uniform draws shaped like `x`. */
export function randLike(x: Tensor, options?: RandomOptions): Tensor {
  checkTensor('randLike', 'input', x);
  return rand(x.shape, { device: x.device, ...options });
}

/** Standard normal draws shaped like `x`. */
export function randnLike(x: Tensor, options?: RandomOptions): Tensor {
  checkTensor('randnLike', 'input', x);
  return randn(x.shape, { device: x.device, ...options });
}

/**
 * Converts to another dtype (a copy; the same tensor when it already has it). float32 → int32 truncates
 * toward zero. Differentiable from float32 to float32 only.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor('cast', 'input', x);
  const d = checkDTypeOption('cast', dtype, x.dtype);
  if (d === x.dtype) return x;
  const out = empty(x.shape, d, x.device);
  run('cast', [x], [out]);
  return out;
}

/** A copy with its own storage; gradients flow through it. */
export function clone(x: Tensor): Tensor {
  checkTensor('clone', 'input', x);
  const out = empty(x.shape, x.dtype, x.device);
  run('copy', [x], [out]);
  record('clone', [x], [out], [], ([g]) => [g]);
  return out;
}

/** A copy on `device` (the same tensor when it is there already); gradients flow back across. */
export function to(x: Tensor, device: DeviceLike): Tensor {
  checkTensor('to', 'input', x);
  const dev: Device = checkDeviceOption('to', device);
  if (dev === x.device) return x;
  const src = x.device;
  const out = new Tensor(native.copyTo(x._h('to', 'input'), dev.type, dev.index), x.shape, x.dtype, dev);
  record('to', [x], [out], [], ([g]) => [to(g, src)]);
  return out;
}

declare module '../tensor' {
  interface Tensor {
    /** See {@link cast}. */
    cast(dtype: DType): Tensor;
    /** This tensor as float32. */
    float(): Tensor;
    /** This tensor as int32 (truncating). */
    int(): Tensor;
    /** See {@link clone}. */
    clone(): Tensor;
    /** See {@link to}. @example const g = x.to('cuda'); */
    to(device: DeviceLike): Tensor;
    /** Copies the host data into this tensor in place, in stream order (loading weights). */
    copyFromArray(data: Float32Array | Int32Array | readonly number[]): this;
    /**
     * Copies `src` into this tensor in place (same shape and dtype), in stream order: the way to update
     * parameters. Not recorded; refused while grad mode is on for a tensor that requires grad.
     * @example noGrad(() => w.copy_(w.sub(w.grad!.mul(0.1))));
     */
    copy_(src: Tensor): this;
  }
}

Tensor.prototype.cast = function (this: Tensor, dtype: DType) {
  return cast(this, dtype);
};
Tensor.prototype.float = function (this: Tensor) {
  return cast(this, 'float32');
};
Tensor.prototype.int = function (this: Tensor) {
  return cast(this, 'int32');
};
Tensor.prototype.clone = function (this: Tensor) {
  return clone(this);
};
Tensor.prototype.to = function (this: Tensor, device: DeviceLike) {
  return to(this, device);
};
Tensor.prototype.copy_ = function (this: Tensor, src: Tensor) {
  checkTensor('copy_', 'src', src);
  this._h('copy_', 'self');
  if (src.dtype !== this.dtype) throw new TypeError(`copy_: 'src' has dtype ${src.dtype} but the tensor is ${this.dtype}`);
  if (src.shape.length !== this.shape.length || src.shape.some((d, i) => d !== this.shape[i])) {
    throw new RangeError(`copy_: 'src' has shape ${fmtShape(src.shape)} but the tensor has shape ${fmtShape(this.shape)}`);
  }
  if (src.device !== this.device) throw new TypeError(`copy_: 'src' is on ${src.device} but the tensor is on ${this.device}`);
  if (isGradEnabled() && this.requiresGrad) {
    throw new TypeError('copy_: in-place update of a tensor that requires grad while grad mode is on; wrap it in noGrad()');
  }
  run('copy', [src], [this]);
  return this;
};

Tensor.prototype.copyFromArray = function (this: Tensor, data: Float32Array | Int32Array | readonly number[]) {
  const h = this._h('copyFromArray', 'self');
  const typed = this.dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
  if (typed.length !== this.size) {
    throw new RangeError(`copyFromArray: ${typed.length} values for a tensor of shape ${fmtShape(this.shape)} (${this.size} elements)`);
  }
  native.writeData(h, typed);
  return this;
};

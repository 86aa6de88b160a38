/**
 * The Tensor class: a handle on native storage with a shape, dtype and device, and its place in the
 * autograd graph. Ops add their methods to it from `src/ops/*` and `src/autograd.ts`.
 * @module
 */
import { DType, arrayFor } from './dtype';
import { Device } from './device';
import { DISPOSABLE, Disposable, Scope, countTensor, track, untrack } from './memory';
import { NativeHandle, native } from './native';
import type { GradNode } from './autograd';

/** Nested arrays of numbers, as `Tensor.array()` returns them. */
export type NestedArray = number | NestedArray[];

const finalizer = new FinalizationRegistry<string>((dev) => countTensor(dev, -1));

/** @internal Formats a shape for messages: `[2, 3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * An n-dimensional array on a device. Create tensors with {@link tensor}, {@link zeros}, {@link randn} and
 * friends; ops return new tensors at once and run on the device's stream; `await t.data()` reads results.
 *
 * @example
 * const x = deepscope.tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
 * const y = x.mul(x).sum();
 * y.backward();
 * console.log(x.grad!.dataSync()); // Float32Array [2, 4, 6, 8]
 */
export class Tensor implements Disposable {
  /** @internal */ readonly [DISPOSABLE] = true as const;
  /** @internal */ _handle: NativeHandle | null;
  /** @internal */ _scope: Scope | null = null;
  /** @internal */ _kept = false;
  /** @internal The op that produced this tensor, if it was recorded. */ _node: GradNode | null = null;
  /** @internal Which output of `_node` this tensor is. */ _outputIndex = 0;
  /** @internal Internal tensors (saved for backward) are not tracked by scopes or counted. */ _internal: boolean;

  /** Size of each axis. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
  /** Where the data lives. */
  readonly device: Device;
  /** Whether ops on this tensor are recorded for {@link Tensor.backward}. */
  requiresGrad = false;
  /** The gradient accumulated by `backward()` (leaves, and tensors with `retainGrad()`). */
  grad: Tensor | null = null;

  /** @internal Use the creation functions. */
  constructor(handle: NativeHandle, shape: readonly number[], dtype: DType, device: Device, internal = false) {
    this._handle = handle;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.device = device;
    this._internal = internal;
    if (!internal) {
      track(this);
      countTensor(device.toString(), 1);
      finalizer.register(this, device.toString(), this);
    }
  }

  /** Number of axes. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }

  /** Number of elements (PyTorch's `numel()`). */
  numel(): number {
    return this.size;
  }

  /** True once {@link Tensor.dispose} has run. */
  get isDisposed(): boolean {
    return this._handle === null;
  }

  /** True for tensors not produced by a recorded op (inputs, parameters). */
  get isLeaf(): boolean {
    return this._node === null;
  }

  /** @internal The native handle; throws a TypeError naming `op` and `arg` if disposed. */
  _h(op = 'tensor', arg = 'tensor'): NativeHandle {
    if (this._handle === null) throw new TypeError(`${op}: argument '${arg}' is a disposed tensor (shape ${fmtShape(this.shape)})`);
    return this._handle;
  }

  /** @internal A new tensor object on the same storage (a view), optionally internal. */
  _view(shape: readonly number[], internal = false): Tensor {
    return new Tensor(native.view(this._h('view'), shape), shape, this.dtype, this.device, internal);
  }

  /**
   * Frees the tensor's reference to its storage now (queued ops that use it still complete). Safe to call
   * twice. Releases the autograd graph behind it once nothing else needs it.
   */
  dispose(): void {
    if (this._handle === null) return;
    native.dispose(this._handle);
    this._handle = null;
    untrack(this);
    if (!this._internal) {
      countTensor(this.device.toString(), -1);
      finalizer.unregister(this);
    }
    if (this._node) {
      this._node.unref();
      this._node = null;
    }
  }

  /**
   * Resolves with a copy of the data once the device's stream has computed it. Rejects, naming the op,
   * if an op that produced it failed.
   */
  async data(): Promise<Float32Array | Int32Array> {
    const buf = await native.read(this._h('data'));
    return arrayFor(this.dtype, buf);
  }

  /**
   * Copies the data into `target` (a typed array of exactly the tensor's byte size) once the stream has
   * computed it, and resolves with `target`. Lets a loop reuse one buffer instead of allocating one per
   * read; do not touch `target` before the promise settles.
   * @example const buf = new Float32Array(t.size); await t.dataInto(buf);
   */
  async dataInto<T extends ArrayBufferView>(target: T): Promise<T> {
    if (!ArrayBuffer.isView(target)) throw new TypeError('dataInto: target must be a typed array');
    if (target.byteLength !== this.size * 4) {
      throw new RangeError(`dataInto: target holds ${target.byteLength} bytes but the tensor of shape ${fmtShape(this.shape)} has ${this.size * 4}`);
    }
    return native.readInto(this._h('dataInto'), target);
  }

  /** Like {@link Tensor.data}, but blocks the thread until the data is ready. Meant for scripts and tests. */
  dataSync(): Float32Array | Int32Array {
    return arrayFor(this.dtype, native.readSync(this._h('dataSync')));
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    this.checkScalar('item');
    return (await this.data())[0];
  }

  /** The value of a one-element tensor, synchronously. */
  itemSync(): number {
    this.checkScalar('itemSync');
    return this.dataSync()[0];
  }

  /** The data as nested arrays (a number for a 0-d tensor). */
  async array(): Promise<NestedArray> {
    return nest(await this.data(), this.shape);
  }

  /** The data as nested arrays, synchronously. */
  arraySync(): NestedArray {
    return nest(this.dataSync(), this.shape);
  }

  /** Short description: shape, dtype, device and whether it requires grad. */
  toString(): string {
    return `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''}${this.isDisposed ? ', disposed' : ''})`;
  }

  private checkScalar(op: string): void {
    if (this.size !== 1) throw new RangeError(`${op}: only one-element tensors have an item, got shape ${fmtShape(this.shape)}`);
  }
}

function nest(data: Float32Array | Int32Array, shape: readonly number[]): NestedArray {
  if (shape.length === 0) return data[0];
  const build = (offset: number, axis: number): NestedArray[] => {
    const n = shape[axis];
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out: NestedArray[] = [];
    for (let i = 0; i < n; i++) {
      out.push(axis === shape.length - 1 ? data[offset + i] : build(offset + i * stride, axis + 1));
    }
    return out;
  };
  return build(0, 0);
}

/** True when `x` is a Tensor. */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

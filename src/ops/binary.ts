/**
 * Binary networks (XNOR-Net and Binary-Weight-Networks, Rastegari et al. 2016): the sign with its
 * straight-through gradient, the scaling factors α and K of the paper, bit packing of signs along channels
 * into 64-bit words ({@link PackedTensor}), and convolution / matrix product by XOR + popcount on the
 * packed bits. Layers on top: `nn.BinaryConv2d`, `nn.BinaryLinear`; guide: docs/binary.md.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Device } from '../device';
import { needsGrad, record } from '../autograd';
import { full } from './creation';
import { abs } from './elementwise';
import { mean } from './reduce';
import { Conv2dPadding, Size2, conv2d, conv2dGeometry } from './conv';
import { checkDtype, checkSameDevice, checkTensor, empty, run, run1 } from './util';

/**
 * The signs of a float32 tensor, bit-packed along channels: what binary kernels read. A logical
 * `[N, C, H, W]` tensor is stored as int32 `[N, H, W, 2·words]`, words = ⌈C / 64⌉: each pixel's C signs in
 * little-endian 64-bit words (two int32 each), channel c at bit c mod 64 of word ⌊c / 64⌋, 1 for +1 (x ≥ 0)
 * and 0 for −1; bits past C are 0. A logical `[M, K]` matrix is stored as `[M, 1, 1, 2·⌈K / 64⌉]`. Made by
 * {@link bitpack}, read back by {@link bitunpack}; 32× smaller than the float tensor (plus the padding of
 * the last word).
 * @example
 * const p = ds.bitpack(ds.randn([1, 100, 5, 5]));
 * p.bits.shape // [1, 5, 5, 4]: two 64-bit words per pixel
 * ds.bitunpack(p).shape // [1, 100, 5, 5], every value ±1
 */
export class PackedTensor {
  /** The storage: int32 `[N, H, W, 2·words]` (`[M, 1, 1, 2·words]` for a matrix). */
  readonly bits: Tensor;
  /** The logical shape: `[N, C, H, W]` or `[M, K]`. */
  readonly shape: readonly number[];

  /** Wraps packed storage `bits` of logical shape `shape` (RangeError when they do not match). */
  constructor(bits: Tensor, shape: readonly number[]) {
    const op = 'PackedTensor';
    checkTensor(op, 'bits', bits);
    checkDtype(op, 'bits', bits, ['int32']);
    const want = packedShape(shape);
    if (want === null) throw new RangeError(`${op}: the logical shape must be [N, C, H, W] or [M, K] with C, K >= 1, got ${fmtShape(shape)}`);
    if (bits.shape.length !== 4 || bits.shape.some((d, i) => d !== want[i])) {
      throw new RangeError(`${op}: storage ${fmtShape(bits.shape)} does not hold logical shape ${fmtShape(shape)} (expected ${fmtShape(want)})`);
    }
    this.bits = bits;
    this.shape = [...shape];
  }

  /** Valid bits per row: C (or K for a matrix). */
  get channels(): number {
    return this.shape[1];
  }

  /** Device of the storage. */
  get device(): Device {
    return this.bits.device;
  }

  /** Frees the storage. */
  dispose(): void {
    this.bits.dispose();
  }
}

// Storage shape for a logical shape, or null when the logical shape is not packable.
function packedShape(shape: readonly number[]): number[] | null {
  if (!Array.isArray(shape) || (shape.length !== 4 && shape.length !== 2)) return null;
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || shape[1] < 1) return null;
  const words = Math.ceil(shape[1] / 64);
  return shape.length === 4 ? [shape[0], shape[2], shape[3], 2 * words] : [shape[0], 1, 1, 2 * words];
}

/**
 * The sign as binary networks use it: +1 where x ≥ 0, −1 where x < 0 (NaN stays NaN), float32. Its gradient
 * is the straight-through estimator of the paper (Hubara et al.'s hard-tanh derivative): the incoming
 * gradient passes where |x| ≤ 1 and is zero elsewhere.
 * @example
 * const x = ds.tensor([-2, -0.5, 0, 0.5, 2], undefined, { requiresGrad: true });
 * ds.binarize(x).dataSync() // [-1, -1, 1, 1, 1]
 * ds.binarize(x).sum().backward(); x.grad!.dataSync() // [0, 1, 1, 1, 0]
 */
export function binarize(x: Tensor): Tensor {
  const op = 'binarize';
  checkTensor(op, 'input', x);
  checkDtype(op, 'input', x, ['float32']);
  const y = run1('binarize', [x], x.shape, 'float32', x.device);
  record(op, [x], [y], [x], ([gy], [sx]) => [run1('binarize_backward', [sx, gy], sx!.shape, 'float32', sx!.device)]);
  return y;
}

/**
 * α of the paper: the mean absolute value of each output filter of `weight` ([O, ...] → [O]), the scale
 * that makes α·sign(W) the best binary approximation of W. Differentiable.
 * @example ds.filterScale(ds.tensor([[1, -3], [0.5, 0.5]])).dataSync() // [2, 0.5]
 */
export function filterScale(weight: Tensor): Tensor {
  const op = 'filterScale';
  checkTensor(op, 'weight', weight);
  checkDtype(op, 'weight', weight, ['float32']);
  if (weight.ndim < 2) throw new RangeError(`filterScale: argument 'weight' must be at least 2-D (out, ...), got shape ${fmtShape(weight.shape)}`);
  const dims = Array.from({ length: weight.ndim - 1 }, (_, i) => i + 1);
  return mean(abs(weight), dims);
}

/** Geometry of a binary convolution: the options of {@link conv2d} without groups. */
export interface BinaryConvGeometryOptions {
  /** Step of the kernel over the input. Default 1. */
  stride?: Size2;
  /** Zero padding, as in {@link conv2d}. Default 0. */
  padding?: Conv2dPadding;
  /** Spacing between kernel taps. Default 1. */
  dilation?: Size2;
}

/**
 * K of the paper: the mean of |input| over channels ([N, C, H, W] → A [N, 1, H, W]) convolved with a
 * `kernelSize` box of weight 1/(kH·kW) under the convolution's stride, padding and dilation → [N, 1, OH, OW].
 * K[n, 0, i, j] scales the binary convolution's output at (i, j): the mean magnitude of the input patch it
 * reads. Differentiable.
 * @example ds.xnorScale(ds.randn([2, 16, 8, 8]), 3, { padding: 1 }).shape // [2, 1, 8, 8]
 */
export function xnorScale(input: Tensor, kernelSize: Size2, options: BinaryConvGeometryOptions = {}): Tensor {
  const op = 'xnorScale';
  checkTensor(op, 'input', input);
  checkDtype(op, 'input', input, ['float32']);
  if (input.ndim !== 4) throw new RangeError(`${op}: argument 'input' must be 4-D (N, C, H, W), got shape ${fmtShape(input.shape)}`);
  const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
  if (![kh, kw].every((k) => Number.isInteger(k) && k >= 1)) throw new RangeError(`${op}: 'kernelSize' must hold positive integers, got ${JSON.stringify(kernelSize)}`);
  const a = mean(abs(input), 1, true);
  const box = full([1, 1, kh, kw], 1 / (kh * kw), { device: input.device });
  const k = conv2d(a, box, null, { stride: options.stride, padding: options.padding, dilation: options.dilation });
  a.dispose();
  box.dispose();
  return k;
}

/**
 * Packs the signs of a float32 `[N, C, H, W]` tensor along channels (or of a `[M, K]` matrix along K) into
 * 64-bit words: see {@link PackedTensor} for the layout. x ≥ 0 packs as +1, x < 0 (and NaN) as −1. Not
 * differentiable (the result holds no float values).
 * @example ds.bitpack(ds.randn([8, 300])).bits.shape // [8, 1, 1, 10]
 */
export function bitpack(x: Tensor): PackedTensor {
  const op = 'bitpack';
  checkTensor(op, 'input', x);
  checkDtype(op, 'input', x, ['float32']);
  const shape = packedShape(x.shape);
  if (shape === null) {
    throw new RangeError(`${op}: argument 'input' must be 4-D (N, C, H, W) or 2-D (M, K) with at least one channel, got shape ${fmtShape(x.shape)}`);
  }
  const x4 = x.ndim === 4 ? x : x.reshape([x.shape[0], x.shape[1], 1, 1]);
  const bits = empty(shape, 'int32', x.device);
  try {
    run(op, [x4], [bits]);
  } catch (e) {
    bits.dispose();
    throw e;
  } finally {
    if (x4 !== x) x4.dispose();
  }
  return new PackedTensor(bits, x.shape);
}

/**
 * The ±1 float32 tensor of the logical shape of `packed` ({@link bitpack}'s inverse on signs).
 * @example ds.bitunpack(ds.bitpack(ds.tensor([[0.3, -2, 0]]))).dataSync() // [1, -1, 1]
 */
export function bitunpack(packed: PackedTensor): Tensor {
  const op = 'bitunpack';
  if (!(packed instanceof PackedTensor)) throw new TypeError(`${op}: argument 'packed' must be a PackedTensor, got ${typeof packed}`);
  const s = packed.shape;
  const y = empty(s.length === 4 ? s : [s[0], s[1], 1, 1], 'float32', packed.device);
  try {
    run(op, [packed.bits], [y]);
  } catch (e) {
    y.dispose();
    throw e;
  }
  if (s.length === 4) return y;
  const y2 = y.reshape(s);
  y.dispose();
  return y2;
}

/** Options of {@link binaryConv2d}. */
export interface BinaryConv2dOptions extends BinaryConvGeometryOptions {
  /** α: per-output-channel scale `[O]` (see {@link filterScale}). Default 1. */
  alpha?: Tensor | null;
  /** K: per-output-pixel scale `[N, 1, OH, OW]` (see {@link xnorScale}). Default 1. */
  scale?: Tensor | null;
}

// A packed operand: packs float tensors (disposed by the caller through `owned`), checks packed ones.
function packedArg(op: string, arg: string, v: unknown, rank: number, owned: PackedTensor[]): PackedTensor {
  if (v instanceof PackedTensor) {
    if (v.shape.length !== rank) throw new RangeError(`${op}: argument '${arg}' must be ${rank}-D, got packed shape ${fmtShape(v.shape)}`);
    v.bits._h(op, arg);
    return v;
  }
  if (!(v instanceof Tensor)) throw new TypeError(`${op}: argument '${arg}' must be a Tensor or a PackedTensor, got ${v === null ? 'null' : typeof v}`);
  checkTensor(op, arg, v);
  checkDtype(op, arg, v, ['float32']);
  if (v.ndim !== rank) throw new RangeError(`${op}: argument '${arg}' must be ${rank}-D, got shape ${fmtShape(v.shape)}`);
  if (needsGrad(v)) {
    throw new TypeError(`${op}: argument '${arg}' requires grad, but the packed kernel has no gradient; train with nn.BinaryConv2d / nn.BinaryLinear or call it under noGrad`);
  }
  const p = bitpack(v);
  owned.push(p);
  return p;
}

// Optional float32 scale of an exact size.
function scaleArg(op: string, arg: string, v: unknown, size: number, what: string): Tensor | null {
  if (v === undefined || v === null) return null;
  const t = checkTensor(op, arg, v);
  checkDtype(op, arg, t, ['float32']);
  if (t.numel() !== size) throw new RangeError(`${op}: '${arg}' ${fmtShape(t.shape)} must hold ${size} values (${what})`);
  if (needsGrad(t)) throw new TypeError(`${op}: '${arg}' requires grad, but the packed kernel has no gradient; call it under noGrad`);
  return t;
}

/**
 * Binary convolution by XNOR + popcount: y[n, o, i, j] = α[o] · K[n, 0, i, j] · Σ sign(x)·sign(w) over the
 * taps of the window that lie inside the input (zero padding contributes nothing), for input `[N, C, H, W]`
 * and weight `[O, C, kH, kW]`, each a float32 tensor (packed on the fly) or a {@link PackedTensor}. Equal,
 * exactly, to `conv2d(binarize(x), binarize(w))` scaled by α and K. Inference only (no gradient; the
 * layers train through the float form). No groups.
 * @example
 * const x = ds.randn([1, 64, 14, 14]), w = ds.randn([64, 64, 3, 3]);
 * const y = ds.binaryConv2d(x, ds.bitpack(w), { padding: 1, alpha: ds.filterScale(w), scale: ds.xnorScale(x, 3, { padding: 1 }) });
 */
export function binaryConv2d(input: Tensor | PackedTensor, weight: Tensor | PackedTensor, options: BinaryConv2dOptions = {}): Tensor {
  const op = 'binaryConv2d';
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: 'options' must be an object`);
  const owned: PackedTensor[] = [];
  try {
    const x = packedArg(op, 'input', input, 4, owned);
    const w = packedArg(op, 'weight', weight, 4, owned);
    checkSameDevice(op, { input: x.bits, weight: w.bits });
    const [n, c] = x.shape;
    const [o, cw] = w.shape;
    if (c !== cw) throw new RangeError(`${op}: input ${fmtShape(x.shape)} has ${c} channels but weight ${fmtShape(w.shape)} expects ${cw}`);
    const g = conv2dGeometry(x.shape, w.shape, options, op);
    const out = [n, o, g.out[0], g.out[1]];
    const alpha = scaleArg(op, 'alpha', options.alpha, o, `one per output channel of weight ${fmtShape(w.shape)}`);
    const scale = scaleArg(op, 'scale', options.scale, n * g.out[0] * g.out[1], `[N, 1, OH, OW] = ${fmtShape([n, 1, ...g.out])}`);
    checkSameDevice(op, { input: x.bits, alpha, scale });
    const attrs = { channels: c, stride: g.stride, padding: [g.pad[0], g.pad[2]], dilation: g.dilation };
    return run1('binary_conv2d', [x.bits, w.bits, alpha, scale], out, 'float32', x.device, attrs);
  } finally {
    for (const p of owned) p.dispose();
  }
}

/** Options of {@link binaryMatmul}. */
export interface BinaryMatmulOptions {
  /** Per-column scale `[N]` (α of each output unit). Default 1. */
  alpha?: Tensor | null;
  /** Per-row scale `[M]` (the mean |input| of each row, in XNOR mode). Default 1. */
  scale?: Tensor | null;
}

/**
 * Binary matrix product by XNOR + popcount: y[i, j] = α[j] · s[i] · Σ_k sign(a[i, k])·sign(b[j, k]) for
 * `a` [M, K] and `b` [N, K] (note: b is not transposed, as a Linear layer's weight), float32 (packed on
 * the fly) or {@link PackedTensor}. Inference only, like {@link binaryConv2d}.
 * @example ds.binaryMatmul(ds.randn([4, 300]), ds.randn([10, 300])).shape // [4, 10]
 */
export function binaryMatmul(a: Tensor | PackedTensor, b: Tensor | PackedTensor, options: BinaryMatmulOptions = {}): Tensor {
  const op = 'binaryMatmul';
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: 'options' must be an object`);
  const owned: PackedTensor[] = [];
  try {
    const pa = packedArg(op, 'a', a, 2, owned);
    const pb = packedArg(op, 'b', b, 2, owned);
    const [m, k] = pa.shape;
    const [n, kb] = pb.shape;
    if (k !== kb) throw new RangeError(`${op}: a ${fmtShape(pa.shape)} and b ${fmtShape(pb.shape)} must have the same number of columns`);
    const alpha = scaleArg(op, 'alpha', options.alpha, n, `one per row of b ${fmtShape(pb.shape)}`);
    const scale = scaleArg(op, 'scale', options.scale, m, `one per row of a ${fmtShape(pa.shape)}`);
    checkSameDevice(op, { a: pa.bits, b: pb.bits, alpha, scale });
    return run1('binary_matmul', [pa.bits, pb.bits, alpha, scale], [m, n], 'float32', pa.device, { bits: k });
  } finally {
    for (const p of owned) p.dispose();
  }
}

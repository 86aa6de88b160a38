/**
 * 2-D pooling over NCHW float32 tensors (or unbatched [C, H, W]): max pooling with argmax indices,
 * average pooling, and the adaptive forms. PyTorch semantics throughout: output sizes (ceil mode
 * included), padding limits, divisors, adaptive window bounds and index layout. Forward and backward
 * run native kernels.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { record } from '../autograd';
import { reshape } from './layout';
import { checkDtype, checkRank, checkTensor, empty, run } from './util';

/** One size for both spatial axes, or `[h, w]`. */
export type PoolSize = number | readonly [number, number];

/** Options of {@link maxPool2d}. */
export interface MaxPool2dOptions {
  /** Window size. */
  kernelSize: PoolSize;
  /** Step between windows; `kernelSize` by default (also when null). */
  stride?: PoolSize | null;
  /** Implicit -∞ padding on each side; at most half the kernel size. Default 0. */
  padding?: PoolSize;
  /** Spacing between window elements. Default 1. */
  dilation?: PoolSize;
  /** Round the output size up instead of down (the last window must still start inside the input or the left padding). */
  ceilMode?: boolean;
  /** Also return the int32 argmax indices (flat within each H×W plane). */
  returnIndices?: boolean;
}

/** Options of {@link avgPool2d}. */
export interface AvgPool2dOptions {
  /** Window size. */
  kernelSize: PoolSize;
  /** Step between windows; `kernelSize` by default (also when null). */
  stride?: PoolSize | null;
  /** Implicit zero padding on each side; at most half the kernel size. Default 0. */
  padding?: PoolSize;
  /** Round the output size up instead of down. Default false. */
  ceilMode?: boolean;
  /** Count padded positions in the divisor. Default true. */
  countIncludePad?: boolean;
  /** A fixed divisor (positive integer) instead of the window size. */
  divisorOverride?: number | null;
}

/** Output size of an adaptive pool: one number, or `[h, w]` where null keeps that input size. */
export type AdaptiveSize = number | readonly [number | null, number | null];

// ---------------------------------------------------------------------------------------------- helpers

function pair(op: string, arg: string, v: unknown, min: number): [number, number] {
  const list = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(list) || list.length !== 2 || list.some((d) => typeof d !== 'number' || !Number.isInteger(d))) {
    throw new TypeError(`${op}: '${arg}' must be an integer or a pair of integers, got ${JSON.stringify(v)}`);
  }
  for (const d of list as number[]) {
    if (d < min) {
      const what = min === 1 ? 'positive' : 'non-negative';
      throw new RangeError(`${op}: '${arg}' must be ${what}, got ${JSON.stringify(v)}`);
    }
  }
  return [list[0], list[1]];
}

function flag(op: string, arg: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${op}: '${arg}' must be a boolean, got ${typeof v}`);
  return v;
}

function checkOptions(op: string, o: unknown): Record<string, unknown> {
  if (typeof o !== 'object' || o === null) throw new TypeError(`${op}: options must be an object with at least 'kernelSize'`);
  return o as Record<string, unknown>;
}

// Checks the input (float32, [N, C, H, W] or [C, H, W], non-empty planes).
function checkInput(op: string, x: Tensor): void {
  checkTensor(op, 'input', x);
  checkDtype(op, 'input', x, ['float32']);
  checkRank(op, 'input', x, [3, 4], '(N, C, H, W) or unbatched (C, H, W)');
  const [h, w] = x.shape.slice(-2);
  if (h === 0 || w === 0) throw new RangeError(`${op}: argument 'input' has an empty plane, shape ${fmtShape(x.shape)}`);
}

// Runs `f` on the input as 4-D and returns its outputs with the batch axis dropped again for 3-D input.
function batched(x: Tensor, f: (x4: Tensor) => Tensor[]): Tensor[] {
  if (x.ndim === 4) return f(x);
  const x4 = reshape(x, [1, ...x.shape]);
  const outs = f(x4);
  x4.dispose();
  return outs.map((o) => {
    const r = reshape(o, o.shape.slice(1));
    o.dispose();
    return r;
  });
}

interface Geometry {
  k: [number, number];
  s: [number, number];
  p: [number, number];
  d: [number, number];
  out: [number, number];
}

// PyTorch's pooling_output_shape plus its argument checks, for both spatial axes.
function geometry(op: string, x: Tensor, o: Record<string, unknown>, dilation: boolean): Geometry {
  const k = pair(op, 'kernelSize', o.kernelSize, 1);
  const s = o.stride === undefined || o.stride === null ? k : pair(op, 'stride', o.stride, 1);
  const p = o.padding === undefined ? ([0, 0] as [number, number]) : pair(op, 'padding', o.padding, 0);
  const d = !dilation || o.dilation === undefined ? ([1, 1] as [number, number]) : pair(op, 'dilation', o.dilation, 1);
  const ceil = flag(op, 'ceilMode', o.ceilMode, false);
  for (let i = 0; i < 2; i++) {
    if (p[i] > Math.floor(k[i] / 2)) throw new RangeError(`${op}: padding ${p[i]} must be at most half of kernelSize ${k[i]}`);
  }
  const inSize = x.shape.slice(-2);
  const out: [number, number] = [0, 0];
  for (let i = 0; i < 2; i++) {
    const eff = d[i] * (k[i] - 1) + 1;
    if (eff > inSize[i] + 2 * p[i]) {
      const dil = dilation ? ` (dilation ${fmtShape(d)})` : '';
      throw new RangeError(
        `${op}: kernelSize ${fmtShape(k)}${dil} is larger than the padded input ` +
          `${fmtShape([inSize[0] + 2 * p[0], inSize[1] + 2 * p[1]])} (input shape ${fmtShape(x.shape)}, padding ${fmtShape(p)})`,
      );
    }
    let n = Math.floor((inSize[i] + 2 * p[i] - eff + (ceil ? s[i] - 1 : 0)) / s[i]) + 1;
    // The last window must start inside the input or the left padding.
    if (ceil && (n - 1) * s[i] >= inSize[i] + p[i]) n--;
    out[i] = n;
  }
  if (out[0] <= 0 || out[1] <= 0) {
    throw new RangeError(`${op}: output size ${fmtShape(out)} is too small for input shape ${fmtShape(x.shape)}`);
  }
  return { k, s, p, d, out };
}

// --------------------------------------------------------------------------------------------- max pool

function maxPoolRecord(op: string, x4: Tensor, y: Tensor, idx: Tensor): void {
  record(op, [x4], [y], [idx], ([g], [si]) => {
    const gx = empty(x4.shape, 'float32', x4.device);
    run('max_pool2d_backward', [g, si], [gx]);
    return [gx];
  });
}

/**
 * 2-D max pooling. Returns the pooled values, or `[values, indices]` with `returnIndices` (int32, the
 * flat position ih·W + iw of each maximum within its plane, as PyTorch). The gradient goes to the
 * maximum of each window; NaN counts as the maximum.
 * @example
 * const y = maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 });         // ResNet stem
 * const [v, i] = maxPool2d(x, { kernelSize: 2, returnIndices: true });
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(x: Tensor, options: MaxPool2dOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor | [Tensor, Tensor] {
  const op = 'maxPool2d';
  checkInput(op, x);
  const o = checkOptions(op, options);
  const withIdx = flag(op, 'returnIndices', o.returnIndices, false);
  const g = geometry(op, x, o, true);
  const [y, idx] = batched(x, (x4) => {
    const shape = [x4.shape[0], x4.shape[1], ...g.out];
    const vals = empty(shape, 'float32', x4.device);
    const ind = empty(shape, 'int32', x4.device);
    run('max_pool2d', [x4], [vals, ind], { kernel: g.k, stride: g.s, padding: g.p, dilation: g.d });
    maxPoolRecord(op, x4, vals, ind);
    return [vals, ind];
  });
  if (withIdx) return [y, idx];
  idx.dispose();
  return y;
}

// ------------------------------------------------------------------------------------------ average pool

/**
 * 2-D average pooling with PyTorch's divisor rules: with `countIncludePad` (default) the divisor is the
 * window clipped to the padded input, without it the number of input elements in the window;
 * `divisorOverride` fixes it.
 * @example avgPool2d(x, { kernelSize: 2 }); avgPool2d(x, { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false });
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const op = 'avgPool2d';
  checkInput(op, x);
  const o = checkOptions(op, options);
  const g = geometry(op, x, o, false);
  const countIncludePad = flag(op, 'countIncludePad', o.countIncludePad, true);
  let divisor = 0;
  if (o.divisorOverride !== undefined && o.divisorOverride !== null) {
    const dv = o.divisorOverride;
    if (typeof dv !== 'number' || !Number.isInteger(dv)) throw new TypeError(`${op}: 'divisorOverride' must be an integer, got ${JSON.stringify(dv)}`);
    if (dv <= 0) throw new RangeError(`${op}: 'divisorOverride' must be positive, got ${dv}`);
    divisor = dv;
  }
  const attrs = { kernel: g.k, stride: g.s, padding: g.p, count_include_pad: countIncludePad, divisor };
  return batched(x, (x4) => {
    const y = empty([x4.shape[0], x4.shape[1], ...g.out], 'float32', x4.device);
    run('avg_pool2d', [x4], [y], attrs);
    record(op, [x4], [y], [], ([gy]) => {
      const gx = empty(x4.shape, 'float32', x4.device);
      run('avg_pool2d_backward', [gy], [gx], attrs);
      return [gx];
    });
    return [y];
  })[0];
}

// ----------------------------------------------------------------------------------------- adaptive pools

function adaptiveSize(op: string, x: Tensor, size: unknown): [number, number] {
  const inSize = x.shape.slice(-2);
  const list = typeof size === 'number' ? [size, size] : size;
  if (!Array.isArray(list) || list.length !== 2) {
    throw new TypeError(`${op}: 'outputSize' must be an integer or a pair [h, w] (null keeps a size), got ${JSON.stringify(size)}`);
  }
  const out = list.map((d, i) => {
    if (d === null) return inSize[i];
    if (typeof d !== 'number' || !Number.isInteger(d)) {
      throw new TypeError(`${op}: 'outputSize' must hold integers or null, got ${JSON.stringify(size)}`);
    }
    return d;
  }) as [number, number];
  if (out[0] <= 0 || out[1] <= 0) {
    throw new RangeError(`${op}: output size ${fmtShape(out)} must be positive (input shape ${fmtShape(x.shape)})`);
  }
  return out;
}

/**
 * Adaptive 2-D average pooling to a fixed output size: output cell i covers input rows
 * floor(i·H/out) .. ceil((i+1)·H/out) − 1 (windows may overlap when the sizes do not divide).
 * @example adaptiveAvgPool2d(x, 1) // global average pooling; adaptiveAvgPool2d(x, [6, 6]) (AlexNet)
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const op = 'adaptiveAvgPool2d';
  checkInput(op, x);
  const out = adaptiveSize(op, x, outputSize);
  return batched(x, (x4) => {
    const y = empty([x4.shape[0], x4.shape[1], ...out], 'float32', x4.device);
    run('adaptive_avg_pool2d', [x4], [y]);
    record(op, [x4], [y], [], ([gy]) => {
      const gx = empty(x4.shape, 'float32', x4.device);
      run('adaptive_avg_pool2d_backward', [gy], [gx]);
      return [gx];
    });
    return [y];
  })[0];
}

/** Options of {@link adaptiveMaxPool2d}. */
export interface AdaptiveMaxPool2dOptions {
  /** Also return the int32 argmax indices (flat within each H×W plane). */
  returnIndices?: boolean;
}

/**
 * Adaptive 2-D max pooling (windows as in {@link adaptiveAvgPool2d}); optionally with the argmax indices.
 * @example adaptiveMaxPool2d(x, [7, 7]);
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, options: { returnIndices: true }): [Tensor, Tensor];
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, options?: { returnIndices?: false }): Tensor;
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, options?: AdaptiveMaxPool2dOptions): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, options: AdaptiveMaxPool2dOptions = {}): Tensor | [Tensor, Tensor] {
  const op = 'adaptiveMaxPool2d';
  checkInput(op, x);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object`);
  const withIdx = flag(op, 'returnIndices', options.returnIndices, false);
  const out = adaptiveSize(op, x, outputSize);
  const [y, idx] = batched(x, (x4) => {
    const shape = [x4.shape[0], x4.shape[1], ...out];
    const vals = empty(shape, 'float32', x4.device);
    const ind = empty(shape, 'int32', x4.device);
    run('adaptive_max_pool2d', [x4], [vals, ind]);
    maxPoolRecord(op, x4, vals, ind);
    return [vals, ind];
  });
  if (withIdx) return [y, idx];
  idx.dispose();
  return y;
}

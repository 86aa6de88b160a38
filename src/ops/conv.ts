/**
 * 2-D convolution and transposed convolution on NCHW float32 tensors (PyTorch semantics), on the native
 * GEMM. Three kernels serve both ops: `conv2d`, `conv2d_backward_data` and `conv2d_backward_weight`; the
 * transposed convolution's forward is the convolution's backward-data and vice versa.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { record } from '../autograd';
import { Attrs } from '../native';
import { sum } from './reduce';
import { checkDtype, checkSameDevice, checkTensor, run1 } from './util';

/** One number for both spatial axes, or `[h, w]`. */
export type Size2 = number | readonly [number, number];

/**
 * Padding of {@link conv2d}: one number for all sides, `[h, w]` (symmetric per axis), `[top, bottom, left,
 * right]` (asymmetric), `'valid'` (none) or `'same'` (output size = input size; stride 1 only; where the
 * total padding is odd, the extra row/column goes to the bottom/right, as in PyTorch).
 */
export type Conv2dPadding = number | readonly [number, number] | readonly [number, number, number, number] | 'same' | 'valid';

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Step of the kernel over the input. Default 1. */
  stride?: Size2;
  /** Zero padding of the input. Default 0. */
  padding?: Conv2dPadding;
  /** Spacing between kernel taps. Default 1. */
  dilation?: Size2;
  /** Channel groups: input and output channels are split into `groups` independent convolutions. Default 1. */
  groups?: number;
}

/** Options of {@link convTranspose2d}. */
export interface ConvTranspose2dOptions {
  /** Stride of the convolution this op transposes (the upsampling factor). Default 1. */
  stride?: Size2;
  /** Padding of the convolution this op transposes: removes `dilation·(k−1)−padding` rows/cols. Default 0. */
  padding?: Size2;
  /** Extra rows/columns added to one side of the output (bottom/right); smaller than stride or dilation. Default 0. */
  outputPadding?: Size2;
  /** Spacing between kernel taps. Default 1. */
  dilation?: Size2;
  /** Channel groups. Default 1. */
  groups?: number;
}

function isIntArray(v: unknown, n: number): v is number[] {
  return Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isInteger(x));
}

// A number or [h, w] of integers; `min` is the smallest legal value.
function size2(op: string, name: string, v: unknown, dflt: number, min: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  let pair: [number, number];
  if (typeof v === 'number' && Number.isInteger(v)) pair = [v, v];
  else if (isIntArray(v, 2)) pair = [v[0], v[1]];
  else throw new TypeError(`${op}: '${name}' must be an integer or an [h, w] pair of integers, got ${JSON.stringify(v)}`);
  if (pair[0] < min || pair[1] < min) {
    throw new RangeError(`${op}: '${name}' must be ${min === 1 ? 'positive' : 'non-negative'}, got ${JSON.stringify(v)}`);
  }
  return pair;
}

function checkGroups(op: string, v: unknown): number {
  if (v === undefined) return 1;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: 'groups' must be an integer, got ${JSON.stringify(v)}`);
  if (v < 1) throw new RangeError(`${op}: 'groups' must be positive, got ${v}`);
  return v;
}

function checkOptions(op: string, o: unknown): void {
  if (o !== undefined && (typeof o !== 'object' || o === null || Array.isArray(o))) throw new TypeError(`${op}: 'options' must be an object`);
}

// Common argument checks: tensors, dtypes, devices, ranks, bias size.
function checkArgs(op: string, x: unknown, weight: unknown, bias: unknown, biasSize: (w: Tensor) => number): [Tensor, Tensor, Tensor | null] {
  const tx = checkTensor(op, 'input', x);
  const tw = checkTensor(op, 'weight', weight);
  const tb = bias === undefined || bias === null ? null : checkTensor(op, 'bias', bias);
  checkDtype(op, 'input', tx, ['float32']);
  checkDtype(op, 'weight', tw, ['float32']);
  if (tb) checkDtype(op, 'bias', tb, ['float32']);
  checkSameDevice(op, { input: tx, weight: tw, bias: tb });
  if (tx.ndim !== 4) throw new RangeError(`${op}: argument 'input' must be 4-D (N, C, H, W), got shape ${fmtShape(tx.shape)}`);
  const wmeaning = op === 'conv2d' ? 'out, in/groups, kH, kW' : 'in, out/groups, kH, kW';
  if (tw.ndim !== 4) throw new RangeError(`${op}: argument 'weight' must be 4-D (${wmeaning}), got shape ${fmtShape(tw.shape)}`);
  if (tb && (tb.ndim !== 1 || tb.shape[0] !== biasSize(tw))) {
    throw new RangeError(`${op}: bias ${fmtShape(tb.shape)} must be 1-D of size ${biasSize(tw)} for weight ${fmtShape(tw.shape)}`);
  }
  return [tx, tw, tb];
}

/** @internal Output geometry of a convolution: stride, dilation, groups, resolved padding and output size. */
export interface ConvGeometry {
  stride: [number, number];
  dilation: [number, number];
  groups: number;
  pad: [number, number, number, number]; // top, bottom, left, right
  out: [number, number];
}

/**
 * @internal Resolves the options of a convolution of an input of shape `xShape` [N, C, H, W] with a weight of
 * shape `wShape` [O, C/groups, kH, kW]; RangeError/TypeError naming `op` when they do not fit.
 */
export function conv2dGeometry(xShape: readonly number[], wShape: readonly number[], options: Conv2dOptions, op = 'conv2d'): ConvGeometry {
  const stride = size2(op, 'stride', options.stride, 1, 1);
  const dilation = size2(op, 'dilation', options.dilation, 1, 1);
  const groups = checkGroups(op, options.groups);
  const [, c, h, wd] = xShape;
  const [cout, cinG, kh, kw] = wShape;
  if (c % groups !== 0) throw new RangeError(`${op}: groups ${groups} does not divide the ${c} input channels of input ${fmtShape(xShape)}`);
  if (cout % groups !== 0) throw new RangeError(`${op}: groups ${groups} does not divide the ${cout} output channels of weight ${fmtShape(wShape)}`);
  if (c !== cinG * groups) {
    throw new RangeError(`${op}: input has ${c} channels but weight ${fmtShape(wShape)} with groups ${groups} expects ${cinG * groups}`);
  }
  const ek = [dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1];
  const p = options.padding ?? 0;
  let pad: [number, number, number, number];
  if (p === 'valid') pad = [0, 0, 0, 0];
  else if (p === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new RangeError(`${op}: padding 'same' needs stride 1, got stride [${stride.join(', ')}]`);
    const th = ek[0] - 1;
    const tw = ek[1] - 1;
    pad = [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  } else if (typeof p === 'number' && Number.isInteger(p)) pad = [p, p, p, p];
  else if (isIntArray(p, 2)) pad = [p[0], p[0], p[1], p[1]];
  else if (isIntArray(p, 4)) pad = [p[0], p[1], p[2], p[3]];
  else {
    throw new TypeError(`${op}: 'padding' must be an integer, [h, w], [top, bottom, left, right], 'same' or 'valid', got ${JSON.stringify(p)}`);
  }
  if (pad.some((v) => v < 0)) throw new RangeError(`${op}: 'padding' must be non-negative, got ${JSON.stringify(p)}`);
  const ph = h + pad[0] + pad[1];
  const pw = wd + pad[2] + pad[3];
  if (ek[0] > ph || ek[1] > pw) {
    throw new RangeError(
      `${op}: kernel ${kh}x${kw} (dilation [${dilation.join(', ')}], effective ${ek[0]}x${ek[1]}) is larger than the padded input ` +
        `${ph}x${pw} (input ${fmtShape(xShape)}, padding [${pad.join(', ')}])`,
    );
  }
  const out: [number, number] = [Math.floor((ph - ek[0]) / stride[0]) + 1, Math.floor((pw - ek[1]) / stride[1]) + 1];
  if (out[0] <= 0 || out[1] <= 0) throw new RangeError(`${op}: output size ${out[0]}x${out[1]} is not positive (input ${fmtShape(xShape)}, weight ${fmtShape(wShape)})`);
  return { stride, dilation, groups, pad, out };
}

function attrsOf(g: { stride: [number, number]; dilation: [number, number]; groups: number }, top: number, left: number): Attrs {
  return { stride: g.stride, padding: [top, left], dilation: g.dilation, groups: g.groups };
}

/**
 * 2-D convolution (cross-correlation, as in PyTorch) of `input` [N, C_in, H, W] with `weight`
 * [C_out, C_in/groups, kH, kW], plus `bias` [C_out]. Result [N, C_out, H_out, W_out] with
 * `H_out = floor((H + padTop + padBottom − dilation·(kH−1) − 1) / stride) + 1` (likewise W).
 * `groups = C_in` with `C_out = m·C_in` is a depthwise convolution.
 * @example
 * conv2d(x, w, b, { padding: 1 })                 // 3x3 'same'-size convolution
 * conv2d(x, w, null, { stride: 2, padding: [0, 1, 0, 1] })
 * conv2d(x, dw, null, { groups: x.shape[1], padding: 'same' }) // depthwise
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  checkOptions(op, options);
  const [x, w, b] = checkArgs(op, input, weight, bias, (t) => t.shape[0]);
  const g = conv2dGeometry(x.shape, w.shape, options ?? {});
  const attrs = attrsOf(g, g.pad[0], g.pad[2]);
  const out = run1(op, [x, w, b], [x.shape[0], w.shape[0], g.out[0], g.out[1]], 'float32', x.device, attrs);
  const [gx, gw] = [x.requiresGrad, w.requiresGrad];
  record(op, [x, w, b], [out], [gw ? x : null, gx ? w : null], ([gy], [sx, sw]) => [
    gx ? run1('conv2d_backward_data', [gy, sw, null], [...x.shape], 'float32', gy.device, attrs) : null,
    gw ? run1('conv2d_backward_weight', [sx, gy], [...w.shape], 'float32', gy.device, attrs) : null,
    b?.requiresGrad ? sum(gy, [0, 2, 3]) : null,
  ]);
  return out;
}

/**
 * Transposed 2-D convolution (the gradient of {@link conv2d} with respect to its input; "deconvolution"),
 * PyTorch's `conv_transpose2d`: `input` [N, C_in, H, W], `weight` [C_in, C_out/groups, kH, kW], `bias`
 * [C_out]. Result [N, C_out, H_out, W_out] with
 * `H_out = (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1` (likewise W).
 * @example
 * convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }) // 2x upsampling with a 3x3 kernel
 */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  checkOptions(op, options);
  const o = options ?? {};
  const groups = checkGroups(op, o.groups);
  const [x, w, b] = checkArgs(op, input, weight, bias, (t) => t.shape[1] * groups);
  const stride = size2(op, 'stride', o.stride, 1, 1);
  const dilation = size2(op, 'dilation', o.dilation, 1, 1);
  const padding = size2(op, 'padding', o.padding, 0, 0);
  const outputPadding = size2(op, 'outputPadding', o.outputPadding, 0, 0);
  const [n, c, h, wd] = x.shape;
  const [cin, coutG, kh, kw] = w.shape;
  if (c % groups !== 0) throw new RangeError(`${op}: groups ${groups} does not divide the ${c} input channels of input ${fmtShape(x.shape)}`);
  if (c !== cin) throw new RangeError(`${op}: input has ${c} channels but weight ${fmtShape(w.shape)} expects ${cin}`);
  for (let i = 0; i < 2; i++) {
    if (outputPadding[i] >= stride[i] && outputPadding[i] >= dilation[i]) {
      throw new RangeError(
        `${op}: 'outputPadding' [${outputPadding.join(', ')}] must be smaller than either stride [${stride.join(', ')}] or dilation [${dilation.join(', ')}]`,
      );
    }
  }
  const k = [kh, kw];
  const size = [h, wd];
  const out = [0, 1].map((i) => (size[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k[i] - 1) + outputPadding[i] + 1) as [number, number];
  if (out[0] <= 0 || out[1] <= 0) {
    throw new RangeError(
      `${op}: output size ${out[0]}x${out[1]} is not positive (input ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)}, ` +
        `stride [${stride.join(', ')}], padding [${padding.join(', ')}], dilation [${dilation.join(', ')}])`,
    );
  }
  const attrs = attrsOf({ stride, dilation, groups }, padding[0], padding[1]);
  const y = run1('conv2d_backward_data', [x, w, b], [n, coutG * groups, out[0], out[1]], 'float32', x.device, attrs);
  const [gx, gw] = [x.requiresGrad, w.requiresGrad];
  record(op, [x, w, b], [y], [gw ? x : null, gx ? w : null], ([gy], [sx, sw]) => [
    gx ? run1('conv2d', [gy, sw, null], [...x.shape], 'float32', gy.device, attrs) : null,
    gw ? run1('conv2d_backward_weight', [gy, sx], [...w.shape], 'float32', gy.device, attrs) : null,
    b?.requiresGrad ? sum(gy, [0, 2, 3]) : null,
  ]);
  return y;
}

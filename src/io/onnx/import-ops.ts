/**
 * The import op table: each ONNX op type runs as our differentiable ops. Shape arithmetic (`Shape`,
 * `Gather` on shapes, `Concat` of shapes...) stays on the host as int64 values, the way exporters write
 * dynamic reshapes. Attributes follow the opset of the file (Split, the reductions, Pad, Clip and Squeeze move
 * attributes to inputs in later opsets).
 * @module
 */
import { Tensor, fmtShape } from '../../tensor';
import { tensor, full, cast } from '../../ops/creation';
import { conv2d } from '../../ops/conv';
import { linear, matmul } from '../../ops/matmul';
import { maxPool2d, avgPool2d, adaptiveAvgPool2d, adaptiveMaxPool2d } from '../../ops/pool';
import { batchNorm, localResponseNorm } from '../../ops/norm';
import * as ew from '../../ops/elementwise';
import { cat, split, slice, pad, indexSelect, gather } from '../../ops/indexing';
import { reshape, permute, expand } from '../../ops/layout';
import { softmax, logSoftmax } from '../../ops/softmax';
import { dropout } from '../../ops/dropout';
import { interpolate } from '../../ops/resample';
import { sum, mean, max, min } from '../../ops/reduce';
import { AttrValue, onnx, protoDims, protoToTensor, protoValues, isFloatProto } from './schema';

/** @internal Integer values kept on the host (shapes, axes, indices), with their shape. */
export interface HostInts {
  ints: number[];
  dims: number[];
}

/** @internal A value of the graph while it runs. */
export type Value = Tensor | HostInts;

/** @internal What an import rule sees besides its inputs. */
export interface ImportContext {
  /** Opset of the default domain. */
  readonly opset: number;
  /** Whether the module is training (batch statistics, active dropout). */
  readonly training: boolean;
  /** The node, for messages. */
  readonly where: string;
}

/** @internal Computes a node's outputs. */
export type ImportRule = (ctx: ImportContext, inputs: readonly (Value | undefined)[], attrs: Map<string, AttrValue>, nOutputs: number) => Value[];

const isInts = (v: Value | undefined): v is HostInts => !!v && !(v instanceof Tensor);

/** @internal A value as a float32 tensor. */
export function asTensor(ctx: ImportContext, v: Value | undefined, arg: string): Tensor {
  if (v === undefined) throw new TypeError(`importOnnx: ${ctx.where}: input '${arg}' is missing`);
  if (v instanceof Tensor) return v.dtype === 'float32' ? v : cast(v, 'float32');
  return tensor(Float32Array.from(v.ints), v.dims);
}

/** @internal A value as host integers (shape-like inputs). */
export function asInts(ctx: ImportContext, v: Value | undefined, arg: string): number[] {
  if (v === undefined) throw new TypeError(`importOnnx: ${ctx.where}: input '${arg}' is missing`);
  if (isInts(v)) return v.ints;
  return Array.from(v.dataSync(), (x) => Math.round(x));
}

function ints(list: number[], dims: number[] = [list.length]): HostInts {
  return { ints: list, dims };
}

/** @internal The value of a `TensorProto`: float types as a tensor, integers on the host. */
export function protoValue(p: onnx.ITensorProto, where: string): Value {
  if (isFloatProto(p)) return protoToTensor(p, where);
  return ints(protoValues(p, where).ints!, protoDims(p));
}

const num = (attrs: Map<string, AttrValue>, name: string, dflt: number) => (attrs.has(name) ? (attrs.get(name) as number) : dflt);
const list = (attrs: Map<string, AttrValue>, name: string, dflt: number[]) => (attrs.has(name) ? (attrs.get(name) as number[]) : dflt);
const str = (attrs: Map<string, AttrValue>, name: string, dflt: string) => (attrs.has(name) ? (attrs.get(name) as string) : dflt);

function fail(ctx: ImportContext, what: string): never {
  throw new RangeError(`importOnnx: ${ctx.where}: ${what}`);
}

// Axis lists that moved from an attribute to an optional input in a later opset.
function axesOf(ctx: ImportContext, attrs: Map<string, AttrValue>, input: Value | undefined, inputSince: number): number[] | undefined {
  if (ctx.opset >= inputSince) return input === undefined ? undefined : asInts(ctx, input, 'axes');
  return attrs.has('axes') ? (attrs.get('axes') as number[]) : undefined;
}

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

// Explicit padding [begin..., end...] from `pads` or `auto_pad` (SAME_* split as ONNX specifies).
function spatialPads(ctx: ImportContext, attrs: Map<string, AttrValue>, x: Tensor, k: number[], s: number[], d: number[]): [number, number, number, number] {
  const auto = str(attrs, 'auto_pad', 'NOTSET');
  if (auto === 'NOTSET') {
    const p = list(attrs, 'pads', [0, 0, 0, 0]);
    return [p[0], p[1], p[2], p[3]];
  }
  if (auto === 'VALID') return [0, 0, 0, 0];
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < 2; i++) {
    const size = x.shape[2 + i];
    const total = Math.max(0, (Math.ceil(size / s[i]) - 1) * s[i] + d[i] * (k[i] - 1) + 1 - size);
    const small = Math.floor(total / 2);
    begin.push(auto === 'SAME_UPPER' ? small : total - small);
    end.push(auto === 'SAME_UPPER' ? total - small : small);
  }
  return [begin[0], begin[1], end[0], end[1]];
}

function check4d(ctx: ImportContext, x: Tensor, op: string): void {
  if (x.ndim !== 4) fail(ctx, `${op} supports 2-D spatial input [N, C, H, W] only, got shape ${fmtShape(x.shape)}`);
}

function pool(kind: 'max' | 'avg'): ImportRule {
  return (ctx, [xv], attrs) => {
    const x = asTensor(ctx, xv, 'X');
    check4d(ctx, x, kind === 'max' ? 'MaxPool' : 'AveragePool');
    const k = list(attrs, 'kernel_shape', []);
    const s = list(attrs, 'strides', [1, 1]);
    const d = list(attrs, 'dilations', [1, 1]);
    const [t, l, b, r] = spatialPads(ctx, attrs, x, k, s, d);
    if (t !== b || l !== r) fail(ctx, `asymmetric pooling pads [${t}, ${l}, ${b}, ${r}] are not supported`);
    const ceilMode = num(attrs, 'ceil_mode', 0) === 1;
    if (kind === 'max') return [maxPool2d(x, { kernelSize: [k[0], k[1]], stride: [s[0], s[1]], padding: [t, l], dilation: [d[0], d[1]], ceilMode })];
    const countIncludePad = num(attrs, 'count_include_pad', 0) === 1;
    return [avgPool2d(x, { kernelSize: [k[0], k[1]], stride: [s[0], s[1]], padding: [t, l], ceilMode, countIncludePad })];
  };
}

function unary(fn: (x: Tensor) => Tensor): ImportRule {
  return (ctx, [x]) => [fn(asTensor(ctx, x, 'X'))];
}

function binary(fn: (a: Tensor, b: Tensor) => Tensor, intFn?: (a: number, b: number) => number): ImportRule {
  return (ctx, [a, b]) => {
    if (intFn && isInts(a) && isInts(b) && a.ints.length === b.ints.length) return [ints(a.ints.map((v, i) => intFn(v, b.ints[i])), a.dims)];
    return [fn(asTensor(ctx, a, 'A'), asTensor(ctx, b, 'B'))];
  };
}

function variadic(fn: (a: Tensor, b: Tensor) => Tensor): ImportRule {
  return (ctx, inputs) => [inputs.map((v, i) => asTensor(ctx, v, `data_${i}`)).reduce((acc, t) => fn(acc, t))];
}

function reduce(fn: (x: Tensor, dims: number[], keep: boolean) => Tensor, inputSince: number): ImportRule {
  return (ctx, [xv, axesV], attrs) => {
    const x = asTensor(ctx, xv, 'data');
    const keep = num(attrs, 'keepdims', 1) === 1;
    let axes = axesOf(ctx, attrs, axesV, inputSince);
    if (axes === undefined || axes.length === 0) {
      if (num(attrs, 'noop_with_empty_axes', 0) === 1) return [x];
      axes = x.shape.map((_, i) => i);
    }
    return [fn(x, axes.map((a) => norm(a, x.ndim)), keep)];
  };
}

// Softmax before opset 13 works on the input coerced to 2-D at `axis`.
function softmaxRule(fn: (x: Tensor, dim: number) => Tensor): ImportRule {
  return (ctx, [xv], attrs) => {
    const x = asTensor(ctx, xv, 'input');
    if (ctx.opset >= 13) return [fn(x, num(attrs, 'axis', -1))];
    const axis = norm(num(attrs, 'axis', 1), x.ndim);
    const rows = x.shape.slice(0, axis).reduce((p, v) => p * v, 1);
    return [reshape(fn(reshape(x, [rows, -1]), 1), x.shape)];
  };
}

function reshapeTo(ctx: ImportContext, x: Value, target: number[]): Value {
  const shape = target.map((d, i) => (d === 0 ? (isInts(x) ? x.dims : x.shape)[i] : d));
  if (isInts(x)) {
    const known = shape.filter((d) => d !== -1).reduce((p, v) => p * v, 1);
    return ints(x.ints, shape.map((d) => (d === -1 ? x.ints.length / known : d)));
  }
  return reshape(x, shape);
}

function unsqueezeShape(shape: readonly number[], axes: number[]): number[] {
  const rank = shape.length + axes.length;
  const at = new Set(axes.map((a) => norm(a, rank)));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : shape[j++]);
  return out;
}

function resizeRule(ctx: ImportContext, inputs: readonly (Value | undefined)[], attrs: Map<string, AttrValue>): Value[] {
  const x = asTensor(ctx, inputs[0], 'X');
  check4d(ctx, x, 'Resize');
  const mode = str(attrs, 'mode', 'nearest');
  const ctm = str(attrs, 'coordinate_transformation_mode', 'half_pixel');
  // Opset 10's Resize is (X, scales); from 11 it is (X, roi, scales, sizes).
  const scalesV = ctx.opset >= 11 ? inputs[2] : inputs[1];
  const sizesV = ctx.opset >= 11 ? inputs[3] : undefined;
  const scales = scalesV === undefined ? [] : Array.from(asTensor(ctx, scalesV, 'scales').dataSync());
  const sizes = sizesV === undefined ? [] : asInts(ctx, sizesV, 'sizes');
  let target: { size: [number, number] } | { scaleFactor: [number, number] };
  if (sizes.length === 4) target = { size: [sizes[2], sizes[3]] };
  else if (scales.length === 4 && scales[0] === 1 && scales[1] === 1) target = { scaleFactor: [scales[2], scales[3]] };
  else fail(ctx, 'Resize needs 4 sizes, or 4 scales that keep N and C');
  if (mode === 'nearest') {
    const nearest = str(attrs, 'nearest_mode', 'round_prefer_floor');
    if (ctm !== 'asymmetric' || nearest !== 'floor') {
      fail(ctx, `Resize 'nearest' is supported with coordinate_transformation_mode 'asymmetric' and nearest_mode 'floor' (PyTorch's nearest), got '${ctm}' and '${nearest}'`);
    }
    return [interpolate(x, { ...target, mode: 'nearest' })];
  }
  if (mode === 'linear') {
    if (ctm === 'align_corners') return [interpolate(x, { ...target, mode: 'bilinear', alignCorners: true })];
    if (ctm === 'half_pixel' || ctm === 'pytorch_half_pixel') return [interpolate(x, { ...target, mode: 'bilinear' })];
    fail(ctx, `Resize 'linear' is supported with coordinate_transformation_mode 'half_pixel', 'pytorch_half_pixel' or 'align_corners', got '${ctm}'`);
  }
  fail(ctx, `Resize mode '${mode}' is not supported (use 'nearest' or 'linear')`);
}

/** @internal Import rules by ONNX op type (default domain). */
export const IMPORT_OPS: Record<string, ImportRule> = {
  Conv: (ctx, [xv, wv, bv], attrs) => {
    const [x, w] = [asTensor(ctx, xv, 'X'), asTensor(ctx, wv, 'W')];
    check4d(ctx, x, 'Conv');
    const s = list(attrs, 'strides', [1, 1]);
    const d = list(attrs, 'dilations', [1, 1]);
    const [t, l, b, r] = spatialPads(ctx, attrs, x, w.shape.slice(2), s, d);
    const bias = bv === undefined ? null : asTensor(ctx, bv, 'B');
    return [conv2d(x, w, bias, { stride: [s[0], s[1]], dilation: [d[0], d[1]], groups: num(attrs, 'group', 1), padding: [t, b, l, r] })];
  },
  Gemm: (ctx, [av, bv, cv], attrs) => {
    const [A, B] = [asTensor(ctx, av, 'A'), asTensor(ctx, bv, 'B')];
    const [transA, transB] = [num(attrs, 'transA', 0) === 1, num(attrs, 'transB', 0) === 1];
    const [alpha, beta] = [num(attrs, 'alpha', 1), num(attrs, 'beta', 1)];
    const C = cv === undefined ? null : asTensor(ctx, cv, 'C');
    if (!transA && transB && alpha === 1 && beta === 1 && (!C || (C.ndim === 1 && C.shape[0] === B.shape[0]))) return [linear(A, B, C)];
    let y = matmul(A, B, { transA, transB });
    if (alpha !== 1) y = ew.mul(y, alpha);
    if (C) y = ew.add(y, beta === 1 ? C : ew.mul(C, beta));
    return [y];
  },
  MatMul: (ctx, [a, b]) => [matmul(asTensor(ctx, a, 'A'), asTensor(ctx, b, 'B'))],
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: (ctx, [x]) => [adaptiveAvgPool2d(asTensor(ctx, x, 'X'), 1)],
  GlobalMaxPool: (ctx, [x]) => [adaptiveMaxPool2d(asTensor(ctx, x, 'X'), 1)],
  BatchNormalization: (ctx, [xv, sv, bv, mv, vv], attrs) => {
    const t = (v: Value | undefined, n: string) => asTensor(ctx, v, n);
    // ONNX's momentum weighs the old running value; ours (PyTorch's) weighs the new batch value.
    const momentum = 1 - num(attrs, 'momentum', 0.9);
    const y = batchNorm(t(xv, 'X'), t(mv, 'input_mean'), t(vv, 'input_var'), t(sv, 'scale'), t(bv, 'B'), {
      training: ctx.training,
      momentum,
      eps: num(attrs, 'epsilon', 1e-5),
    });
    return [y];
  },
  LRN: (ctx, [x], attrs) => [
    localResponseNorm(asTensor(ctx, x, 'X'), num(attrs, 'size', 1), { alpha: num(attrs, 'alpha', 1e-4), beta: num(attrs, 'beta', 0.75), k: num(attrs, 'bias', 1) }),
  ],
  Relu: unary(ew.relu),
  Sigmoid: unary(ew.sigmoid),
  Tanh: unary(ew.tanh),
  Exp: unary(ew.exp),
  Log: unary(ew.log),
  Sqrt: unary(ew.sqrt),
  Neg: unary(ew.neg),
  Abs: unary(ew.abs),
  Reciprocal: unary(ew.reciprocal),
  Sign: unary(ew.sign),
  Sin: unary(ew.sin),
  Cos: unary(ew.cos),
  Gelu: (ctx, [x], attrs) => {
    if (str(attrs, 'approximate', 'none') !== 'none') fail(ctx, "Gelu with approximate 'tanh' is not supported");
    return [ew.gelu(asTensor(ctx, x, 'X'))];
  },
  // No native erf: with v = √2·u, gelu(v) + gelu(−v) = v·Φ(v) − v·(1 − Φ(v)) = v·erf(u), and erf(0) = 0.
  Erf: (ctx, [xv]) => {
    const u = asTensor(ctx, xv, 'input');
    const v = ew.mul(u, Math.SQRT2);
    const odd = ew.add(ew.gelu(v), ew.gelu(ew.neg(v)));
    const safe = ew.where(ew.eq(v, 0), 1, v);
    return [ew.where(ew.eq(v, 0), 0, ew.div(odd, safe))];
  },
  LeakyRelu: (ctx, [x], attrs) => [ew.leakyRelu(asTensor(ctx, x, 'X'), num(attrs, 'alpha', 0.01))],
  Elu: (ctx, [x], attrs) => [ew.elu(asTensor(ctx, x, 'X'), num(attrs, 'alpha', 1))],
  Softplus: unary((x) => ew.softplus(x)),
  Clip: (ctx, [xv, lo, hi], attrs) => {
    const x = asTensor(ctx, xv, 'input');
    const bound = (v: Value | undefined, name: string) => (ctx.opset >= 11 ? (v === undefined ? undefined : asTensor(ctx, v, name).itemSync()) : (attrs.get(name) as number | undefined));
    return [ew.clamp(x, bound(lo, 'min'), bound(hi, 'max'))];
  },
  Add: binary(ew.add, (a, b) => a + b),
  Sub: binary(ew.sub, (a, b) => a - b),
  Mul: binary(ew.mul, (a, b) => a * b),
  Div: binary(ew.div, (a, b) => Math.trunc(a / b)),
  Pow: binary(ew.pow),
  Max: variadic(ew.maximum),
  Min: variadic(ew.minimum),
  Sum: variadic(ew.add),
  Equal: binary(ew.eq),
  Less: binary(ew.lt),
  LessOrEqual: binary(ew.le),
  Greater: binary(ew.gt),
  GreaterOrEqual: binary(ew.ge),
  Not: unary((x) => ew.eq(x, 0)),
  Where: (ctx, [c, x, y]) => [ew.where(asTensor(ctx, c, 'condition'), asTensor(ctx, x, 'X'), asTensor(ctx, y, 'Y'))],
  Softmax: softmaxRule(softmax),
  LogSoftmax: softmaxRule(logSoftmax),
  Concat: (ctx, inputs, attrs) => {
    const axis = num(attrs, 'axis', 0);
    if (inputs.every(isInts)) return [ints(inputs.flatMap((v) => (v as HostInts).ints))];
    return [cat(inputs.map((v, i) => asTensor(ctx, v, `inputs_${i}`)), axis)];
  },
  Split: (ctx, [xv, splitV], attrs, nOutputs) => {
    const x = asTensor(ctx, xv, 'input');
    const axis = norm(num(attrs, 'axis', 0), x.ndim);
    const given = ctx.opset >= 13 ? (splitV === undefined ? undefined : asInts(ctx, splitV, 'split')) : (attrs.get('split') as number[] | undefined);
    const sizes = given ?? new Array(nOutputs).fill(Math.ceil(x.shape[axis] / nOutputs));
    return split(x, given ? sizes : sizes[0], axis);
  },
  Slice: (ctx, [xv, startsV, endsV, axesV, stepsV]) => {
    const starts = asInts(ctx, startsV, 'starts');
    const ends = asInts(ctx, endsV, 'ends');
    const axes = axesV === undefined ? starts.map((_, i) => i) : asInts(ctx, axesV, 'axes');
    const steps = stepsV === undefined ? starts.map(() => 1) : asInts(ctx, stepsV, 'steps');
    if (isInts(xv)) {
      if (xv.dims.length !== 1 || steps[0] !== 1) fail(ctx, 'Slice of host integers supports 1-D values with step 1');
      const n = xv.ints.length;
      const clampIdx = (v: number) => Math.min(n, Math.max(0, v < 0 ? v + n : v));
      const out = xv.ints.slice(clampIdx(starts[0]), clampIdx(ends[0]));
      return [ints(out)];
    }
    let x = asTensor(ctx, xv, 'data');
    axes.forEach((axis, i) => {
      const d = norm(axis, x.ndim);
      const size = x.shape[d];
      if (steps[i] <= 0) fail(ctx, `Slice with step ${steps[i]} is not supported (positive steps only)`);
      const start = Math.min(size, Math.max(0, starts[i] < 0 ? starts[i] + size : starts[i]));
      const end = Math.min(size, Math.max(0, ends[i] < 0 ? ends[i] + size : ends[i]));
      x = slice(x, d, start, Math.max(start, end), steps[i]);
    });
    return [x];
  },
  Pad: (ctx, [xv, padsV, valueV, axesV], attrs) => {
    const x = asTensor(ctx, xv, 'data');
    const pads = ctx.opset >= 11 ? asInts(ctx, padsV, 'pads') : list(attrs, 'pads', []);
    const value = ctx.opset >= 11 ? (valueV === undefined ? 0 : asTensor(ctx, valueV, 'constant_value').itemSync()) : num(attrs, 'value', 0);
    const axes = axesV === undefined ? x.shape.map((_, i) => i) : asInts(ctx, axesV, 'axes').map((a) => norm(a, x.ndim));
    const onnxMode = str(attrs, 'mode', 'constant');
    const mode = onnxMode === 'edge' ? 'replicate' : onnxMode;
    if (mode !== 'constant' && mode !== 'reflect' && mode !== 'replicate') fail(ctx, `Pad mode '${onnxMode}' is not supported`);
    const before = new Array(x.ndim).fill(0);
    const after = new Array(x.ndim).fill(0);
    axes.forEach((a, i) => {
      before[a] = pads[i];
      after[a] = pads[i + axes.length];
    });
    // Our pad lists (before, after) from the last axis backwards.
    const ours: number[] = [];
    for (let d = x.ndim - 1; d >= 0; d--) ours.push(before[d], after[d]);
    return [pad(x, ours, { mode, value })];
  },
  Flatten: (ctx, [xv], attrs) => {
    const x = asTensor(ctx, xv, 'input');
    const axis = norm(num(attrs, 'axis', 1), x.ndim);
    const rows = x.shape.slice(0, axis).reduce((p, v) => p * v, 1);
    return [reshape(x, [rows, x.size / Math.max(rows, 1)])];
  },
  Reshape: (ctx, [xv, shapeV]) => [reshapeTo(ctx, xv ?? fail(ctx, "input 'data' is missing"), asInts(ctx, shapeV, 'shape'))],
  Transpose: (ctx, [xv], attrs) => {
    const x = asTensor(ctx, xv, 'data');
    return [permute(x, list(attrs, 'perm', x.shape.map((_, i) => x.ndim - 1 - i)))];
  },
  Squeeze: (ctx, [xv, axesV], attrs) => {
    const x = xv ?? fail(ctx, "input 'data' is missing");
    const shape = isInts(x) ? x.dims : x.shape;
    const axes = (axesOf(ctx, attrs, axesV, 13) ?? shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => norm(a, shape.length));
    return [reshapeTo(ctx, x, shape.filter((_, i) => !axes.includes(i)))];
  },
  Unsqueeze: (ctx, [xv, axesV], attrs) => {
    const x = xv ?? fail(ctx, "input 'data' is missing");
    const axes = axesOf(ctx, attrs, axesV, 13) ?? fail(ctx, 'Unsqueeze needs axes');
    return [reshapeTo(ctx, x, unsqueezeShape(isInts(x) ? x.dims : x.shape, axes))];
  },
  Expand: (ctx, [xv, shapeV]) => {
    const x = asTensor(ctx, xv, 'input');
    const target = asInts(ctx, shapeV, 'shape');
    const rank = Math.max(target.length, x.ndim);
    const xs = [...new Array(rank - x.ndim).fill(1), ...x.shape];
    const ts = [...new Array(rank - target.length).fill(1), ...target];
    const out = xs.map((d, i) => (d === 1 ? ts[i] : d));
    return [expand(reshape(x, xs), out)];
  },
  Shape: (ctx, [xv], attrs) => {
    const x = xv ?? fail(ctx, "input 'data' is missing");
    const shape = [...(isInts(x) ? x.dims : x.shape)];
    const start = norm(num(attrs, 'start', 0), shape.length);
    const end = attrs.has('end') ? norm(num(attrs, 'end', 0), shape.length) : shape.length;
    return [ints(shape.slice(start, end))];
  },
  Gather: (ctx, [xv, idxV], attrs) => {
    const axis = num(attrs, 'axis', 0);
    const idx = asInts(ctx, idxV, 'indices');
    const idxDims = isInts(idxV) ? idxV.dims : (idxV as Tensor).shape;
    if (isInts(xv)) {
      const n = xv.ints.length;
      return [ints(idx.map((i) => xv.ints[i < 0 ? i + n : i]), [...idxDims])];
    }
    const x = asTensor(ctx, xv, 'data');
    const d = norm(axis, x.ndim);
    const flat = indexSelect(x, d, tensor(Int32Array.from(idx, (i) => (i < 0 ? i + x.shape[d] : i)), [idx.length]));
    return [reshape(flat, [...x.shape.slice(0, d), ...idxDims, ...x.shape.slice(d + 1)])];
  },
  GatherElements: (ctx, [xv, idxV], attrs) => {
    const x = asTensor(ctx, xv, 'data');
    const idx = isInts(idxV) ? tensor(Int32Array.from(idxV.ints), idxV.dims) : cast(idxV as Tensor, 'int32');
    return [gather(x, norm(num(attrs, 'axis', 0), x.ndim), idx)];
  },
  Cast: (ctx, [xv], attrs) => {
    const T = onnx.TensorProto.DataType;
    const to = num(attrs, 'to', T.FLOAT);
    const x = xv ?? fail(ctx, "input 'input' is missing");
    if (to === T.FLOAT || to === T.DOUBLE) return [asTensor(ctx, x, 'input')];
    if (isInts(x)) return [x];
    // Booleans stay tensors (0/1 float32, as our comparisons give); other integers are shape arithmetic.
    if (to === T.BOOL) return [ew.ne(x, 0)];
    return [ints(Array.from(x.dataSync(), Math.trunc), [...x.shape])];
  },
  ConstantOfShape: (ctx, [shapeV], attrs) => {
    const shape = asInts(ctx, shapeV, 'input');
    const v = attrs.get('value') as onnx.ITensorProto | undefined;
    const value = v ? protoValue(v, ctx.where) : undefined;
    if (value && isInts(value)) return [ints(new Array(shape.reduce((p, d) => p * d, 1)).fill(value.ints[0]), shape)];
    return [full(shape, value ? (value as Tensor).itemSync() : 0)];
  },
  Constant: (ctx, _inputs, attrs) => {
    const t = attrs.get('value') as onnx.ITensorProto | undefined;
    if (t) return [protoValue(t, ctx.where)];
    if (attrs.has('value_float')) return [tensor([attrs.get('value_float') as number], [])];
    if (attrs.has('value_floats')) return [tensor(attrs.get('value_floats') as number[])];
    if (attrs.has('value_int')) return [ints([attrs.get('value_int') as number], [])];
    if (attrs.has('value_ints')) return [ints(attrs.get('value_ints') as number[])];
    fail(ctx, 'Constant without a supported value attribute');
  },
  Dropout: (ctx, [xv, ratioV], attrs) => {
    const x = asTensor(ctx, xv, 'data');
    const p = ctx.opset >= 12 ? (ratioV === undefined ? 0.5 : asTensor(ctx, ratioV, 'ratio').itemSync()) : num(attrs, 'ratio', 0.5);
    return [dropout(x, p, { training: ctx.training })];
  },
  Identity: (ctx, [x]) => [x ?? fail(ctx, "input 'input' is missing")],
  Resize: resizeRule,
  ReduceMean: reduce((x, d, k) => mean(x, d, k), 18),
  ReduceSum: reduce((x, d, k) => sum(x, d, k), 13),
  ReduceMax: reduce((x, d, k) => max(x, d, k), 18),
  ReduceMin: reduce((x, d, k) => min(x, d, k), 18),
};

/**
 * The export op table: each traced op (a native kernel name, or a view) becomes one or a few ONNX nodes.
 * Rules read the shapes of the traced tensors, so attributes the kernels do not carry (bottom/right conv
 * padding, pooling's ceil mode) are recovered from the output sizes.
 * @module
 */
import { Attrs } from '../../native';
import { Tensor } from '../../tensor';
import { onnx, attrProto } from './schema';
import { rnnRule } from './rnn';

/** @internal What an export rule can do to the graph being built. */
export interface ExportContext {
  /** ONNX opset being written. */
  readonly opset: number;
  /** The graph's value name of a traced tensor (an initializer or constant when no op produced it). */
  input(t: Tensor | null | undefined): string;
  /** A fresh value name for an op's output tensor. */
  output(t: Tensor): string;
  /** A fresh value name for an intermediate value. */
  temp(): string;
  /** Appends a node. */
  node(opType: string, inputs: string[], outputs: string[], attrs?: onnx.IAttributeProto[]): void;
  /** An int64 constant (an initializer). */
  ints(values: readonly number[], dims?: readonly number[]): string;
  /** A float32 constant (an initializer). */
  floats(values: readonly number[], dims?: readonly number[]): string;
  /**
   * A shape as an int64 value: constant, or, with a dynamic batch, the input's batch size followed by
   * `shape.slice(1)` when `shape[0]` is the traced batch size.
   */
  shape(shape: readonly number[]): string;
}

/** @internal Writes the ONNX nodes of one traced op. */
export type ExportRule = (ctx: ExportContext, inputs: readonly (Tensor | null | undefined)[], outputs: readonly Tensor[], attrs: Attrs) => void;

const a = attrProto;
const pair = (v: unknown) => v as [number, number];

function unaryRule(opType: string, attrs: (at: Attrs) => onnx.IAttributeProto[] = () => []): ExportRule {
  return (ctx, [x], [y], at) => ctx.node(opType, [ctx.input(x)], [ctx.output(y)], attrs(at));
}

function binaryRule(opType: string): ExportRule {
  return (ctx, [x, y], [z], at) => {
    const other = y ? ctx.input(y) : ctx.floats([at.scalar as number], []);
    ctx.node(opType, [ctx.input(x), other], [ctx.output(z)]);
  };
}

// Both ends of the padding of one axis: `before` as given, `after` just large enough for the output size
// (extra rows past the last window would change nothing).
function padsFor(inSize: number, outSize: number, k: number, s: number, d: number, before: number): [number, number] {
  return [before, Math.max(0, (outSize - 1) * s + d * (k - 1) + 1 - inSize - before)];
}

function convRule(ctx: ExportContext, [x, w, b]: readonly (Tensor | null | undefined)[], [y]: readonly Tensor[], at: Attrs): void {
  const [s, p, d] = [pair(at.stride), pair(at.padding), pair(at.dilation)];
  const k = w!.shape.slice(2);
  const [t, bo] = padsFor(x!.shape[2], y.shape[2], k[0], s[0], d[0], p[0]);
  const [l, r] = padsFor(x!.shape[3], y.shape[3], k[1], s[1], d[1], p[1]);
  const ins = [ctx.input(x), ctx.input(w)];
  if (b) ins.push(ctx.input(b));
  ctx.node('Conv', ins, [ctx.output(y)], [
    a('kernel_shape', k), a('strides', s), a('pads', [t, l, bo, r]), a('dilations', d), a('group', at.groups as number),
  ]);
}

// PyTorch's pooling sizes with ceil mode differ from floor mode exactly when ceil mode matters.
function poolAttrs(x: Tensor, y: Tensor, k: [number, number], s: [number, number], p: [number, number], d: [number, number]): onnx.IAttributeProto[] {
  const floorOut = [0, 1].map((i) => Math.floor((x.shape[2 + i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i]) + 1);
  const ceil = floorOut[0] !== y.shape[2] || floorOut[1] !== y.shape[3];
  return [a('kernel_shape', k), a('strides', s), a('pads', [p[0], p[1], p[0], p[1]]), a('ceil_mode', ceil ? 1 : 0)];
}

function adaptiveRule(global: string, local: string): ExportRule {
  return (ctx, [x], [y]) => {
    const [h, w] = x!.shape.slice(2);
    const [oh, ow] = y.shape.slice(2);
    if (oh === 1 && ow === 1) return ctx.node(global, [ctx.input(x)], [ctx.output(y)]);
    if (h % oh !== 0 || w % ow !== 0) {
      throw new RangeError(`exportOnnx: adaptive pooling from ${h}x${w} to ${oh}x${ow} has uneven windows, which ONNX cannot express`);
    }
    const k = [h / oh, w / ow];
    ctx.node(local, [ctx.input(x)], [ctx.output(y)], [a('kernel_shape', k), a('strides', k)]);
  };
}

function resizeRule(mode: 'nearest' | 'linear'): ExportRule {
  return (ctx, [x], [y], at) => {
    const attrs =
      mode === 'nearest'
        ? [a('mode', 'nearest'), a('coordinate_transformation_mode', 'asymmetric'), a('nearest_mode', 'floor')]
        : [a('mode', 'linear'), a('coordinate_transformation_mode', at.align_corners ? 'align_corners' : 'pytorch_half_pixel')];
    const [sh, sw] = [at.scale_h as number, at.scale_w as number];
    // A given scale factor takes part in the coordinate mapping (PyTorch's rule), so it is written as is.
    const inputs = sh > 0 ? [ctx.input(x), '', ctx.floats([1, 1, sh, sw])] : [ctx.input(x), '', '', ctx.shape(y.shape)];
    ctx.node('Resize', inputs, [ctx.output(y)], attrs);
  };
}

function reduceRule(opType: string): ExportRule {
  return (ctx, [x], [y], at) => {
    const axes: number[] = [];
    for (let i = at.begin as number; i < (at.end as number); i++) axes.push(i);
    // ReduceSum takes the axes as an input from opset 13, the others from opset 18.
    const asInput = opType === 'ReduceSum' ? ctx.opset >= 13 : ctx.opset >= 18;
    if (asInput) ctx.node(opType, [ctx.input(x), ctx.ints(axes)], [ctx.output(y)], [a('keepdims', 0)]);
    else ctx.node(opType, [ctx.input(x)], [ctx.output(y)], [a('axes', axes), a('keepdims', 0)]);
  };
}

const view: ExportRule = (ctx, [x], [y]) => ctx.node('Reshape', [ctx.input(x), ctx.shape(y.shape)], [ctx.output(y)]);

function clip(ctx: ExportContext, x: Tensor, y: Tensor, min: number | undefined, max: number | undefined): void {
  const lo = min === undefined ? '' : ctx.floats([min], []);
  const hi = max === undefined ? '' : ctx.floats([max], []);
  ctx.node('Clip', [ctx.input(x), lo, hi], [ctx.output(y)]);
}

// Our comparisons give float32 0/1; ONNX's give bool.
function comparison(opType: string, negate = false): ExportRule {
  return (ctx, [x, y], [z], at) => {
    const other = y ? ctx.input(y) : ctx.floats([at.scalar as number], []);
    let b = ctx.temp();
    ctx.node(opType, [ctx.input(x), other], [b]);
    if (negate) {
      const n = ctx.temp();
      ctx.node('Not', [b], [n]);
      b = n;
    }
    ctx.node('Cast', [b], [ctx.output(z)], [a('to', onnx.TensorProto.DataType.FLOAT)]);
  };
}

// Our indices are int32; ONNX's gathers take int64.
function int64(ctx: ExportContext, index: Tensor): string {
  const out = ctx.temp();
  ctx.node('Cast', [ctx.input(index)], [out], [a('to', onnx.TensorProto.DataType.INT64)]);
  return out;
}

/** @internal Export rules by traced op name. */
export const EXPORT_OPS: Record<string, ExportRule> = {
  conv2d: convRule,
  linear: (ctx, [x, w, b], [y]) => {
    if (x!.ndim === 2) {
      const ins = [ctx.input(x), ctx.input(w)];
      if (b) ins.push(ctx.input(b));
      return ctx.node('Gemm', ins, [ctx.output(y)], [a('transB', 1)]);
    }
    const wt = ctx.temp();
    ctx.node('Transpose', [ctx.input(w)], [wt], [a('perm', [1, 0])]);
    if (!b) return ctx.node('MatMul', [ctx.input(x), wt], [ctx.output(y)]);
    const xw = ctx.temp();
    ctx.node('MatMul', [ctx.input(x), wt], [xw]);
    ctx.node('Add', [xw, ctx.input(b)], [ctx.output(y)]);
  },
  matmul: (ctx, [x, w], [y], at) => {
    if (x!.ndim === 2 && w!.ndim === 2) {
      return ctx.node('Gemm', [ctx.input(x), ctx.input(w)], [ctx.output(y)], [a('transA', at.transA ? 1 : 0), a('transB', at.transB ? 1 : 0)]);
    }
    const operand = (t: Tensor, trans: unknown) => {
      if (!trans) return ctx.input(t);
      const perm = t.shape.map((_, i) => i);
      [perm[t.ndim - 2], perm[t.ndim - 1]] = [perm[t.ndim - 1], perm[t.ndim - 2]];
      const out = ctx.temp();
      ctx.node('Transpose', [ctx.input(t)], [out], [a('perm', perm)]);
      return out;
    };
    ctx.node('MatMul', [operand(x!, at.transA), operand(w!, at.transB)], [ctx.output(y)]);
  },
  batch_norm: (ctx, [x, w, b, rm, rv], [y], at) => {
    if (at.training || !rm) {
      throw new RangeError('exportOnnx: batch normalisation with batch statistics (training mode or no running statistics) has no ONNX inference equivalent');
    }
    const c = x!.shape[1];
    const scale = w ? ctx.input(w) : ctx.floats(new Array(c).fill(1));
    const shift = b ? ctx.input(b) : ctx.floats(new Array(c).fill(0));
    ctx.node('BatchNormalization', [ctx.input(x), scale, shift, ctx.input(rm), ctx.input(rv)], [ctx.output(y)], [a('epsilon', at.eps as number, true)]);
  },
  local_response_norm: unaryRule('LRN', (at) => [
    a('size', at.size as number), a('alpha', at.alpha as number, true), a('beta', at.beta as number, true), a('bias', at.k as number, true),
  ]),
  max_pool2d: (ctx, [x], [y], at) => {
    const d = pair(at.dilation);
    ctx.node('MaxPool', [ctx.input(x)], [ctx.output(y)], [...poolAttrs(x!, y, pair(at.kernel), pair(at.stride), pair(at.padding), d), a('dilations', d)]);
  },
  avg_pool2d: (ctx, [x], [y], at) => {
    if (at.divisor) throw new RangeError('exportOnnx: average pooling with divisorOverride has no ONNX equivalent');
    const attrs = poolAttrs(x!, y, pair(at.kernel), pair(at.stride), pair(at.padding), [1, 1]);
    ctx.node('AveragePool', [ctx.input(x)], [ctx.output(y)], [...attrs, a('count_include_pad', at.count_include_pad ? 1 : 0)]);
  },
  adaptive_avg_pool2d: adaptiveRule('GlobalAveragePool', 'AveragePool'),
  adaptive_max_pool2d: adaptiveRule('GlobalMaxPool', 'MaxPool'),
  upsample_nearest2d: resizeRule('nearest'),
  upsample_bilinear2d: resizeRule('linear'),
  relu: unaryRule('Relu'),
  sigmoid: unaryRule('Sigmoid'),
  tanh: unaryRule('Tanh'),
  exp: unaryRule('Exp'),
  log: unaryRule('Log'),
  sqrt: unaryRule('Sqrt'),
  neg: unaryRule('Neg'),
  abs: unaryRule('Abs'),
  reciprocal: unaryRule('Reciprocal'),
  sign: unaryRule('Sign'),
  sin: unaryRule('Sin'),
  cos: unaryRule('Cos'),
  leaky_relu: unaryRule('LeakyRelu', (at) => [a('alpha', at.alpha as number, true)]),
  elu: unaryRule('Elu', (at) => [a('alpha', at.alpha as number, true)]),
  rsqrt: (ctx, [x], [y]) => {
    const s = ctx.temp();
    ctx.node('Sqrt', [ctx.input(x)], [s]);
    ctx.node('Reciprocal', [s], [ctx.output(y)]);
  },
  softplus: (ctx, [x], [y], at) => {
    if (at.beta !== 1) throw new RangeError(`exportOnnx: softplus with beta ${at.beta} has no ONNX equivalent (Softplus has beta 1)`);
    ctx.node('Softplus', [ctx.input(x)], [ctx.output(y)]);
  },
  // Exact GELU as 0.5·x·(1 + erf(x/√2)), valid in every opset (Gelu itself needs opset 20).
  gelu: (ctx, [x], [y]) => {
    const [t1, t2, t3, t4] = [ctx.temp(), ctx.temp(), ctx.temp(), ctx.temp()];
    ctx.node('Mul', [ctx.input(x), ctx.floats([Math.SQRT1_2], [])], [t1]);
    ctx.node('Erf', [t1], [t2]);
    ctx.node('Add', [t2, ctx.floats([1], [])], [t3]);
    ctx.node('Mul', [ctx.input(x), t3], [t4]);
    ctx.node('Mul', [t4, ctx.floats([0.5], [])], [ctx.output(y)]);
  },
  hardtanh: (ctx, [x], [y], at) => clip(ctx, x!, y, at.min as number, at.max as number),
  clamp: (ctx, [x], [y], at) => clip(ctx, x!, y, at.min as number | undefined, at.max as number | undefined),
  pow_scalar: (ctx, [x], [y], at) => ctx.node('Pow', [ctx.input(x), ctx.floats([at.exponent as number], [])], [ctx.output(y)]),
  add: binaryRule('Add'),
  sub: binaryRule('Sub'),
  mul: binaryRule('Mul'),
  div: binaryRule('Div'),
  pow: binaryRule('Pow'),
  maximum: binaryRule('Max'),
  minimum: binaryRule('Min'),
  softmax: unaryRule('Softmax', (at) => [a('axis', at.dim as number)]),
  log_softmax: unaryRule('LogSoftmax', (at) => [a('axis', at.dim as number)]),
  cat: (ctx, inputs, [y], at) => ctx.node('Concat', inputs.map((t) => ctx.input(t)), [ctx.output(y)], [a('axis', at.dim as number)]),
  split: (ctx, [x], outputs, at) => {
    const d = at.dim as number;
    ctx.node('Split', [ctx.input(x), ctx.ints(outputs.map((o) => o.shape[d]))], outputs.map((o) => ctx.output(o)), [a('axis', d)]);
  },
  slice: (ctx, [x], [y], at) => {
    const [d, start, step] = [at.dim as number, at.start as number, at.step as number];
    const end = start + (y.shape[d] - 1) * step + 1;
    ctx.node('Slice', [ctx.input(x), ctx.ints([start]), ctx.ints([end]), ctx.ints([d]), ctx.ints([step])], [ctx.output(y)]);
  },
  pad: (ctx, [x], [y], at) => {
    const p = at.pads as number[];
    const n = x!.ndim;
    const pads = [...Array.from({ length: n }, (_, i) => p[2 * i]), ...Array.from({ length: n }, (_, i) => p[2 * i + 1])];
    const mode = at.mode === 'replicate' ? 'edge' : (at.mode as string);
    ctx.node('Pad', [ctx.input(x), ctx.ints(pads), ctx.floats([at.value as number], [])], [ctx.output(y)], [a('mode', mode)]);
  },
  index_select: (ctx, [x, index], [y], at) => ctx.node('Gather', [ctx.input(x), int64(ctx, index!)], [ctx.output(y)], [a('axis', at.dim as number)]),
  gather: (ctx, [x, index], [y], at) => ctx.node('GatherElements', [ctx.input(x), int64(ctx, index!)], [ctx.output(y)], [a('axis', at.dim as number)]),
  eq: comparison('Equal'),
  ne: comparison('Equal', true),
  lt: comparison('Less'),
  le: comparison('LessOrEqual'),
  gt: comparison('Greater'),
  ge: comparison('GreaterOrEqual'),
  where: (ctx, [c, x, y], [z]) => {
    const cond = ctx.temp();
    ctx.node('Cast', [ctx.input(c)], [cond], [a('to', onnx.TensorProto.DataType.BOOL)]);
    ctx.node('Where', [cond, ctx.input(x), ctx.input(y)], [ctx.output(z)]);
  },
  permute: (ctx, [x], [y], at) => ctx.node('Transpose', [ctx.input(x)], [ctx.output(y)], [a('perm', at.perm as number[])]),
  expand: (ctx, [x], [y]) => ctx.node('Expand', [ctx.input(x), ctx.shape(y.shape)], [ctx.output(y)]),
  copy: unaryRule('Identity'),
  cast: (ctx, [x], [y]) => {
    const T = onnx.TensorProto.DataType;
    ctx.node('Cast', [ctx.input(x)], [ctx.output(y)], [a('to', y.dtype === 'float32' ? T.FLOAT : T.INT32)]);
  },
  fill: (ctx, _inputs, [y], at) => {
    const T = onnx.TensorProto.DataType;
    const value: onnx.ITensorProto =
      y.dtype === 'float32' ? { dims: [1], dataType: T.FLOAT, floatData: [at.value as number] } : { dims: [1], dataType: T.INT32, int32Data: [at.value as number] };
    const A = onnx.AttributeProto.AttributeType;
    ctx.node('ConstantOfShape', [ctx.shape(y.shape)], [ctx.output(y)], [{ name: 'value', type: A.TENSOR, t: value }]);
  },
  sum: reduceRule('ReduceSum'),
  mean: reduceRule('ReduceMean'),
  max: reduceRule('ReduceMax'),
  min: reduceRule('ReduceMin'),
  rnn_forward: rnnRule,
  reshape: view,
  flatten: view,
  squeeze: view,
  unsqueeze: view,
};

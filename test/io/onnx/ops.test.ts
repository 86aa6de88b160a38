/**
 * @jest-environment ./test/io/onnx/ort-environment.js
 */
// Op-level ONNX checks, so that a failure points at an op rather than a model: each case is a one-op
// module exported and run by onnxruntime-node, imported and exported again (helpers.roundTrip), and the
// import rules for the older attribute forms are checked on hand-written graphs against onnxruntime.
import * as ds from '../../../src';
import { Tensor } from '../../../src';
import { onnx } from 'onnx-proto';
import { TOL, expectRoundTrip, relErr, roundTrip, runOrt } from './helpers';
import { expectError } from '../../helpers';

const F = ds.nn.functional;

// A module around one function of the input and its own parameters (registered, so they become named
// initializers).
class OneOp extends ds.nn.Module {
  constructor(
    private readonly fn: (x: Tensor, p: Tensor[]) => Tensor,
    shapes: number[][] = [],
  ) {
    super();
    shapes.forEach((s, i) => this.registerParameter(`p${i}`, ds.randn(s)));
  }
  override forward(x: Tensor): Tensor {
    return this.fn(x, this.parameters());
  }
}

type OpCase = [string, (x: Tensor, p: Tensor[]) => Tensor, number[], number[][]];

const OPS: OpCase[] = [
  ['conv: groups 2, dilation 2, stride 2, asymmetric padding', (x, [w, b]) => ds.conv2d(x, w, b, { groups: 2, dilation: 2, stride: 2, padding: [1, 2, 0, 3] }), [4, 11, 9], [[6, 2, 3, 3], [6]]],
  ["conv: 'same' with an even kernel", (x, [w]) => ds.conv2d(x, w, null, { padding: 'same' }), [3, 7, 8], [[5, 3, 4, 2]]],
  ['conv: depthwise, stride 3', (x, [w, b]) => ds.conv2d(x, w, b, { groups: 4, stride: 3, padding: 1 }), [4, 10, 13], [[8, 1, 3, 3], [8]]],
  ['max pool: ceil mode, padding, dilation', (x) => ds.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, dilation: 2, ceilMode: true }), [3, 12, 11], []],
  ['max pool: ceil mode, stride 2 (GoogLeNet)', (x) => ds.maxPool2d(x, { kernelSize: 3, stride: 2, ceilMode: true }), [2, 14, 13], []],
  ['avg pool: ceil mode, count_include_pad false', (x) => ds.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [3, 10, 9], []],
  ['avg pool: count_include_pad', (x) => ds.avgPool2d(x, { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1] }), [3, 9, 8], []],
  ['adaptive avg pool 8x6 -> 4x3', (x) => ds.adaptiveAvgPool2d(x, [4, 3]), [3, 8, 6], []],
  ['adaptive max pool -> 1', (x) => ds.adaptiveMaxPool2d(x, 1), [3, 7, 5], []],
  ['LRN', (x) => ds.localResponseNorm(x, 5, { alpha: 1e-3, beta: 0.75, k: 2 }), [7, 5, 4], []],
  ['batch norm (inference)', (x, [rm, rv, w, b]) => ds.batchNorm(x, rm, ds.abs(rv).add(0.5), w, b, { eps: 1e-3 }), [5, 4, 3], [[5], [5], [5], [5]]],
  ['resize nearest, scale 2', (x) => ds.interpolate(x, { scaleFactor: 2, mode: 'nearest' }), [2, 5, 7], []],
  ['resize nearest, size 7x9', (x) => ds.interpolate(x, { size: [7, 9], mode: 'nearest' }), [2, 4, 5], []],
  ['resize bilinear, scale 1.5', (x) => ds.interpolate(x, { scaleFactor: 1.5, mode: 'bilinear' }), [2, 6, 5], []],
  ['resize bilinear, align corners', (x) => ds.interpolate(x, { size: [9, 4], mode: 'bilinear', alignCorners: true }), [2, 5, 7], []],
  ['pad constant (with a crop)', (x) => ds.pad(x, [1, 2, -1, 3], { value: 0.5 }), [2, 5, 6], []],
  ['pad reflect', (x) => ds.pad(x, [2, 1, 1, 2], { mode: 'reflect' }), [2, 5, 6], []],
  ['pad replicate', (x) => ds.pad(x, [0, 3, 2, 0], { mode: 'replicate' }), [2, 5, 6], []],
  ['linear on 3-D input', (x, [w, b]) => ds.linear(x.flatten(2), w, b), [3, 4, 5], [[7, 20], [7]]],
  ['matmul with transB', (x, [w]) => ds.matmul(x.flatten(1), w, { transB: true }), [3, 4, 5], [[6, 60]]],
  ['softmax, log-softmax', (x) => ds.add(ds.softmax(x, 1), ds.logSoftmax(x, -1)), [4, 3, 5], []],
  ['cat, split, narrow', (x) => { const [a, b] = ds.split(x, [1, 2], 1); return ds.cat([b, a, ds.narrow(x, 1, 1, 2)], 1); }, [3, 4, 5], []],
  ['permute, mean over axes', (x) => ds.mean(ds.permute(x, [0, 2, 3, 1]), [1, 2]), [3, 4, 5], []],
  ['activations', (x) => ds.add(ds.add(ds.gelu(x), ds.leakyRelu(x, 0.2)), ds.add(ds.elu(x, 0.7), ds.add(ds.hardtanh(x, -0.5, 0.6), ds.softplus(x)))), [3, 4], []],
  ['sigmoid, tanh, scalar arithmetic', (x) => ds.div(ds.mul(ds.sigmoid(x), 3), ds.sub(ds.tanh(x), 2)), [3, 4], []],
];

describe('single ops through onnxruntime-node', () => {
  test.each(OPS)('%s', async (_name, fn, shape, params) => {
    ds.manualSeed(7);
    const model = new OneOp(fn, params);
    try {
      expectRoundTrip(await roundTrip(model, ds.randn([2, ...shape]), ds.randn([1, ...shape])));
    } finally {
      model.dispose();
    }
  });
});

// ------------------------------------------------------------------ import of hand-written graphs

const A = onnx.AttributeProto.AttributeType;
const attr = (name: string, v: number | number[] | string): onnx.IAttributeProto =>
  typeof v === 'string' ? { name, type: A.STRING, s: new TextEncoder().encode(v) } : Array.isArray(v) ? { name, type: A.INTS, ints: v } : { name, type: A.INT, i: v };
const floatAttr = (name: string, f: number): onnx.IAttributeProto => ({ name, type: A.FLOAT, f });

function floatInit(name: string, t: Tensor): onnx.ITensorProto {
  return { name, dims: [...t.shape], dataType: onnx.TensorProto.DataType.FLOAT, floatData: Array.from(t.dataSync()) };
}
function intInit(name: string, v: number[]): onnx.ITensorProto {
  return { name, dims: [v.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: v };
}

// One graph: input `input` of `shape`, nodes, initializers; the last node's first output is `output`.
function graph(opset: number, shape: number[], nodes: onnx.INodeProto[], inits: onnx.ITensorProto[] = []): Uint8Array {
  const vi = (name: string, dims?: number[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: dims ? { dim: dims.map((d) => ({ dimValue: d })) } : undefined } },
  });
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'g', node: nodes, initializer: inits, input: [vi('input', shape)], output: [vi('output')] },
  }).finish();
}

type ImportCase = [string, number, number[], onnx.INodeProto[], (() => onnx.ITensorProto[])?];

const IMPORTS: ImportCase[] = [
  ['Conv auto_pad SAME_UPPER, stride 2', 13, [1, 3, 9, 8], [{ opType: 'Conv', input: ['input', 'w'], output: ['output'], attribute: [attr('auto_pad', 'SAME_UPPER'), attr('strides', [2, 2])] }], () => [floatInit('w', ds.randn([4, 3, 4, 3]))]],
  ['Conv auto_pad SAME_LOWER', 13, [1, 3, 7, 8], [{ opType: 'Conv', input: ['input', 'w', 'b'], output: ['output'], attribute: [attr('auto_pad', 'SAME_LOWER')] }], () => [floatInit('w', ds.randn([2, 3, 2, 4])), floatInit('b', ds.randn([2]))]],
  ['Gemm alpha, beta, transA, 2-D C', 13, [5, 3], [{ opType: 'Gemm', input: ['input', 'w', 'c'], output: ['output'], attribute: [attr('transA', 1), floatAttr('alpha', 0.5), floatAttr('beta', 2)] }], () => [floatInit('w', ds.randn([5, 4])), floatInit('c', ds.randn([3, 4]))]],
  ['Split with the split attribute (opset 11)', 11, [2, 6, 3], [{ opType: 'Split', input: ['input'], output: ['a', 'b'], attribute: [attr('axis', 1), attr('split', [2, 4])] }, { opType: 'Sub', input: ['b', 'c'], output: ['output'] }], () => [floatInit('c', ds.randn([1, 4, 1]))]],
  ['Split into equal parts (opset 13)', 13, [2, 6, 3], [{ opType: 'Split', input: ['input'], output: ['a', 'b', 'c'], attribute: [attr('axis', 1)] }, { opType: 'Mul', input: ['a', 'c'], output: ['output'] }]],
  ['ReduceMean with the axes attribute (opset 13)', 13, [2, 3, 4, 5], [{ opType: 'ReduceMean', input: ['input'], output: ['output'], attribute: [attr('axes', [1, 3]), attr('keepdims', 1)] }]],
  ['ReduceSum with axes as input (opset 13)', 13, [2, 3, 4], [{ opType: 'ReduceSum', input: ['input', 'axes'], output: ['output'], attribute: [attr('keepdims', 0)] }], () => [intInit('axes', [-1])]],
  ['Pad with inputs (opset 11), edge', 11, [1, 2, 4, 5], [{ opType: 'Pad', input: ['input', 'pads'], output: ['output'], attribute: [attr('mode', 'edge')] }], () => [intInit('pads', [0, 0, 1, 2, 0, 0, 2, 1])]],
  ['Clip with min/max inputs', 13, [3, 4], [{ opType: 'Clip', input: ['input', 'lo', 'hi'], output: ['output'] }], () => [floatInit('lo', ds.tensor([-0.3], [])), floatInit('hi', ds.tensor([0.4], []))]],
  ['Softmax of opset 11 (coerced to 2-D at axis 1)', 11, [2, 3, 4], [{ opType: 'Softmax', input: ['input'], output: ['output'], attribute: [attr('axis', 1)] }]],
  ['Flatten, Dropout, Identity', 13, [2, 3, 4], [{ opType: 'Flatten', input: ['input'], output: ['f'], attribute: [attr('axis', 2)] }, { opType: 'Dropout', input: ['f'], output: ['d'] }, { opType: 'Identity', input: ['d'], output: ['output'] }]],
  ['dynamic Reshape through Shape/Gather/Unsqueeze/Concat', 13, [2, 3, 4], [
    { opType: 'Shape', input: ['input'], output: ['s'] },
    { opType: 'Gather', input: ['s', 'zero'], output: ['n'], attribute: [attr('axis', 0)] },
    { opType: 'Unsqueeze', input: ['n', 'axes0'], output: ['n1'] },
    { opType: 'Concat', input: ['n1', 'minus1'], output: ['shape'], attribute: [attr('axis', 0)] },
    { opType: 'Reshape', input: ['input', 'shape'], output: ['output'] },
  ], () => [{ name: 'zero', dims: [], dataType: onnx.TensorProto.DataType.INT64, int64Data: [0] }, intInit('axes0', [0]), intInit('minus1', [-1])]],
  ['Resize nearest (asymmetric, floor) with scales', 13, [1, 2, 3, 4], [{ opType: 'Resize', input: ['input', '', 'scales'], output: ['output'], attribute: [attr('mode', 'nearest'), attr('coordinate_transformation_mode', 'asymmetric'), attr('nearest_mode', 'floor')] }], () => [floatInit('scales', ds.tensor([1, 1, 2, 3]))]],
  ['Resize linear (half_pixel) with sizes', 13, [1, 2, 3, 4], [{ opType: 'Resize', input: ['input', '', '', 'sizes'], output: ['output'], attribute: [attr('mode', 'linear'), attr('coordinate_transformation_mode', 'half_pixel')] }], () => [intInit('sizes', [1, 2, 7, 5])]],
  ['Erf', 13, [3, 5], [{ opType: 'Erf', input: ['input'], output: ['output'] }]],
  ['MaxPool SAME_UPPER with symmetric padding', 13, [1, 2, 7, 7], [{ opType: 'MaxPool', input: ['input'], output: ['output'], attribute: [attr('auto_pad', 'SAME_UPPER'), attr('kernel_shape', [3, 3])] }]],
  ['Constant nodes (a float tensor, int64 values)', 13, [2, 3, 4], [
    { opType: 'Constant', input: [], output: ['c'], attribute: [{ name: 'value', type: A.TENSOR, t: { dims: [1, 12], dataType: onnx.TensorProto.DataType.FLOAT, floatData: Array.from({ length: 12 }, (_, i) => i / 7) } }] },
    { opType: 'Constant', input: [], output: ['shape'], attribute: [{ name: 'value_ints', type: A.INTS, ints: [2, 12] }] },
    { opType: 'Reshape', input: ['input', 'shape'], output: ['r'] },
    { opType: 'Add', input: ['r', 'c'], output: ['output'] },
  ]],
];

describe('importOnnx against onnxruntime-node on hand-written graphs', () => {
  // Every row gets its initializer list, so that jest sees the same arity for all of them.
  test.each(IMPORTS.map(([n, o, s, g, i]) => [n, o, s, g, i ?? (() => [])] as const))('%s', async (_name, opset, shape, nodes, inits) => {
    ds.manualSeed(3);
    const bytes = graph(opset, shape, nodes, inits());
    const x = ds.randn(shape);
    const expected = await runOrt(bytes, x);
    const model = await ds.io.importOnnx(bytes);
    try {
      const y = ds.noGrad(() => model.eval().forward(x) as Tensor);
      expect([...y.shape]).toEqual(expected.dims);
      expect(relErr(y.dataSync(), expected.data)).toBeLessThan(TOL);
    } finally {
      model.dispose();
    }
  });

  test('unsupported ops are listed by name with counts in one error', async () => {
    const bytes = graph(13, [2, 3], [
      { opType: 'Relu', input: ['input'], output: ['a'] },
      { opType: 'NonMaxSuppression', input: ['a'], output: ['b'] },
      { opType: 'Hardmax', input: ['b'], output: ['c'] },
      { opType: 'NonMaxSuppression', input: ['c'], output: ['output'] },
    ]);
    await expect(ds.io.importOnnx(bytes)).rejects.toThrow('importOnnx: the graph uses ops that are not supported: NonMaxSuppression (2×), Hardmax (1×)');
  });

  test('opsets before 11 and non-ONNX bytes are refused', async () => {
    await expect(ds.io.importOnnx(graph(9, [2], [{ opType: 'Relu', input: ['input'], output: ['output'] }]))).rejects.toThrow('opset 9 is not supported');
    await expect(ds.io.importOnnx(new Uint8Array([0xff, 0xff, 0xff]))).rejects.toThrow(TypeError);
    await expect(ds.io.importOnnx(42 as never)).rejects.toThrow("importOnnx: argument 'pathOrBytes' must be a path or a Uint8Array");
  });
});

describe('export options', () => {
  const model = new OneOp((x, [w]) => ds.mean(ds.mul(x, w), [1, 2]).flatten(1).reshape([x.shape[0], -1]), [[3, 1, 5]]);
  test.each([13, 18, 21])('opset %d (ReduceMean axes as attribute or input)', async (opset) => {
    ds.manualSeed(2);
    expectRoundTrip(await roundTrip(model, ds.randn([2, 3, 4, 5]), ds.randn([5, 3, 4, 5]), { opset }));
  });
  test('dynamicBatch false writes the traced batch size', async () => {
    const x = ds.randn([2, 3, 4, 5]);
    const proto = onnx.ModelProto.decode(ds.io.toOnnx(model, x, { dynamicBatch: false }).bytes);
    expect(proto.graph!.input![0].type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue))).toEqual([2, 3, 4, 5]);
    expect(proto.graph!.node!.some((n) => n.opType === 'Shape')).toBe(false);
    await expect(runOrt(ds.io.toOnnx(model, x, { dynamicBatch: false }).bytes, ds.randn([3, 3, 4, 5]))).rejects.toThrow();
    const dynamic = onnx.ModelProto.decode(ds.io.toOnnx(model, x).bytes);
    expect(dynamic.graph!.input![0].type!.tensorType!.shape!.dim![0].dimParam).toBe('N');
  });
});

describe('imported modules', () => {
  test('give the gradients of the original module', async () => {
    ds.manualSeed(9);
    const net = new ds.nn.Sequential(new ds.nn.Conv2d(2, 3, 3, { padding: 1, groups: 1 }), new ds.nn.Tanh(), new ds.nn.MaxPool2d(2), new ds.nn.Flatten(), new ds.nn.Linear(3 * 3 * 3, 4));
    const x = ds.randn([2, 2, 7, 6]);
    const model = await ds.io.importOnnx(ds.io.toOnnx(net, x).bytes);
    try {
      const w = ds.randn([2, 4]);
      ds.sum(ds.mul(net.call(x), w)).backward();
      ds.sum(ds.mul(model.forward(x) as Tensor, w)).backward();
      const ours = new Map(model.namedParameters());
      for (const [name, p] of net.namedParameters()) {
        // The same ops on the same values: equal up to the order of float sums.
        expect(relErr(ours.get(name)!.grad!.dataSync(), p.grad!.dataSync())).toBeLessThan(1e-6);
      }
    } finally {
      model.dispose();
      net.dispose();
    }
  });

  test('keep the parameter names, train, and reach intermediate values', async () => {
    ds.manualSeed(5);
    const net = new ds.nn.Sequential(new ds.nn.Conv2d(1, 4, 3), new ds.nn.BatchNorm2d(4), new ds.nn.ReLU(), new ds.nn.Flatten(), new ds.nn.Linear(4 * 6 * 6, 3));
    const x = ds.randn([4, 1, 8, 8]);
    const { bytes } = ds.io.toOnnx(net, x);
    const model = await ds.io.importOnnx(bytes);
    try {
      expect(model.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '4.weight', '4.bias']);
      expect(model.namedBuffers().map(([n]) => n)).toEqual(['1.running_mean', '1.running_var']);
      const seen: string[] = [];
      model.onValue = (name) => seen.push(name);
      model.train();
      const target = ds.tensor([0, 2, 1, 1], undefined, { dtype: 'int32' });
      const opt = new ds.optim.SGD(model.parameters(), { lr: 0.1 });
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) {
        opt.zeroGrad();
        const loss = ds.crossEntropy(model.forward(x) as Tensor, target);
        loss.backward();
        losses.push(loss.itemSync());
        opt.step();
      }
      expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
      expect(losses[4]).toBeLessThan(losses[0]);
      expect(seen.length).toBeGreaterThan(4);
      model.onValue = null;
    } finally {
      model.dispose();
      net.dispose();
    }
  });
});

describe('exportOnnx errors', () => {
  const net = new ds.nn.Linear(3, 2);
  test('bad arguments name the function and the argument', () => {
    expectError(() => ds.io.toOnnx({} as never, ds.randn([1, 3])), TypeError, "exportOnnx: argument 'model' must be an nn.Module");
    expectError(() => ds.io.toOnnx(net, [1, 2] as never), TypeError, "argument 'sampleInput' must be a Tensor");
    expectError(() => ds.io.toOnnx(net, ds.randn([1, 3]), { opset: 11 }), RangeError, "'opset' must be an integer from 13 to 21, got 11");
  });
  test('ops without an export rule are listed with counts', () => {
    const m = new OneOp((x) => ds.add(ds.argmax(x, 1).reshape([-1, 1]), x));
    expectError(() => ds.io.toOnnx(m, ds.randn([2, 3])), TypeError, 'exportOnnx: OneOp runs ops that have no ONNX export rule: argmax (1×)');
  });
  test('random draws in the forward are refused rather than frozen into the file', () => {
    const m = new OneOp((x) => ds.add(x, ds.randn([...x.shape])));
    expectError(() => ds.io.toOnnx(m, ds.randn([2, 3])), TypeError, 'random_normal (1×)');
  });
  test('the file is written and its bytes returned', async () => {
    const path = require('path').join(require('os').tmpdir(), `ds-onnx-${process.pid}.onnx`);
    const info = await ds.io.exportOnnx(net, ds.randn([2, 3]), path);
    expect(Buffer.from(info.bytes).equals(require('fs').readFileSync(path))).toBe(true);
    expect(info.opCounts).toEqual({ Gemm: 1, Identity: 1 });
    expect(info.initializers).toEqual(['weight', 'bias']);
    require('fs').unlinkSync(path);
  });
});

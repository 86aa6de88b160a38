/**
 * Convolutions on the CPU: every distinct convolution of ResNet-18 and ResNet-50 (found by running the
 * zoo's models with forward hooks at 224×224), forward against onnxruntime-node's Conv on the same
 * operands in the same run, and our backward-data and backward-weight kernels, each in GFLOP/s and as a
 * share of the FP32 peak measured just before.
 * Usage: npx ts-node --transpile-only bench/kernels/conv.ts [--batch N] [--threads N] [--model resnet18|resnet50] [--quick]
 */
import * as ds from '../../src';
import { run1 } from '../../src/ops/util';
import { fmt, intAttr, intsAttr, oneNodeModel, option, ortSession, ortTensor, printTable, timeAdaptive } from '../common';

interface ConvShape {
  x: number[];
  w: number[];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
  count: number;
}

/** The distinct convolutions a model runs on one 224×224 image, with how often each occurs. */
function convolutionsOf(model: ds.nn.Module, batch: number): ConvShape[] {
  const seen = new Map<string, ConvShape>();
  const handles = [...model.modules()]
    .filter((m): m is ds.nn.Conv2d => m instanceof ds.nn.Conv2d)
    .map((m) =>
      m.registerForwardHook((_mod, inputs) => {
        const x = inputs[0] as ds.Tensor;
        const pad = typeof m.padding === 'number' ? [m.padding, m.padding] : m.padding;
        if (typeof pad === 'string' || pad.length !== 2) throw new Error(`conv bench: padding ${JSON.stringify(pad)} is not supported here`);
        const s: ConvShape = { x: [batch, ...x.shape.slice(1)], w: [...m.weight.shape], stride: m.stride, padding: [pad[0], pad[1]], dilation: m.dilation, groups: m.groups, count: 1 };
        const key = JSON.stringify([s.x, s.w, s.stride, s.padding, s.dilation, s.groups]);
        const prev = seen.get(key);
        if (prev) prev.count++;
        else seen.set(key, s);
      }),
    );
  ds.noGrad(() => ds.tidy(() => model.eval().call(ds.randn([1, 3, 224, 224]))));
  handles.forEach((h) => h.remove());
  return [...seen.values()];
}

const outSize = (s: ConvShape): number[] => {
  const o = (i: number) => Math.floor((s.x[2 + i] + 2 * s.padding[i] - s.dilation[i] * (s.w[2 + i] - 1) - 1) / s.stride[i]) + 1;
  return [s.x[0], s.w[0], o(0), o(1)];
};

async function rows(name: string, shapes: ConvShape[], threads: number, peak: number): Promise<(string | number)[][]> {
  const out: (string | number)[][] = [];
  for (const s of shapes) {
    const y = outSize(s);
    const attrs = { stride: s.stride, padding: s.padding, dilation: s.dilation, groups: s.groups };
    const x = ds.randn(s.x), w = ds.randn(s.w), b = ds.randn([s.w[0]]), gy = ds.randn(y);
    const timeOp = (fn: () => void) =>
      timeAdaptive(() => {
        ds.tidy(fn);
        ds.synchronize();
      }, 800);
    const fwd = await timeOp(() => void run1('conv2d', [x, w, b], y, 'float32', x.device, attrs));
    const bwdData = await timeOp(() => void run1('conv2d_backward_data', [gy, w, null], s.x, 'float32', x.device, attrs));
    const bwdWeight = await timeOp(() => void run1('conv2d_backward_weight', [x, gy], s.w, 'float32', x.device, attrs));
    const session = await ortSession(
      oneNodeModel({
        opType: 'Conv',
        inputs: [{ name: 'x', dims: s.x }, { name: 'w', dims: s.w }, { name: 'b', dims: [s.w[0]] }],
        output: { name: 'y', dims: y },
        attributes: [
          intsAttr('strides', s.stride),
          intsAttr('pads', [s.padding[0], s.padding[1], s.padding[0], s.padding[1]]),
          intsAttr('dilations', s.dilation),
          intsAttr('kernel_shape', s.w.slice(2)),
          intAttr('group', s.groups),
        ],
      }),
      threads,
    );
    const feeds = { x: ortTensor(x.dataSync() as Float32Array, s.x), w: ortTensor(w.dataSync() as Float32Array, s.w), b: ortTensor(b.dataSync() as Float32Array, [s.w[0]]) };
    const theirs = await timeAdaptive(() => session.run(feeds), 800);
    await session.release();
    ds.dispose([x, w, b, gy]);
    const flop = (2 * y.reduce((p, q) => p * q, 1) * s.w[1] * s.w[2] * s.w[3]);
    const gf = (ms: number) => flop / ms / 1e6;
    const pct = (ms: number) => `${fmt((100 * gf(ms)) / peak, 0)}%`;
    out.push([
      `${name} ${s.w[2]}×${s.w[3]}/${s.stride[0]} ${s.x[1]}→${s.w[0]} @${s.x[2]}${s.groups > 1 ? ` g${s.groups}` : ''} ×${s.count}`,
      fmt(fwd, 3), fmt(gf(fwd), 1), pct(fwd), fmt(theirs, 3), fmt(gf(theirs), 1), fmt(fwd / theirs),
      fmt(bwdData, 3), fmt(gf(bwdData), 1), pct(bwdData), fmt(bwdWeight, 3), fmt(gf(bwdWeight), 1), pct(bwdWeight),
    ]);
  }
  return out;
}

async function main(): Promise<void> {
  const batch = Number(option('batch', '1'));
  const threads = Number(option('threads', String(ds.getNumThreads())));
  const which = option('model');
  const quick = process.argv.includes('--quick');
  ds.setNumThreads(threads);
  const { gflops: peak } = await ds.measureCpuPeak({ threads });
  const models: [string, () => ds.nn.Module][] = [
    ['r18', () => ds.models.resnet18()],
    ['r50', () => ds.models.resnet50()],
  ];
  const table: (string | number)[][] = [];
  for (const [name, make] of models) {
    if (which && !`resnet${name.slice(1)}`.includes(which)) continue;
    const model = make();
    let shapes = convolutionsOf(model, batch);
    model.dispose();
    if (quick) shapes = shapes.slice(0, 4);
    table.push(...(await rows(name, shapes, threads, peak)));
  }
  printTable(
    `Convolutions of ResNet-18/50 at 224×224, batch ${batch}, ${threads} thread(s), ISA ${ds.cpuInfo().active}, measured FP32 peak ${fmt(peak, 0)} GFLOP/s (ms: median; ratio = ours / onnxruntime forward, < 1 is faster)`,
    ['convolution (k/stride in→out @size ×count)', 'fwd ms', 'GFLOP/s', '%peak', 'ort ms', 'GFLOP/s', 'ratio', 'bwd-data ms', 'GFLOP/s', '%peak', 'bwd-w ms', 'GFLOP/s', '%peak'],
    table,
  );
}

void main();

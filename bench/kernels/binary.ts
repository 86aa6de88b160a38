/**
 * Binary convolution on the CPU: the 3×3 convolutions of binary ResNet-18 at 224×224 by XNOR + popcount,
 * against our FP32 convolution and onnxruntime-node's FP32 Conv on the same shape in the same run; then
 * whole-network inference of the packed XNOR ResNet-18 against our FP32 ResNet-18, with model sizes.
 *
 * Per layer: `xnor kernel` is binary_conv2d on operands packed beforehand; `xnor layer` adds what an
 * inference layer does per call (packing the input's signs, K = box-filtered mean |x|, scaling by α and K).
 * Speed-ups are FP32 time / XNOR time (> 1: binary is faster). "GOP/s" counts 2 operations per
 * multiply-add of the equivalent float convolution. Weight memory: FP32 bytes / packed bytes (with α).
 * With a GPU, `cuda kernel` times the CUDA binary_conv2d on the same packed operands (there is no CUDA FP32
 * convolution yet to race it against).
 * Usage: npx ts-node --transpile-only bench/kernels/binary.ts [--batch N] [--threads N] [--quick]
 */
import * as ds from '../../src';
import { run1 } from '../../src/ops/util';
import { fmt, intAttr, intsAttr, oneNodeModel, option, ortSession, ortTensor, printTable, timeAdaptive } from '../common';

interface Shape {
  c: number;
  o: number;
  size: number;
  stride: number;
}

// The binary 3×3 convolutions of ResNet-18 at 224×224 (the stem and the 1×1 shortcuts stay real).
const SHAPES: Shape[] = [
  { c: 64, o: 64, size: 56, stride: 1 },
  { c: 64, o: 128, size: 56, stride: 2 },
  { c: 128, o: 128, size: 28, stride: 1 },
  { c: 128, o: 256, size: 28, stride: 2 },
  { c: 256, o: 256, size: 14, stride: 1 },
  { c: 256, o: 512, size: 14, stride: 2 },
  { c: 512, o: 512, size: 7, stride: 1 },
];

const timeOp = (fn: () => void) =>
  timeAdaptive(() => {
    ds.tidy(fn);
    ds.synchronize();
  }, 800);

async function layerRow(s: Shape, batch: number, threads: number): Promise<(string | number)[]> {
  const xs = [batch, s.c, s.size, s.size];
  const ws = [s.o, s.c, 3, 3];
  const out = Math.floor((s.size + 2 - 3) / s.stride) + 1;
  const ys = [batch, s.o, out, out];
  const geo = { stride: s.stride, padding: 1 };
  const x = ds.randn(xs);
  const w = ds.randn(ws);
  const px = ds.bitpack(x);
  const pw = ds.bitpack(w);
  const alpha = ds.filterScale(w);
  const attrs = { channels: s.c, stride: [s.stride, s.stride], padding: [1, 1], dilation: [1, 1] };
  const kernel = await timeOp(() => void run1('binary_conv2d', [px.bits, pw.bits, null, null], ys, 'float32', x.device, attrs));
  const layer = await timeOp(() => void ds.binaryConv2d(x, pw, { ...geo, alpha, scale: ds.xnorScale(x, 3, geo) }));
  const ours = await timeOp(() => void ds.conv2d(x, w, null, geo));
  let gpu = '—';
  if (ds.cuda.available()) {
    const dev = ds.device('cuda');
    const gx = px.bits.to(dev);
    const gw = pw.bits.to(dev);
    gpu = fmt(await timeOp(() => void run1('binary_conv2d', [gx, gw, null, null], ys, 'float32', dev, attrs)), 3);
    ds.dispose([gx, gw]);
  }
  const session = await ortSession(
    oneNodeModel({
      opType: 'Conv',
      inputs: [{ name: 'x', dims: xs }, { name: 'w', dims: ws }],
      output: { name: 'y', dims: ys },
      attributes: [intsAttr('strides', [s.stride, s.stride]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('kernel_shape', [3, 3]), intAttr('group', 1)],
    }),
    threads,
  );
  const feeds = { x: ortTensor(x.dataSync() as Float32Array, xs), w: ortTensor(w.dataSync() as Float32Array, ws) };
  const ort = await timeAdaptive(() => session.run(feeds), 800);
  await session.release();
  const memRatio = (w.numel() * 4) / (pw.bits.numel() * 4 + alpha.numel() * 4);
  ds.dispose([x, w, alpha]);
  px.dispose();
  pw.dispose();
  const gop = (ms: number) => (2 * ys.reduce((a, b) => a * b, 1) * s.c * 9) / ms / 1e6;
  return [
    `3×3/${s.stride} ${s.c}→${s.o} @${s.size}`,
    fmt(kernel, 3), fmt(gop(kernel), 0), fmt(layer, 3), fmt(ours, 3), fmt(ort, 3), gpu,
    fmt(ours / kernel, 1), fmt(ort / kernel, 1), fmt(ours / layer, 1), fmt(ort / layer, 1), fmt(memRatio, 1),
  ];
}

async function networkRows(batch: number): Promise<(string | number)[][]> {
  const x = ds.randn([batch, 3, 224, 224]);
  const bytes = (m: ds.nn.Module) => [...m.stateDict().values()].reduce((s, t) => s + t.numel() * 4, 0);
  const fp32 = ds.models.resnet18().eval();
  const binary = ds.models.xnorResnet18().eval().pack();
  const run = (m: ds.nn.Module) => timeOp(() => void ds.noGrad(() => m.call(x)));
  const tf = await run(fp32);
  const tb = await run(binary);
  const rows = [
    ['ResNet-18 FP32 (ours)', fmt(tf, 1), '1.0', fmt(bytes(fp32) / 2 ** 20, 1), '1.0'],
    ['XNOR ResNet-18, packed', fmt(tb, 1), fmt(tf / tb, 2), fmt(bytes(binary) / 2 ** 20, 1), fmt(bytes(fp32) / bytes(binary), 1)],
  ];
  fp32.dispose();
  binary.dispose();
  x.dispose();
  return rows;
}

async function main(): Promise<void> {
  const batch = Number(option('batch', '1'));
  const threads = Number(option('threads', String(ds.getNumThreads())));
  const quick = process.argv.includes('--quick');
  ds.setNumThreads(threads);
  const table: (string | number)[][] = [];
  for (const s of quick ? SHAPES.slice(4, 5) : SHAPES) table.push(await layerRow(s, batch, threads));
  printTable(
    `Binary 3×3 convolutions of ResNet-18 at 224×224, batch ${batch}, ${threads} thread(s), ISA ${ds.cpuInfo().active} (ms: median; speed-up = FP32 ms / XNOR ms)`,
    ['convolution', 'xnor kernel ms', 'GOP/s', 'xnor layer ms', 'ours fp32 ms', 'ort fp32 ms', 'cuda kernel ms', 'kernel vs ours', 'kernel vs ort', 'layer vs ours', 'layer vs ort', 'weight mem ×'],
    table,
  );
  if (quick) return;
  printTable(
    `Whole network at 224×224, batch ${batch}, inference (eval, noGrad)`,
    ['network', 'ms', 'speed-up', 'state dict MiB', 'size ×'],
    await networkRows(batch),
  );
}

void main();

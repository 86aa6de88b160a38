/**
 * Whole-model inference on the CPU: ResNet-18, ResNet-50, VGG-16, DenseNet-121 (224×224) and LeNet-5
 * (32×32) at batch 1 and 8, ours (eval mode, no autograd) against onnxruntime-node running the same model
 * exported by our ONNX exporter, same weights and inputs, same thread count, in the same run. Outputs
 * are compared first (a benchmark of a wrong answer is worthless). Batch norms are folded into the
 * convolutions on both sides: onnxruntime's graph optimiser does it at load, we with nn.foldBatchNorm.
 * Usage: npx ts-node --transpile-only bench/models/inference.ts [--threads N] [--model NAME] [--batch N] [--quick]
 */
import * as ds from '../../src';
import { fmt, option, ortSession, ortTensor, printTable, timeAdaptive } from '../common';

const all: [string, () => ds.nn.Module, number][] = [
  ['lenet5', () => ds.models.lenet5({ modern: true }), 32],
  ['resnet18', () => ds.models.resnet18(), 224],
  ['resnet50', () => ds.models.resnet50(), 224],
  ['vgg16', () => ds.models.vgg16(), 224],
  ['densenet121', () => ds.models.densenet121(), 224],
];

async function main(): Promise<void> {
  const threads = Number(option('threads', String(ds.getNumThreads())));
  const only = option('model');
  const batches = option('batch') ? [Number(option('batch'))] : process.argv.includes('--quick') ? [1] : [1, 8];
  ds.setNumThreads(threads);
  const rows: (string | number)[][] = [];
  for (const [name, make, size] of all) {
    if (only && !name.includes(only)) continue;
    const model = make().eval();
    const channels = name === 'lenet5' ? 1 : 3;
    const { bytes } = ds.io.toOnnx(model, ds.randn([1, channels, size, size]), { dynamicBatch: true });
    const session = await ortSession(bytes, threads);
    ds.nn.foldBatchNorm(model, ds.randn([1, channels, size, size]));
    for (const batch of batches) {
      const x = ds.randn([batch, channels, size, size]);
      const feeds = { [session.inputNames[0]]: ortTensor(x.dataSync() as Float32Array, [...x.shape]) };
      const expected = (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
      const got = ds.noGrad(() => ds.tidy(() => model.call(x).dataSync() as Float32Array));
      let maxDiff = 0, maxRef = 0;
      for (let i = 0; i < expected.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
        maxRef = Math.max(maxRef, Math.abs(expected[i]));
      }
      const ours = await timeAdaptive(() => {
        ds.noGrad(() => ds.tidy(() => void model.call(x)));
        ds.synchronize();
      }, 3000, 20);
      const theirs = await timeAdaptive(() => session.run(feeds), 3000, 20);
      rows.push([name, batch, threads, fmt(ours, 1), fmt(theirs, 1), fmt(ours / theirs), (maxDiff / maxRef).toExponential(1)]);
      x.dispose();
    }
    await session.release();
    model.dispose();
  }
  printTable(
    `Inference, ${threads} thread(s), ISA ${ds.cpuInfo().active} (ms: median; ratio = ours / onnxruntime, < 1 is faster; rel. error of our logits against onnxruntime's)`,
    ['model', 'batch', 'thr', 'ours ms', 'ort ms', 'ratio', 'rel err'],
    rows,
  );
}

void main();

/**
 * Recurrent layers on the CPU: our fused LSTM and GRU (`ds.rnn`, one native call per sequence) against
 * onnxruntime-node's LSTM and GRU ops in the same run, on the file our ONNX exporter writes for the same
 * layer (outputs compared first: the largest absolute difference is printed), and our forward + backward
 * through time. The
 * issue's grid: hidden 256 and 1024, sequence 100, batch 1 and 32, input size = hidden. GFLOP/s counts
 * the GEMM work (2 flops per multiply-add; backward ≈ 2× forward) against the FP32 peak measured by
 * `measureCpuPeak` just before.
 * Usage: npx ts-node --transpile-only bench/kernels/rnn.ts [--threads N] [--quick]
 */
import * as ds from '../../src';
import { fmt, option, ortSession, ortTensor, printTable, timeAdaptive } from '../common';

const quick = process.argv.includes('--quick');
const T = 100;

// The layer's output alone (what the exported graph returns).
class Output extends ds.nn.Module {
  declare rnn: ds.nn.RNNBase;
  constructor(rnn: ds.nn.RNNBase) {
    super();
    this.registerModule('rnn', rnn);
  }
  override forward(x: ds.Tensor): ds.Tensor {
    return (this.rnn.call(x) as [ds.Tensor, unknown])[0];
  }
}

async function row(mode: 'lstm' | 'gru', H: number, B: number, threads: number, peak: number): Promise<(string | number)[]> {
  const G = mode === 'lstm' ? 4 : 3;
  ds.manualSeed(1);
  const layer = mode === 'lstm' ? new ds.nn.LSTM(H, H) : new ds.nn.GRU(H, H);
  const model = new Output(layer);
  const x = ds.uniform([T, B, H], -1, 1, { generator: new ds.Generator(2) });
  const w = layer.flatWeights();
  const session = await ortSession(ds.io.toOnnx(model, x, { dynamicBatch: false }).bytes, threads);
  const feeds = { input: ortTensor(x.dataSync() as Float32Array, [T, B, H]) };
  const ref = (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
  const mine = ds.noGrad(() => ds.tidy(() => model.call(x).dataSync()));
  let diff = 0;
  for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(ref[i] - mine[i]));

  const fwd = await timeAdaptive(() => {
    ds.tidy(() => {
      ds.noGrad(() => ds.rnn(x, w, null, null, { mode }));
    });
    ds.synchronize();
  });
  const theirs = await timeAdaptive(() => session.run(feeds));
  await session.release();
  const xg = x.detach().requiresGrad_(true);
  const fb = await timeAdaptive(() => {
    ds.tidy(() => {
      ds.rnn(xg, w, null, null, { mode }).output.sum().backward();
      for (const t of [xg, ...w]) {
        t.grad?.dispose();
        t.grad = null;
      }
    });
    ds.synchronize();
  });
  ds.dispose([x, xg]);
  const flop = 2 * T * B * G * H * (H + H);
  const gf = (ms: number, f: number) => (f * flop) / ms / 1e6;
  return [
    `${mode.toUpperCase()} H${H} B${B}`, fmt(fwd, 2), fmt(gf(fwd, 1), 1), `${fmt((100 * gf(fwd, 1)) / peak, 0)}%`,
    fmt(theirs, 2), fmt(gf(theirs, 1), 1), fmt(fwd / theirs), diff.toExponential(1), fmt(fb, 2), fmt(gf(fb, 3), 1),
  ];
}

async function main(): Promise<void> {
  const threads = Number(option('threads', String(ds.getNumThreads())));
  ds.setNumThreads(threads);
  const { gflops: peak } = await ds.measureCpuPeak({ threads });
  const rows: (string | number)[][] = [];
  for (const mode of ['lstm', 'gru'] as const) {
    for (const H of quick ? [256] : [256, 1024]) for (const B of [1, 32]) rows.push(await row(mode, H, B, threads, peak));
  }
  printTable(
    `RNN, sequence ${T}, input = hidden, ${threads} thread(s), ISA ${ds.cpuInfo().active}, measured FP32 peak ${fmt(peak, 0)} GFLOP/s ` +
      '(ms: median; ratio = ours / onnxruntime forward, < 1 is faster; max |diff| of the outputs)',
    ['case', 'fwd ms', 'GFLOP/s', '%peak', 'ort ms', 'GFLOP/s', 'ratio', 'max|diff|', 'fwd+bwd ms', 'GFLOP/s'],
    rows,
  );
}

void main();

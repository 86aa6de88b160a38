/**
 * Recurrent layers on the CPU: our fused LSTM and GRU (`ds.rnn`, one native call per sequence) against
 * onnxruntime-node's LSTM and GRU ops on the same weights in the same run, forward (outputs compared
 * first: the largest absolute difference is printed), and our forward + backward through time. The
 * issue's grid: hidden 256 and 1024, sequence 100, batch 1 and 32, input size = hidden. GFLOP/s counts
 * the GEMM work (2 flops per multiply-add; backward ≈ 2× forward) against the FP32 peak measured by
 * `measureCpuPeak` just before.
 * Usage: npx ts-node --transpile-only bench/kernels/rnn.ts [--threads N] [--quick]
 */
import * as ds from '../../src';
import { fmt, option, ortSession, ortTensor, printTable, timeAdaptive } from '../common';
import { fromOnnxY, onnxRnn } from '../onnx-rnn';

const quick = process.argv.includes('--quick');
const T = 100;

async function row(mode: 'lstm' | 'gru', H: number, B: number, threads: number, peak: number): Promise<(string | number)[]> {
  const G = mode === 'lstm' ? 4 : 3;
  const gen = new ds.Generator(1);
  const bound = 1 / Math.sqrt(H);
  const x = ds.uniform([T, B, H], -1, 1, { generator: gen });
  const w = [[G * H, H], [G * H, H], [G * H], [G * H]].map((s) => ds.uniform(s, -bound, bound, { generator: gen }));
  const h0 = ds.zeros([1, B, H]);
  const c0 = mode === 'lstm' ? ds.zeros([1, B, H]) : null;
  const { model, feeds } = onnxRnn(mode, x, w, h0, c0, false);
  const session = await ortSession(model, threads);
  const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, ortTensor(v.data, v.dims)]));
  const ref = fromOnnxY((await session.run(ortFeeds)).Y.data as Float32Array, T, 1, B, H);
  const mine = ds.tidy(() => ds.rnn(x, w, h0, c0, { mode }).output.dataSync());
  let diff = 0;
  for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(ref[i] - mine[i]));

  const fwd = await timeAdaptive(() => {
    ds.tidy(() => {
      ds.noGrad(() => ds.rnn(x, w, h0, c0, { mode }));
    });
    ds.synchronize();
  });
  const theirs = await timeAdaptive(() => session.run(ortFeeds));
  await session.release();
  const wg = w.map((t) => t.detach().requiresGrad_(true));
  const xg = x.detach().requiresGrad_(true);
  const fb = await timeAdaptive(() => {
    ds.tidy(() => {
      ds.rnn(xg, wg, h0, c0, { mode }).output.sum().backward();
      for (const t of [xg, ...wg]) {
        t.grad?.dispose();
        t.grad = null;
      }
    });
    ds.synchronize();
  });
  ds.dispose([x, ...w, h0, ...(c0 ? [c0] : []), xg, ...wg]);
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

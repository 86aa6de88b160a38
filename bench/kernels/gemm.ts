/**
 * GEMM on the CPU: our matmul against onnxruntime-node's MatMul on the same operands, in the same run, on
 * one thread and on all threads, with GFLOP/s as a share of the FP32 peak measured by `measureCpuPeak`
 * just before. Square sizes 256…4096, skinny shapes (a GEMV, thin panels, the GEMMs of ResNet's 1×1
 * convolutions and of a linear layer at batch 1 and 64) and the transposed-operand variants.
 * Usage: npx ts-node --transpile-only bench/kernels/gemm.ts [--threads N] [--quick]
 */
import * as ds from '../../src';
import { fmt, oneNodeModel, option, ortSession, ortTensor, printTable, timeAdaptive } from '../common';

interface Shape {
  name: string;
  m: number;
  k: number;
  n: number;
  transB?: boolean;
}

const quick = process.argv.includes('--quick');
const only = option('only');
const square = (quick ? [256, 512, 1024] : [256, 512, 1024, 2048, 4096]).map((s) => ({ name: `${s}³`, m: s, k: s, n: s }));
const skinny: Shape[] = [
  { name: 'GEMV 1×4096·4096×4096', m: 1, k: 4096, n: 4096 },
  { name: 'linear b1 1×25088·(4096×25088)ᵀ', m: 1, k: 25088, n: 4096, transB: true },
  { name: 'linear b64 64×2048·(1000×2048)ᵀ', m: 64, k: 2048, n: 1000, transB: true },
  { name: 'thin 4096×64·64×4096', m: 4096, k: 64, n: 4096 },
  { name: '1×1 conv 3136×64·64×256', m: 3136, k: 64, n: 256 },
  { name: '1×1 conv 196×1024·1024×256', m: 196, k: 1024, n: 256 },
  { name: '1024³ with Bᵀ', m: 1024, k: 1024, n: 1024, transB: true },
];

async function row(s: Shape, threads: number, peak: number): Promise<(string | number)[]> {
  const a = ds.randn([s.m, s.k]);
  const b = s.transB ? ds.randn([s.n, s.k]) : ds.randn([s.k, s.n]);
  const ours = await timeAdaptive(() => {
    // The block returns nothing, so tidy frees the product (a returned tensor would be kept).
    ds.tidy(() => {
      ds.matmul(a, b, { transB: !!s.transB });
    });
    ds.synchronize();
  });
  // onnxruntime has no transposed MatMul: Gemm with transB=1 is its form of A·Bᵀ.
  const model = s.transB
    ? oneNodeModel({
        opType: 'Gemm',
        inputs: [{ name: 'a', dims: [s.m, s.k] }, { name: 'b', dims: [s.n, s.k] }],
        output: { name: 'c', dims: [s.m, s.n] },
        attributes: [{ name: 'transB', type: 2, i: 1 }],
      })
    : oneNodeModel({
        opType: 'MatMul',
        inputs: [{ name: 'a', dims: [s.m, s.k] }, { name: 'b', dims: [s.k, s.n] }],
        output: { name: 'c', dims: [s.m, s.n] },
      });
  const session = await ortSession(model, threads);
  const feeds = { a: ortTensor(a.dataSync() as Float32Array, [...a.shape]), b: ortTensor(b.dataSync() as Float32Array, [...b.shape]) };
  const theirs = await timeAdaptive(() => session.run(feeds));
  await session.release();
  ds.dispose([a, b]);
  const flop = 2 * s.m * s.k * s.n;
  const gf = (ms: number) => flop / ms / 1e6;
  return [s.name, threads, fmt(ours, 3), fmt(gf(ours), 1), `${fmt((100 * gf(ours)) / peak, 0)}%`, fmt(theirs, 3), fmt(gf(theirs), 1), `${fmt((100 * gf(theirs)) / peak, 0)}%`, fmt(ours / theirs)];
}

async function main(): Promise<void> {
  const all = Number(option('threads', String(ds.getNumThreads())));
  const counts = all > 1 ? [1, all] : [1];
  const isa = ds.cpuInfo().active;
  for (const threads of counts) {
    ds.setNumThreads(threads);
    const { gflops: peak } = await ds.measureCpuPeak({ threads });
    const rows: (string | number)[][] = [];
    for (const s of [...square, ...(quick ? [] : skinny)].filter((x) => !only || x.name.includes(only))) rows.push(await row(s, threads, peak));
    printTable(
      `GEMM, ${threads} thread(s), ISA ${isa}, measured FP32 peak ${fmt(peak, 0)} GFLOP/s (time: ms, median; ratio = ours / onnxruntime, < 1 is faster)`,
      ['shape', 'thr', 'ours ms', 'GFLOP/s', '%peak', 'ort ms', 'GFLOP/s', '%peak', 'ratio'],
      rows,
    );
  }
  ds.setNumThreads(all);
}

void main();

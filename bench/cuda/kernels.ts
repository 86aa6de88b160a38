/**
 * The CUDA benchmark (run on the GPU machine by `scripts/gpu-check.sh run`, after the backend check):
 * GEMM 4096³ and the distinct convolutions of ResNet-50 at batch 32, forward, backward data and backward
 * weight, in FP32 and TF32 (DEEPSCOPE_CUDA_TF32=1), as TFLOP/s and as a share of the chip's datasheet peak.
 * When bench/cuda/torch_ref.py has written the same shapes' times through PyTorch (cuBLAS / cuDNN) to the
 * JSON file named by --torch, each row shows PyTorch's time and our time over theirs (the goal: ≤ 2).
 * Needs only the compiled library (no dev dependencies), so it runs on the bare device machine.
 * Usage: node build/gpu-check/bench/cuda/kernels.js [--torch file.json] [--quick] | --shapes
 */
import * as fs from 'fs';
import * as ds from '../../src';
import { run1 } from '../../src/ops/util';
import { BATCH, ConvShape, GEMMS, RESNET50, convFlops, outSize } from './shapes';

/** Datasheet peaks (dense TFLOP/s) by device name: FP32 and TF32. */
function peaks(name: string): { fp32: number; tf32: number } | null {
  if (/H100|H200/.test(name)) return /PCIe/.test(name) ? { fp32: 51, tf32: 378 } : { fp32: 67, tf32: 495 };
  if (/A100/.test(name)) return { fp32: 19.5, tf32: 156 };
  return null;
}

/** Median milliseconds of `fn` (enqueues work on the stream) over `runs` timed runs after two warm-ups. */
function timeMs(fn: () => ds.Tensor, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    ds.synchronize();
    const t0 = process.hrtime.bigint();
    const y = fn();
    ds.synchronize();
    const t = Number(process.hrtime.bigint() - t0) / 1e6;
    y.dispose();
    if (i >= 2) times.push(t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function main(): void {
  const args = process.argv.slice(2);
  if (args.includes('--shapes')) {
    console.log(JSON.stringify({ batch: BATCH, gemms: GEMMS, convs: RESNET50 }));
    return;
  }
  const info = ds.cuda.info();
  if (!info.available) {
    console.log(`CUDA unavailable (${info.reason}): nothing to benchmark`);
    return;
  }
  const quick = args.includes('--quick');
  const runs = quick ? 3 : 7;
  const torchFile = args[args.indexOf('--torch') + 1];
  const torch: Record<string, number> =
    args.includes('--torch') && fs.existsSync(torchFile) ? (JSON.parse(fs.readFileSync(torchFile, 'utf8')) as Record<string, number>) : {};
  const dev = ds.device('cuda');
  const peak = peaks(info.devices[0].name);
  const rows: string[][] = [];
  const row = (what: string, mode: 'fp32' | 'tf32', flops: number, ms: number) => {
    const tflops = flops / ms / 1e9;
    const ref = torch[`${mode} ${what}`];
    rows.push([
      `${mode} ${what}`,
      ms.toFixed(3),
      tflops.toFixed(1),
      peak ? `${((100 * tflops) / peak[mode]).toFixed(0)}%` : '-',
      ref ? ref.toFixed(3) : '-',
      ref ? (ms / ref).toFixed(2) : '-',
    ]);
  };
  for (const mode of ['fp32', 'tf32'] as const) {
    if (mode === 'tf32') process.env.DEEPSCOPE_CUDA_TF32 = '1';
    else delete process.env.DEEPSCOPE_CUDA_TF32;
    for (const n of GEMMS) {
      const a = ds.uniform([n, n], -1, 1).to(dev);
      const b = ds.uniform([n, n], -1, 1).to(dev);
      row(`gemm ${n}³`, mode, 2 * n ** 3, timeMs(() => ds.matmul(a, b), runs));
      a.dispose();
      b.dispose();
    }
    for (const s of quick ? RESNET50.slice(0, 6) : RESNET50) convRows(s, mode, runs, dev, row);
  }
  delete process.env.DEEPSCOPE_CUDA_TF32;
  const header = ['case', 'ms', 'TFLOP/s', '% peak', 'torch ms', 'ours/torch'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(`\n${info.devices[0].name}: peaks ${peak ? `${peak.fp32} (FP32) / ${peak.tf32} (TF32) TFLOP/s (datasheet)` : 'unknown'}`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

function convRows(
  s: ConvShape,
  mode: 'fp32' | 'tf32',
  runs: number,
  dev: ds.Device,
  row: (what: string, mode: 'fp32' | 'tf32', flops: number, ms: number) => void,
): void {
  const pad = Math.floor(s.k / 2);
  const o = outSize(s);
  const x = ds.uniform([BATCH, s.cin, s.size, s.size], -1, 1).to(dev);
  const w = ds.uniform([s.cout, s.cin, s.k, s.k], -1, 1).to(dev);
  const gy = ds.uniform([BATCH, s.cout, o, o], -1, 1).to(dev);
  // The three native kernels directly, as conv2d and its backward pass call them.
  const attrs = { stride: [s.stride, s.stride], padding: [pad, pad], dilation: [1, 1], groups: 1 };
  const f = convFlops(s);
  row(`conv fwd ${s.name}`, mode, f, timeMs(() => run1('conv2d', [x, w, null], [...gy.shape], 'float32', dev, attrs), runs));
  row(`conv bwd-data ${s.name}`, mode, f, timeMs(() => run1('conv2d_backward_data', [gy, w, null], [...x.shape], 'float32', dev, attrs), runs));
  row(`conv bwd-weight ${s.name}`, mode, f, timeMs(() => run1('conv2d_backward_weight', [x, gy], [...w.shape], 'float32', dev, attrs), runs));
  for (const t of [x, w, gy]) t.dispose();
}

main();

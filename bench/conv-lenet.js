#!/usr/bin/env node
// Times the CPU convolution kernels on the shapes of LeNet-5 (batch 64) and two larger shapes: forward,
// backward data and backward weight separately, each the median of many runs after warm-up. Each run is
// one native op inside `tidy` followed by `synchronize()`, so its output is freed before the next run.
// Usage (after `npm run build:native:cpu` and `npx tsc -p tsconfig.json`):
//   node bench/conv-lenet.js [--threads N] [--filter TEXT] [--json FILE]
'use strict';
const path = require('path');
const fs = require('fs');
const ds = require(path.join(__dirname, '..', 'lib'));
const { run1 } = require(path.join(__dirname, '..', 'lib', 'ops', 'util'));

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
if (opt('--threads')) ds.setNumThreads(Number(opt('--threads')));
const filter = opt('--filter');

// x, w, options (stride 1, no dilation; padding [top, left] as the native attrs want it).
const shapes = [
  { name: 'C1        ', x: [64, 1, 32, 32], w: [6, 1, 5, 5], groups: 1, pad: 0 },
  // C3 of the paper (PartialConv): maps grouped by fan-in, 3 / 4 / 6 inputs per map.
  { name: 'C3 g6 (3) ', x: [64, 18, 14, 14], w: [6, 3, 5, 5], groups: 6, pad: 0 },
  { name: 'C3 g9 (4) ', x: [64, 36, 14, 14], w: [9, 4, 5, 5], groups: 9, pad: 0 },
  { name: 'C3 g1 (6) ', x: [64, 6, 14, 14], w: [1, 6, 5, 5], groups: 1, pad: 0 },
  { name: 'C3 full   ', x: [64, 6, 14, 14], w: [16, 6, 5, 5], groups: 1, pad: 0 },
  { name: 'C5        ', x: [64, 16, 5, 5], w: [120, 16, 5, 5], groups: 1, pad: 0 },
  { name: 'P=4 3x3   ', x: [64, 32, 4, 4], w: [64, 32, 3, 3], groups: 1, pad: 0 },
  { name: 'big 56x56 ', x: [8, 64, 56, 56], w: [64, 64, 3, 3], groups: 1, pad: 1 },
  { name: 'big 31x29 ', x: [2, 16, 31, 29], w: [32, 16, 3, 3], groups: 1, pad: 1 },
];

function outSize(s) {
  const oh = s.x[2] + 2 * s.pad - s.w[2] + 1;
  const ow = s.x[3] + 2 * s.pad - s.w[3] + 1;
  return [s.x[0], s.w[0], oh, ow];
}

function median(a) {
  const b = [...a].sort((p, q) => p - q);
  return b[b.length >> 1];
}

// Runs fn (which queues one op) until ~budget ms are spent, at least minRuns times, after warm-up.
function time(fn, budgetMs = 400, minRuns = 15) {
  for (let i = 0; i < 3; i++) ds.tidy(() => { fn(); ds.synchronize(); });
  const t = [];
  const start = process.hrtime.bigint();
  while (t.length < minRuns || (t.length < 2000 && Number(process.hrtime.bigint() - start) / 1e6 < budgetMs)) {
    const t0 = process.hrtime.bigint();
    ds.tidy(() => {
      fn();
      ds.synchronize();
    });
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(t);
}

const rows = [];
console.log(`threads ${ds.getNumThreads()}`);
console.log('shape       x                 w                 |  fwd ms  GF/s | bwd-data ms  GF/s | bwd-weight ms  GF/s | total ms');
for (const s of shapes) {
  if (filter && !s.name.includes(filter)) continue;
  const y = outSize(s);
  const attrs = { stride: [1, 1], padding: [s.pad, s.pad], dilation: [1, 1], groups: s.groups };
  const x = ds.randn(s.x);
  const w = ds.randn(s.w);
  const b = ds.randn([s.w[0]]);
  const gy = ds.randn(y);
  const flop = 2 * y[0] * y[1] * y[2] * y[3] * s.w[1] * s.w[2] * s.w[3];
  const fwd = time(() => run1('conv2d', [x, w, b], y, 'float32', x.device, attrs));
  const bwdD = time(() => run1('conv2d_backward_data', [gy, w, null], s.x, 'float32', x.device, attrs));
  const bwdW = time(() => run1('conv2d_backward_weight', [x, gy], s.w, 'float32', x.device, attrs));
  [x, w, b, gy].forEach((t) => t.dispose());
  const gf = (ms) => (flop / ms / 1e6).toFixed(1).padStart(5);
  const f = (ms, n) => ms.toFixed(3).padStart(n);
  console.log(
    `${s.name}  ${JSON.stringify(s.x).padEnd(17)} ${JSON.stringify(s.w).padEnd(17)} | ${f(fwd, 7)} ${gf(fwd)} | ${f(bwdD, 11)} ${gf(bwdD)} | ` +
      `${f(bwdW, 13)} ${gf(bwdW)} | ${f(fwd + bwdD + bwdW, 8)}`,
  );
  rows.push({ name: s.name.trim(), x: s.x, w: s.w, groups: s.groups, pad: s.pad, fwd, bwdData: bwdD, bwdWeight: bwdW, mflop: flop / 1e6 });
}
if (opt('--json')) fs.writeFileSync(opt('--json'), JSON.stringify(rows, null, 2));

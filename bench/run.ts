/**
 * `npm run bench`: every benchmark suite in turn, each in its own process (so one suite's memory and
 * thread settings cannot colour the next), printing their tables. `npm run bench -- gemm` runs the suites
 * whose path contains "gemm"; other arguments are passed on (`--quick`, `--threads N`).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const suites = ['kernels/gemm.ts', 'kernels/conv.ts', 'kernels/rnn.ts', 'kernels/binary.ts', 'models/inference.ts', 'models/training.ts'];

const valued = new Set(['--threads']);
const filters: string[] = [];
const passed: string[] = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (valued.has(args[i])) passed.push(args[i], args[++i]);
  else if (args[i].startsWith('--')) passed.push(args[i]);
  else filters.push(args[i]);
}
const chosen = suites.filter((s) => filters.length === 0 || filters.some((f) => s.includes(f)));
if (chosen.length === 0) {
  console.error(`bench: no suite matches ${filters.join(', ')}; suites: ${suites.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const suite of chosen) {
  console.log(`\n=== ${suite}`);
  const r = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin'), '--transpile-only', path.join(__dirname, suite), ...passed], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench: ${suite} exited with ${r.status ?? r.signal}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);

/**
 * A 200 MB safetensors file (one float32 tensor of 100 MB and 24 smaller ones, like VGG's fc6 and the
 * rest of its layers) written and read back with peak memory measured. Each direction runs in a fresh
 * child process (large-file.script.ts), which reports the peak RSS of the operation above the RSS
 * before it.
 *
 * Expected: both directions move data through 8 MB slice buffers. Writing holds one slice (growth
 * < 0.1× the file, against 0.5× for a host copy of the largest tensor); reading holds the loaded
 * tensors (1× the file) plus two slices (< 1.1× in all, against 2× for reading the file whole and
 * copying it into tensors, and 1.5× for a host copy of the largest tensor next to the tensors).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const MB = Number(process.env.DEEPSCOPE_LARGE_MB ?? 200);

function child(args: string[]): { bytes: number; ms: number; peakGrowth: number; ok?: boolean; count?: number } {
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register', path.join(__dirname, 'large-file.script.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_PROJECT: path.join(root, 'test', 'tsconfig.json') },
  });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test(`a ${MB} MB file is written and read in slices, with bounded peak memory`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-large-'));
  const file = path.join(dir, 'big.safetensors');
  try {
    const w = child(['write', file, String(MB), '25']);
    const size = fs.statSync(file).size;
    expect(size).toBeGreaterThan(w.bytes);
    expect(size - w.bytes).toBeLessThan(4096); // the header
    const r = child(['read', file]);
    expect(r.ok).toBe(true);
    expect(r.count).toBe(25);
    expect(r.bytes).toBe(w.bytes);
    const report = { writeMs: w.ms, readMs: r.ms, writeGrowth: +(w.peakGrowth / size).toFixed(3), readGrowth: +(r.peakGrowth / size).toFixed(3) };
    if (process.env.DEEPSCOPE_LARGE_REPORT) console.log(report);
    expect(w.peakGrowth).toBeLessThan(0.1 * size);
    expect(r.peakGrowth).toBeLessThan(1.1 * size);
    // The loaded tensors are resident (some in memory the process had freed before, hence not 1×): a
    // growth far below them would mean the measurement missed the read.
    expect(r.peakGrowth).toBeGreaterThan(0.5 * size);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Helpers of the CLI tests: build `lib/` when it is missing or older than `src/`, run `node lib/cli.js`,
 * read PNG sizes.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const root = path.resolve(__dirname, '..', '..');
export const cliPath = path.join(root, 'lib', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `tsc -p tsconfig.json` unless lib/cli.js is newer than every file under src/. A lock directory
 * keeps two test files from compiling at once.
 */
export function ensureBuilt(): void {
  const fresh = () => fs.existsSync(cliPath) && fs.statSync(cliPath).mtimeMs >= newestMtime(path.join(root, 'src'));
  if (fresh()) return;
  const lock = path.join(root, 'lib.build-lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`ensureBuilt: ${lock} held for 3 minutes; remove it`);
      sleep(200);
    }
  }
  try {
    if (fresh()) return;
    const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
  } finally {
    fs.rmdirSync(lock);
  }
}

/** `node lib/cli.js ...args`, with a clean environment for deterministic output. */
export function cli(args: string[], options: { cwd?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const env = { ...process.env, ...options.env };
  delete env.DEEPSCOPE_DEBUG;
  return spawnSync(process.execPath, [cliPath, ...args], { cwd: options.cwd ?? root, encoding: 'utf8', env, timeout: options.timeout ?? 120_000 });
}

/** Width and height from a PNG's IHDR chunk; throws if the bytes are not a PNG. */
export function pngSize(file: string): { width: number; height: number } {
  const b = fs.readFileSync(file);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (b.length < 24 || !b.subarray(0, 8).equals(sig) || b.toString('latin1', 12, 16) !== 'IHDR') throw new Error(`${file} is not a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/**
 * The CUDA kernels (native/cuda/*.cu) run on the CPU through the emulator of test/cuda-emu/ and are compared
 * with the CPU kernels, op by op (scripts/cuda-emulate.sh). This needs no GPU, so it guards the CUDA
 * sources on every machine with g++ and python3; the device check (scripts/gpu-check.sh) remains the
 * test on real hardware. Skips, saying why, where the tools are missing.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tools = ['g++', 'python3', 'bash'].filter((t) => !have(t));

describe('CUDA kernels on the CPU emulator', () => {
  if (tools.length) {
    test.skip(`skipped: ${tools.join(', ')} not found`, () => undefined);
    return;
  }
  test('every emulated CUDA op matches its CPU kernel', () => {
    const r = spawnSync('bash', [path.join(root, 'scripts', 'cuda-emulate.sh')], { cwd: root, encoding: 'utf8' });
    const out = r.stdout + r.stderr;
    expect(out.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(out).toMatch(/\d+ checks, 0 failures/);
    expect(r.status).toBe(0);
  }, 900000);
});

import { execFileSync } from 'child_process';
import * as path from 'path';

// Benchmarks are not run by the suite (they measure; they assert nothing), but they must not rot: they
// type-check against the current API.
test('the benchmarks type-check', () => {
  const root = path.join(__dirname, '..');
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'bench', 'tsconfig.json')], { cwd: root, stdio: 'pipe' });
  } catch (e) {
    throw new Error(`tsc -p bench/tsconfig.json failed:\n${String((e as { stdout?: Buffer }).stdout)}`);
  }
}, 120_000);

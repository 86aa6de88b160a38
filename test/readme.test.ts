/**
 * The README's quick start runs as written, against the built package (lib/ and the native binary).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..');

test('README quick start runs and recovers the linear model', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const first = readme.slice(0, readme.indexOf('\n## '));
  expect(first).toMatch(/```sh\nnpm install\nnpm test\n```/);
  const code = /```js\n([\s\S]*?)```/.exec(first)?.[1];
  expect(code).toBeDefined();
  expect(code!.trim().split('\n').length).toBeLessThanOrEqual(14);
  // Inside the package folder `require('deepscope')` resolves to the package itself (self-reference).
  const file = path.join(root, 'test', '.readme-example.js');
  fs.writeFileSync(file, code!);
  try {
    const r = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 120000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const nums = (r.stdout.match(/-?\d+\.\d+(e-?\d+)?/g) ?? []).map(Number);
    expect(nums.length).toBe(4);
    [2, -1, 0.5, 0.3].forEach((v, i) => expect(Math.abs(nums[i] - v)).toBeLessThan(1e-3));
  } finally {
    fs.rmSync(file, { force: true });
  }
});

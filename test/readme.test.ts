/**
 * The README's quick start runs as written, against the built package (lib/ and the native binary).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..');

test('README quick start runs and trains LeNet-5 to a real accuracy', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const first = readme.slice(0, readme.indexOf('\n## '));
  const commands = /```sh\n([\s\S]*?)```/.exec(first)![1].split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  expect(commands).toEqual(['npm install', 'npx deepscope demo', 'npm test']);
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
    const acc = Number(/test accuracy after one epoch: ([\d.]+)/.exec(r.stdout)?.[1]);
    // One epoch of the modern LeNet-5 on the 8,000 training digits reaches about 0.94.
    expect(acc).toBeGreaterThan(0.9);
  } finally {
    fs.rmSync(file, { force: true });
  }
});

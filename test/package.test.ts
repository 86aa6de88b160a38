/**
 * Pack-and-install smoke test: the packed tarball installs in a fresh folder with install scripts
 * disabled, holds no sources, and loads its prebuilt binary with no compiler involved.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('npm pack → install --ignore-scripts → require works from prebuilds/ and runs LeNet-5', () => {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'prebuild.js')], { cwd: root, stdio: 'pipe' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepscope-pack-'));
  try {
    const packed = JSON.parse(
      execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8' }),
    ) as { filename: string; files: { path: string }[] }[];
    const files = packed[0].files.map((f) => f.path);
    expect(files).toContain('lib/index.js');
    expect(files).toContain('lib/index.d.ts');
    expect(files.some((f) => /^prebuilds\/linux-x64\/node\.napi\.(glibc\.)?node$/.test(f))).toBe(true);
    expect(files.filter((f) => /^(src|native|test|build)\//.test(f))).toEqual([]);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(Object.keys(pkg.scripts).filter((s) => ['install', 'postinstall', 'preinstall'].includes(s))).toEqual([]);

    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    execFileSync(npm, ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, packed[0].filename)], {
      cwd: app,
      stdio: 'pipe',
    });
    expect(fs.existsSync(path.join(app, 'node_modules', 'deepscope', 'build'))).toBe(false);
    const script = [
      "const ds = require('deepscope');",
      "const net = ds.models.lenet5();",
      "const out = ds.noGrad(() => net.call(ds.randn([2, 1, 32, 32])));",
      "console.log(ds.tensor([1, 2]).add(1).arraySync().join(','), out.shape.join('x'), net.numParameters());",
    ].join(' ');
    // No compiler on the PATH: loading must not need one.
    const r = spawnSync(process.execPath, ['-e', script], { cwd: app, encoding: 'utf8', env: { ...process.env, PATH: path.dirname(process.execPath) } });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('2,3 2x10 60000');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

/**
 * The analysis commands spawned as a user runs them: `signal` on small vanilla CNNs (norms kept by
 * delta-orthogonal weights), `lesion` on a CIFAR ResNet with random weights, `landscape` in 1-D and 2-D
 * on a LeNet, its pictures and JSON, and one-line usage errors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli, ensureBuilt, pngSize } from './helpers';

let tmp: string;
beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepscope-analysis-cli-'));
}, 180_000);
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('signal: JSON and three PNGs; the activation RMS decays only slowly at the critical point', () => {
  const out = path.join(tmp, 'signal');
  const r = cli(['signal', '--depth', '24', '--width', '4', '--size', '4', '--probes', '4', '--init', 'deltaOrthogonal,gaussian', '-o', out, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const j = JSON.parse(r.stdout) as { runs: { name: string; activationRms: number[]; jacobians: { singularValues: number[] }[] }[]; files: string[] };
  expect(j.runs.map((x) => x.name)).toEqual(['deltaOrthogonal (tanh, depth 24)', 'gaussian (tanh, depth 24)']);
  const delta = j.runs[0].activationRms;
  expect(delta).toHaveLength(25); // 24 convolutions and the classifier
  // At the critical point q decays polynomially from q⁰ = 1 towards q* ≈ 0.005 (about 0.24 in RMS after 24
  // layers here); off it, geometrically.
  expect(delta[23] / delta[0]).toBeGreaterThan(0.1);
  expect(j.runs[0].jacobians[0].singularValues).toHaveLength(4);
  for (const f of j.files) expect(pngSize(f).width).toBe(640);
  expect(fs.existsSync(path.join(out, 'signal.json'))).toBe(true);
});

test('lesion: every shape-keeping block of resnet20 (random weights) and random groups', () => {
  const out = path.join(tmp, 'lesion');
  const r = cli(['lesion', '--model', 'resnet20', '--samples', '16', '--k', '1,3', '--trials', '2', '-o', out]);
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(/warning: no --checkpoint: resnet20 has random weights/);
  expect(r.stdout).toMatch(/without layer1\.0: /);
  expect(r.stdout).toMatch(/3 random blocks deleted: /);
  expect(r.stdout).toMatch(/7 blocks: 2\^7 paths, most of length 3 or 4/);
  const j = JSON.parse(fs.readFileSync(path.join(out, 'lesion.json'), 'utf8')) as { blocks: string[]; paths: { count: number } };
  expect(j.blocks).toEqual(['layer1.0', 'layer1.1', 'layer1.2', 'layer2.1', 'layer2.2', 'layer3.1', 'layer3.2']);
  expect(j.paths.count).toBe(128);
  expect(pngSize(path.join(out, 'lesion.png')).width).toBe(640);
  expect(pngSize(path.join(out, 'lesion-random.png')).width).toBe(640);
});

test('landscape: a 3×3 surface (PNG, SVG, CSV, JSON) and a 1-D line on lenet5-modern', () => {
  const out = path.join(tmp, 'landscape');
  const r = cli(['landscape', '--model', 'lenet5-modern', '--samples', '32', '--steps', '3', '-o', out]);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/lenet5-modern: 9 points \(random, 2-D\), loss [\d.]+ to [\d.]+/);
  const j = JSON.parse(fs.readFileSync(path.join(out, 'landscape.json'), 'utf8')) as { x: number[]; y: number[]; loss: number[]; accuracy: number[] };
  expect(j.x).toEqual([-1, 0, 1]);
  expect(j.loss).toHaveLength(9);
  expect(j.accuracy).toHaveLength(9);
  expect(pngSize(path.join(out, 'landscape.png'))).toEqual({ width: 560, height: 480 });
  expect(fs.readFileSync(path.join(out, 'landscape.svg'), 'utf8')).toMatch(/^<svg/);
  expect(fs.readFileSync(path.join(out, 'landscape.csv'), 'utf8').trim().split('\n')).toHaveLength(10);
  const one = cli(['landscape', '--model', 'lenet5-modern', '--samples', '16', '--dims', '1', '--steps', '4', '--range', '0.5', '-o', out, '--json']);
  expect(one.status).toBe(0);
  const k = JSON.parse(one.stdout) as { dims: number; x: number[]; y: null };
  expect(k.dims).toBe(1);
  expect(k.x[0]).toBe(-0.5);
  expect(k.y).toBeNull();
});

test('errors are one line', () => {
  for (const [args, pattern] of [
    [['landscape', '--model', 'lenet5', '--dims', '3'], /unknown dimension '3'/],
    [['landscape', '--model', 'lenet5', '--trajectory', 'x.safetensors'], /checkpoint 'x.safetensors' not found/],
    [['lesion', '--model', 'resnet20', '--k', '1,a'], /--k must be positive integers separated by commas/],
    [['signal', '--init', 'uniform'], /unknown initialisation 'uniform'/],
  ] as const) {
    const r = cli([...args, '-o', path.join(tmp, 'err')]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^deepscope: [^\n]+\n$/);
    expect(r.stderr).toMatch(pattern);
  }
});

test('--help lists the analysis commands, each with its options', () => {
  const r = cli(['--help']);
  for (const c of ['landscape', 'lesion', 'signal']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  for (const [c, options] of [
    ['landscape', ['--checkpoint', '--to', '--trajectory', '--dims', '--range', '--steps', '--bn', '--normalization']],
    ['lesion', ['--block', '--k', '--trials', '--samples']],
    ['signal', ['--depth', '--width', '--init', '--probes', '--model']],
  ] as const) {
    const h = cli([c, '--help']);
    expect(h.status).toBe(0);
    for (const o of options) expect(h.stdout).toContain(o);
  }
});

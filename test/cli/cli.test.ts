/**
 * The `deepscope` command line, spawned as a user would run it (`node lib/cli.js ...`): help and version,
 * `info`, the one-line errors, and a one-epoch `demo` whose checkpoint `eval` reads back.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { cli, ensureBuilt, pngSize, root } from './helpers';

const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
let tmp: string;

beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepscope-cli-'));
}, 180_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** A user error: non-zero exit, nothing on stdout, exactly one `deepscope: ...` line on stderr. */
function expectOneLineError(r: ReturnType<typeof cli>, pattern: RegExp, code?: number): void {
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^deepscope: [^\n]+\n$/);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.status).not.toBe(0);
  if (code !== undefined) expect(r.status).toBe(code);
}

describe('help and version', () => {
  test('--version prints the package version', () => {
    for (const flag of ['--version', '-V']) {
      const r = cli([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });

  test('--help lists the commands', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: deepscope \[options\] \[command\]/);
    for (const c of ['demo', 'train', 'eval', 'info']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.stderr).toBe('');
  });

  test.each([
    ['demo', ['--out', '--model', '--epochs', '--seed', '--device', 'lenet5-modern', 'lenet5', 'test accuracy (seed 0)']],
    ['train', ['--model', '--epochs', '--batch-size', '--lr', '--weight-decay', '--optimizer', '--seed', '--out']],
    ['eval', ['--model', '--checkpoint', '--json']],
    ['info', ['--json']],
  ])('%s --help shows its options', (command, options) => {
    for (const args of [[command, '--help'], ['help', command]]) {
      const r = cli(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: deepscope ${command} \\[options\\]`));
      for (const o of options) expect(r.stdout).toContain(o);
    }
  });

  test('no command: help on stderr, exit code 1', () => {
    const r = cli([]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Usage: deepscope/);
  });
});

describe('info', () => {
  test('text report', () => {
    const r = cli(['info']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`deepscope ${version}`);
    expect(r.stdout).toMatch(/^cpu: +(generic|avx2|avx512) kernels \(detected (generic|avx2|avx512)/m);
    expect(r.stdout).toMatch(/^cuda: +(available|not available)/m);
    expect(r.stdout).toMatch(/^ops: +\d+ native ops/m);
  });

  test('--json has the documented shape', () => {
    const r = cli(['info', '--json']);
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.version).toBe(version);
    expect(info.cpu).toEqual({ isa: expect.stringMatching(/^(generic|avx2|avx512)$/), detectedIsa: expect.stringMatching(/^(generic|avx2|avx512)$/), threads: expect.any(Number) });
    expect(info.cpu.threads).toBeGreaterThanOrEqual(1);
    expect(info.cuda).toEqual(
      expect.objectContaining({
        built: expect.any(Boolean),
        available: expect.any(Boolean),
        reason: expect.any(String),
        devices: expect.any(Array),
      }),
    );
    expect(['driverVersion', 'runtimeVersion'].every((k) => k in info.cuda)).toBe(true);
    for (const k of ['driverVersion', 'runtimeVersion']) expect(info.cuda[k] === null || /^\d+\.\d+$/.test(info.cuda[k])).toBe(true);
    if (!info.cuda.available) {
      expect(info.cuda.reason).not.toBe('');
      expect(info.cuda.devices).toEqual([]);
    }
    for (const d of info.cuda.devices) {
      expect(d).toEqual(expect.objectContaining({ name: expect.any(String), computeCapability: expect.stringMatching(/^\d+\.\d+$/), totalMemory: expect.any(Number) }));
    }
    expect(Number.isInteger(info.ops) && info.ops > 50).toBe(true);
  });

  test('DEEPSCOPE_ISA=generic shows in the active ISA', () => {
    const r = cli(['info', '--json'], { env: { DEEPSCOPE_ISA: 'generic' } });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).cpu.isa).toBe('generic');
  });
});

describe('user errors: one line on stderr, non-zero exit, no stack trace', () => {
  test.each([
    [['demo', '--model', 'resnet50'], /unknown model 'resnet50' \(known: lenet5, lenet5-modern\)/, 2],
    [['train', '--model', 'vgg'], /unknown model 'vgg'/, 2],
    [['demo', '--epochs', 'ten'], /--epochs must be a positive integer, got 'ten'/, 2],
    [['demo', '--epochs', '0'], /--epochs must be a positive integer/, 2],
    [['demo', '--epochs', '2.5'], /--epochs must be a positive integer/, 2],
    [['demo', '--seed', '-1'], /--seed must be a non-negative integer/, 2],
    [['demo', '--device', 'tpu'], /unknown device 'tpu'/, 2],
    [['train'], /required option '-m, --model <name>' not specified/, 2],
    [['train', '--model', 'lenet5', '--lr', 'fast'], /--lr must be a positive number, got 'fast'/, 2],
    [['train', '--model', 'lenet5', '--lr', '0'], /--lr must be a positive number/, 2],
    [['train', '--model', 'lenet5', '--batch-size', 'x'], /--batch-size must be a positive integer/, 2],
    [['train', '--model', 'lenet5', '--weight-decay', '-0.1'], /--weight-decay must be a non-negative number/, 2],
    [['train', '--model', 'lenet5', '--optimizer', 'lbfgs'], /unknown optimizer 'lbfgs' \(known: adamw, adam, sgd\)/, 2],
    [['eval'], /required option '-c, --checkpoint <file>' not specified/, 2],
    [['demo', '--frobnicate'], /unknown option '--frobnicate'/, 2],
    [['fly'], /unknown command 'fly'/, 2],
    [['info', 'extra'], /too many arguments/, 2],
  ])('%j', (args, pattern, code) => {
    expectOneLineError(cli(args as string[]), pattern as RegExp, code as number);
  });

  test('missing checkpoint', () => {
    const missing = path.join(tmp, 'nope', 'model.safetensors');
    expectOneLineError(cli(['eval', '--checkpoint', missing]), /checkpoint '.*nope\/model\.safetensors' not found/, 1);
  });

  test('a checkpoint that is not a safetensors file', () => {
    const bogus = path.join(tmp, 'bogus.safetensors');
    fs.writeFileSync(bogus, 'not a checkpoint at all');
    expectOneLineError(cli(['eval', '--checkpoint', bogus, '--model', 'lenet5']), /cannot read checkpoint .*not a safetensors file/, 1);
  });

  test('unwritable output directory (a parent is a file), before any training', () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, '');
    const t0 = Date.now();
    expectOneLineError(cli(['demo', '--out', path.join(file, 'out')]), /cannot create output directory .*a parent is not a directory/, 1);
    expectOneLineError(cli(['demo', '--out', file]), /output directory .* is not a directory|cannot create output directory/, 1);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  const maybe = typeof process.getuid === 'function' && process.getuid() !== 0 ? test : test.skip; // root writes anywhere
  maybe('read-only output directory', () => {
    const ro = path.join(tmp, 'read-only');
    fs.mkdirSync(ro);
    fs.chmodSync(ro, 0o555);
    try {
      expectOneLineError(cli(['demo', '--out', ro]), /cannot write to output directory/, 1);
    } finally {
      fs.chmodSync(ro, 0o755);
    }
  });

  test('cuda without a CUDA device or build: a clear message', () => {
    const info = JSON.parse(cli(['info', '--json']).stdout);
    if (info.cuda.available) return; // covered by the GPU check script
    expectOneLineError(cli(['demo', '--device', 'cuda', '--out', path.join(tmp, 'cuda')]), /device 'cuda': (this build of deepscope has no CUDA backend|CUDA is not available)/, 1);
    expect(fs.existsSync(path.join(tmp, 'cuda'))).toBe(false); // checked before creating anything
  });
});

describe('demo for one epoch, then eval of its checkpoint', () => {
  let out: string;
  let demo: ReturnType<typeof cli>;

  beforeAll(() => {
    out = path.join(tmp, 'demo');
    demo = cli(['demo', '--epochs', '1', '--out', out], { timeout: 180_000 });
  }, 200_000);

  test('exits 0: results on stdout, progress on stderr', () => {
    expect(demo.stderr).not.toMatch(/\n\s+at /);
    expect(demo.status).toBe(0);
    expect(demo.stdout).toMatch(/^lenet5-modern: test accuracy \d+\.\d\d% on 2,000 digits/);
    expect(demo.stdout).toContain('model.safetensors');
    expect(demo.stdout).not.toMatch(/\[#+\.*\]/); // no progress bar on stdout
    expect(demo.stderr).toMatch(/epoch 1\/1 \[#{20}\] 125\/125 took \d+:\d\d loss [\d.]+ acc [\d.]+ test acc [\d.]+/);
    expect(demo.stderr).toMatch(/ETA \d+:\d\d/);
  });

  test('writes the checkpoint, the plots and summary.json', () => {
    for (const f of ['model.safetensors', 'training.png', 'samples.png', 'gradcam.png', 'adversarial.png', 'robustness.png', 'summary.json']) {
      expect(fs.existsSync(path.join(out, f))).toBe(true);
    }
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toEqual(
      expect.objectContaining({
        model: 'lenet5-modern',
        device: 'cpu',
        epochs: 1,
        testAccuracy: expect.any(Number),
        trainLoss: expect.any(Number),
        seconds: expect.any(Number),
        parameters: 61706,
        threads: expect.any(Number),
        isa: expect.any(String),
      }),
    );
    expect(summary.testAccuracy).toBeGreaterThan(0.9);
    expect(summary.testAccuracy).toBeLessThanOrEqual(1);
    expect(summary.trainLoss).toBeGreaterThan(0);
    expect(summary.trainLoss).toBeLessThan(2.3); // below chance (ln 10)
    expect(summary.seconds).toBeGreaterThan(0);
    expect(summary.history).toHaveLength(1);
    expect(summary.history[0].testAccuracy).toBe(summary.testAccuracy);
  });

  test('the PNGs are valid images of the expected size', () => {
    expect(pngSize(path.join(out, 'training.png'))).toEqual({ width: 640, height: 720 });
    const training = PNG.sync.read(fs.readFileSync(path.join(out, 'training.png'))); // full decode (CRCs, zlib)
    expect([training.width, training.height]).toEqual([640, 720]);
    const samples = PNG.sync.read(fs.readFileSync(path.join(out, 'samples.png')));
    expect(samples.width).toBeGreaterThan(8 * 64);
    expect(samples.height).toBeGreaterThan(4 * 64);
    // The Grad-CAM panel: 8 digits, each with its overlay, 4 pairs a row at 3× scale (96-pixel cells).
    const gradcam = PNG.sync.read(fs.readFileSync(path.join(out, 'gradcam.png')));
    expect(gradcam.width).toBe(8 * 96 + 9 * 4);
    expect(gradcam.height).toBeGreaterThan(2 * 96);
  });

  test('gradcam on the checkpoint: overlays of a digit file, JSON with the targets', () => {
    const digit = path.join(tmp, 'digit.png');
    const pixels = new PNG({ width: 28, height: 28 });
    for (let i = 0; i < 28 * 28; i++) {
      const [y, x] = [Math.floor(i / 28), i % 28];
      const on = x >= 13 && x <= 15 && y >= 4 && y <= 24; // a "1"
      pixels.data.set([on ? 255 : 0, on ? 255 : 0, on ? 255 : 0, 255], 4 * i);
    }
    fs.writeFileSync(digit, PNG.sync.write(pixels));
    const dir = path.join(tmp, 'gradcam');
    const file = path.join(out, 'model.safetensors');
    const r = cli(['gradcam', '--checkpoint', file, '--image', digit, '--image', digit, '--method', 'gradcam++', '--out', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toEqual(expect.objectContaining({ model: 'lenet5-modern', method: 'gradcam++' }));
    expect(result.results).toHaveLength(2);
    expect(result.results[0]).toEqual(expect.objectContaining({ target: 1, layers: ['features'], overlay: path.join(dir, 'digit-gradcampp.png') }));
    const png = PNG.sync.read(fs.readFileSync(result.results[0].overlay));
    expect(png.width).toBeGreaterThanOrEqual(2 * 224); // the input and its overlay, scaled up from 32×32
    const text = cli(['gradcam', '--checkpoint', file, '--image', digit, '--method', 'scorecam', '--layer', 'features.3', '--target', '7', '--out', dir]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/digit\.png: class 7 \(score -?[\d.]+\), scorecam at features\.3 → .*digit-scorecam\.png/);
    expect(text.stderr).toMatch(/scorecam features\.3 \[#{20}\]/);
  });

  test('the adversarial panel and the robustness curve of the demo', () => {
    const adv = PNG.sync.read(fs.readFileSync(path.join(out, 'adversarial.png')));
    expect(adv.width).toBe(6 * 96 + 7 * 4); // original, perturbation, adversarial, twice a row, at 3×
    expect(pngSize(path.join(out, 'robustness.png'))).toEqual({ width: 640, height: 400 });
  });

  test('attack on the checkpoint: MNIST digits by default, the panel, attack.json, the robustness curve', () => {
    const dir = path.join(tmp, 'attack');
    const file = path.join(out, 'model.safetensors');
    const r = cli(['attack', '--checkpoint', file, '--method', 'pgd', '--eps', '0.2', '--count', '4', '--robustness', '--out', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toEqual(expect.objectContaining({ model: 'lenet5-modern', method: 'pgd', targeted: false, eps: 0.2, images: 4 }));
    expect(result.results).toHaveLength(4);
    for (const row of result.results) expect(row.linf).toBeLessThanOrEqual(0.2 + 1e-6);
    expect(result.fooled).toBeGreaterThanOrEqual(3); // PGD-40 at 0.2 on a one-epoch LeNet
    expect(Object.keys(result.robustness)).toEqual(['FGSM', 'PGD (10 steps)']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'attack.json'), 'utf8')).fooled).toBe(result.fooled);
    expect(PNG.sync.read(fs.readFileSync(path.join(dir, 'attack.png'))).width).toBe(6 * 96 + 7 * 4);
    const text = cli(['attack', '--checkpoint', file, '--method', 'cw', '--target', '3', '--count', '2', '--steps', '50', '--out', dir]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^test digit 0: \d -> \d \([\d.]+%\)( not fooled)?, L2 [\d.]+, Linf [\d.]+$/m);
    expect(text.stdout).toMatch(/cw: \d\/2 reached class 3 in [\d.]+ s; wrote /);
  });

  test('attack errors: one line each', () => {
    const file = path.join(out, 'model.safetensors');
    expectOneLineError(cli(['attack', '--checkpoint', file, '--method', 'magic']), /unknown attack 'magic' \(known: fgsm, fgm, bim, pgd/, 2);
    expectOneLineError(cli(['attack', '--checkpoint', file, '--method', 'deepfool', '--target', '2']), /deepfool is untargeted/, 2);
    expectOneLineError(cli(['attack', '--checkpoint', file, '--eps', '-1']), /--eps must be a non-negative number/, 2);
    expectOneLineError(cli(['attack', '--model', 'resnet18', '--out', path.join(tmp, 'a2')]), /give --image: only the LeNets default to MNIST test digits/, 2);
  });

  test('gradcam errors: one line each', () => {
    const file = path.join(out, 'model.safetensors');
    expectOneLineError(cli(['gradcam', '--checkpoint', file, '--image', path.join(tmp, 'none.png')]), /image '.*none\.png' not found/, 1);
    expectOneLineError(cli(['gradcam', '--checkpoint', file, '--image', file, '--method', 'magic']), /unknown method 'magic' \(known: cam, gradcam, gradcam\+\+/, 2);
    expectOneLineError(cli(['gradcam', '--checkpoint', file, '--image', file, '--colormap', 'rainbow']), /unknown colormap 'rainbow'/, 2);
    expectOneLineError(cli(['gradcam', '--image', file]), /give --model/, 2);
    const digit = path.join(tmp, 'digit.png');
    expectOneLineError(cli(['gradcam', '--checkpoint', file, '--image', digit, '--layer', 'nope', '--out', path.join(tmp, 'g2')]), /gradcam: the model \(LeNet5Modern\) has no module 'nope'/, 1);
  });

  test('eval reads the checkpoint back (model from its metadata) and reproduces the accuracy', () => {
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    const file = path.join(out, 'model.safetensors');
    const r = cli(['eval', '--checkpoint', file, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toEqual(expect.objectContaining({ model: 'lenet5-modern', samples: 2000, accuracy: summary.testAccuracy }));
    expect(result.loss).toBeCloseTo(summary.testLoss, 5);

    const text = cli(['eval', '--model', 'lenet5-modern', '--checkpoint', file]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`test accuracy ${(100 * summary.testAccuracy).toFixed(2)}%`);
  });

  test('eval with the wrong model: one line naming the mismatch', () => {
    const r = cli(['eval', '--model', 'lenet5', '--checkpoint', path.join(out, 'model.safetensors')]);
    expectOneLineError(r, /does not fit model 'lenet5': \d+ missing key\(s\).*the checkpoint says model 'lenet5-modern'/, 1);
  });
});

test('train with explicit hyper-parameters on a subset', () => {
  const out = path.join(tmp, 'train');
  const r = cli(['train', '--model', 'lenet5-modern', '--epochs', '2', '--train-size', '2000', '--batch-size', '32', '--optimizer', 'adam', '--lr', '0.002', '--weight-decay', '0', '--seed', '3', '--out', out, '--quiet']);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.status).toBe(0);
  expect(r.stderr).not.toMatch(/\[#/); // --quiet: no bars
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  expect(summary).toEqual(
    expect.objectContaining({ model: 'lenet5-modern', epochs: 2, optimizer: 'adam', lr: 0.002, weightDecay: 0, batchSize: 32, seed: 3, trainSamples: 2000, command: 'train' }),
  );
  expect(summary.history).toHaveLength(2);
  expect(summary.history[1].trainLoss).toBeLessThan(summary.history[0].trainLoss);
  expect(summary.testAccuracy).toBeGreaterThan(0.8);
  expect(fs.existsSync(path.join(out, 'model.safetensors'))).toBe(true);
  expect(fs.existsSync(path.join(out, 'samples.png'))).toBe(false); // only with --samples
}, 120_000);

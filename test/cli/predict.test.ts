/**
 * `deepscope predict`, spawned as a user runs it, against torchvision: ResNet-18 with torchvision's
 * state dict (hashed weights rebuilt from test/io/torchvision-helpers.ts, head scaled as the fixture
 * script scales it) and the test picture through the ImageNet chain give torchvision's top-5 classes,
 * with probabilities within a relative 1e-4 (float32 against torchvision's float64; see
 * test/io/torchvision.test.ts), from the safetensors checkpoint and from the model exported to ONNX.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ds from '../../src';
import { io, models } from '../../src';
import { cli, ensureBuilt } from './helpers';
import { FIXTURES, fixture, hashedStateDict } from '../io/torchvision-helpers';

const expected = fixture<{ headScale: number; top: [number, number][] }>('predict.json');
const keys = fixture<Record<string, [string, number[], string][]>>('keys.json').resnet18;
const IMAGE = path.join(FIXTURES, 'image.png');
let dir: string;
let checkpoint: string;

interface Prediction {
  image: string;
  top: { index: number; label?: string; probability: number }[];
}

function checkTop(p: Prediction): void {
  expect(p.top.map((t) => t.index)).toEqual(expected.top.map(([i]) => i));
  p.top.forEach((t, i) => expect(Math.abs(t.probability - expected.top[i][1]) / expected.top[i][1]).toBeLessThan(1e-4));
}

beforeAll(async () => {
  ensureBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-predict-'));
  const dict = hashedStateDict(keys.map(([k, shape]) => [k, shape]));
  for (const k of ['fc.weight', 'fc.bias']) {
    const t = dict.get(k)!;
    dict.set(k, t.mul(expected.headScale));
    t.dispose();
  }
  checkpoint = path.join(dir, 'resnet18.safetensors');
  await io.writeSafetensors(checkpoint, dict);
  ds.dispose([...dict.values()]);
  fs.writeFileSync(path.join(dir, 'labels.txt'), Array.from({ length: 1000 }, (_, i) => `name ${i}`).join('\n') + '\n');
}, 180_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('deepscope predict', () => {
  test("--model resnet18 --checkpoint: torchvision's top 5, with labels", () => {
    const r = cli(['predict', '--model', 'resnet18', '--checkpoint', checkpoint, '--image', IMAGE, '--labels', path.join(dir, 'labels.txt'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [p] = JSON.parse(r.stdout) as Prediction[];
    expect(p.image).toBe(IMAGE);
    checkTop(p);
    expect(p.top[0].label).toBe(`name ${expected.top[0][0]}`);
  }, 120_000);

  test('--onnx: the same model exported to ONNX gives the same classes; text output, several images, gray ones too', async () => {
    const model = models.resnet18().eval();
    await io.loadTorchvision(model, checkpoint);
    const onnx = path.join(dir, 'resnet18.onnx');
    await io.exportOnnx(model, ds.zeros([1, 3, 224, 224]), onnx);
    model.dispose();
    const gray = path.join(dir, 'gray.png');
    ds.tidy(() => io.writePngSync(gray, io.readImageSync(IMAGE).mean(0, true)));
    const r = cli(['predict', '--onnx', onnx, '--image', IMAGE, '--image', gray, '--topk', '3']);
    expect(r.status).toBe(0);
    const blocks = r.stdout.trim().split(/\n(?=\S)/);
    expect(blocks.length).toBe(2);
    expect(blocks[0].split('\n')[0]).toBe(IMAGE);
    const rows = blocks[0].split('\n').slice(1);
    expect(rows.length).toBe(3);
    rows.forEach((row, i) => {
      const m = /^\s+(\d+)\.\s+([\d.]+)%\s+class (\d+)$/.exec(row)!;
      expect(m).not.toBeNull();
      expect(Number(m[1])).toBe(i + 1);
      expect(Number(m[3])).toBe(expected.top[i][0]);
      expect(Math.abs(Number(m[2]) - 100 * expected.top[i][1])).toBeLessThan(0.006); // printed to 2 decimals
    });
    expect(blocks[1].split('\n')[0]).toBe(gray);
    expect(r.stderr).toMatch(/predict/); // the progress bar over the two images
  }, 180_000);

  test('a checkpoint with another head: the error says to give --num-classes, which then loads it', async () => {
    const small = models.resnet18({ numClasses: 10 });
    const file = path.join(dir, 'resnet18-10.safetensors');
    await io.save(small, file);
    small.dispose();
    const r = cli(['predict', '--model', 'resnet18', '--checkpoint', file, '--image', IMAGE]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^deepscope: checkpoint '.*resnet18-10\.safetensors' does not fit model 'resnet18': .*'fc\.weight' is \[10, 512\] in the checkpoint but \[1000, 512\] in the model.*give --num-classes\)\n$/);
    const ok = cli(['predict', '--model', 'resnet18', '--checkpoint', file, '--image', IMAGE, '--num-classes', '10', '--topk', '20', '--json']);
    expect(ok.status).toBe(0);
    const [p] = JSON.parse(ok.stdout) as Prediction[];
    expect(p.top.length).toBe(10); // topk capped at the classes
    expect(p.top.reduce((a, t) => a + t.probability, 0)).toBeCloseTo(1, 5);
  }, 120_000);

  test('usage errors: one line, exit 2; missing files: exit 1', () => {
    const both = cli(['predict', '--onnx', 'm.onnx', '--model', 'resnet18', '--checkpoint', 'x', '--image', IMAGE]);
    expect(both.status).toBe(2);
    expect(both.stderr).toBe('deepscope: give either --onnx FILE, or --model NAME with --checkpoint FILE\n');
    const half = cli(['predict', '--model', 'resnet18', '--image', IMAGE]);
    expect(half.status).toBe(2);
    expect(half.stderr).toBe('deepscope: --model and --checkpoint go together\n');
    const notGoogLeNet = cli(['predict', '--model', 'resnet18', '--checkpoint', checkpoint, '--image', IMAGE, '--transform-input']);
    expect(notGoogLeNet.status).toBe(2);
    expect(notGoogLeNet.stderr).toBe("deepscope: --transform-input is for googlenet, not 'resnet18'\n");
    const noCkpt = cli(['predict', '--model', 'resnet18', '--checkpoint', path.join(dir, 'nope.safetensors'), '--image', IMAGE]);
    expect(noCkpt.status).toBe(1);
    expect(noCkpt.stderr).toMatch(/^deepscope: checkpoint '.*nope\.safetensors' not found\n$/);
    const badModel = cli(['predict', '--model', 'resnet9000', '--checkpoint', checkpoint, '--image', IMAGE]);
    expect(badModel.status).toBe(2);
    expect(badModel.stderr).toMatch(/unknown model 'resnet9000'/);
    const short = path.join(dir, 'short.txt');
    fs.writeFileSync(short, 'a\nb\n');
    const labels = cli(['predict', '--model', 'resnet18', '--checkpoint', checkpoint, '--image', IMAGE, '--labels', short]);
    expect(labels.status).toBe(1);
    expect(labels.stderr).toMatch(/labels '.*short\.txt' has 2 names but the model has 1000 classes/);
    const notImage = cli(['predict', '--model', 'resnet18', '--checkpoint', checkpoint, '--image', short]);
    expect(notImage.status).toBe(1);
    expect(notImage.stderr).toMatch(/^deepscope: cannot read image '.*short\.txt': /);
  }, 180_000);
});

/**
 * Explanation metrics on a linear model whose softmax probabilities the test computes itself in
 * float64: Average Drop / Increase in Confidence, deletion and insertion curves (pixel order, ties,
 * baselines, steps that do not divide the pixels), the trapezoid AUC, a faithful map beating its reverse,
 * eval mode and batching, the blur baseline, the curve chart, argument errors and memory.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ds from '../../src';
import { decodeImage } from '../../src/io/image';
import { gaussianBlur } from '../../src/explain/blur';
import { rng, settledMemory } from '../helpers';

const { explain, nn } = ds;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepscope-metrics-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Records the training flag each forward pass sees. */
class Probe extends nn.Module {
  seen: boolean[] = [];
  override forward(x: ds.Tensor): ds.Tensor {
    this.seen.push(this.training);
    return x;
  }
}

// Float32-rounded values, so the model and the float64 reference see the same numbers.
const f32 = (v: number[]) => Array.from(Float32Array.from(v));

/** A linear classifier on C×2×2 images with fixed weights, and its float64 twin. */
function linearModel(c: number, classes: number, seed: number) {
  const r = rng(seed);
  const inF = c * 4;
  const w = f32(Array.from({ length: classes * inF }, () => 2 * r() - 1));
  const b = f32(Array.from({ length: classes }, () => r() - 0.5));
  const probe = new Probe();
  const fc = new nn.Linear(inF, classes);
  ds.noGrad(() => {
    fc.weight.copy_(ds.tensor(w, [classes, inF]));
    fc.bias!.copy_(ds.tensor(b, [classes]));
  });
  const model = new nn.Sequential(probe, new nn.Flatten(), fc);
  const prob = (img: readonly number[], t: number) => {
    const logits = Array.from({ length: classes }, (_, k) => b[k] + img.reduce((a, v, j) => a + v * w[k * inF + j], 0));
    const m = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - m));
    return e[t] / e.reduce((a, v) => a + v, 0);
  };
  const predicted = (img: readonly number[]) => {
    const p = Array.from({ length: classes }, (_, k) => prob(img, k));
    return p.indexOf(Math.max(...p));
  };
  return { model, fc, probe, prob, predicted };
}

const C = 2;
const IMAGES = [f32([0.9, 0.1, 0.5, 0.7, 0.3, 0.8, 0.2, 0.6]), f32([0.2, 0.4, 0.9, 0.1, 0.7, 0.5, 0.3, 0.8])];
// The first map ties pixels 0 and 2 (pixel 0 goes first); the second orders 3, 1, 2, 0.
const MAPS = [f32([0.9, 0.2, 0.9, 0.5]), f32([0.1, 0.4, 0.3, 1])];
const input = () => ds.tensor(IMAGES.flat(), [2, C, 2, 2]);
const maps = () => ds.tensor(MAPS.flat(), [2, 2, 2]);
const ORDER = [
  [0, 2, 3, 1],
  [3, 1, 2, 0],
];

/** Image i with the first k pixels of ORDER[i] taken from `base` (deletion) or only those kept over it (insertion). */
function perturbed(i: number, k: number, base: number, insertion: boolean): number[] {
  const removed = new Set(ORDER[i].slice(0, k));
  return IMAGES[i].map((v, j) => (removed.has(j % 4) !== insertion ? base : v));
}

const trapezoid = (ys: number[], xs: number[]) => ys.slice(1).reduce((a, y, s) => a + ((xs[s + 1] - xs[s]) * (y + ys[s])) / 2, 0);

async function expectRejection(p: Promise<unknown>, cls: typeof TypeError | typeof RangeError, ...parts: RegExp[]): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(err).toBeDefined();
  expect(err!.name).toBe(cls.name);
  for (const part of parts) expect(err!.message).toMatch(part);
}

describe('auc', () => {
  test('the trapezoid rule, exact on piecewise-linear curves', () => {
    expect(explain.auc([1, 0.5, 0])).toBe(0.5);
    expect(explain.auc([0, 1, 1, 0], [0, 0.25, 0.75, 1])).toBe(0.75);
    expect(explain.auc([1, 1])).toBe(1);
    // y = x sampled at uneven points: exactly 1/2.
    expect(explain.auc([0, 0.1, 0.7, 1], [0, 0.1, 0.7, 1])).toBeCloseTo(0.5, 15);
    expect(() => explain.auc([1])).toThrow(/auc: argument 'values'/);
    expect(() => explain.auc([1, 2], [0])).toThrow(/auc: argument 'fractions' must have one entry per value \(2\)/);
  });
});

describe('confidenceChange', () => {
  test('Average Drop and Increase in Confidence against a float64 reference', async () => {
    const { model, prob, predicted } = linearModel(C, 3, 1);
    const r = await explain.confidenceChange(model, input(), maps());
    const targets = IMAGES.map(predicted);
    expect(r.targets).toEqual(targets);
    const Y = IMAGES.map((img, i) => prob(img, targets[i]));
    const O = IMAGES.map((img, i) => prob(img.map((v, j) => v * MAPS[i][j % 4]), targets[i]));
    const drop = Y.map((y, i) => Math.max(0, y - O[i]) / y);
    r.original.forEach((v, i) => expect(v).toBeCloseTo(Y[i], 6));
    r.explained.forEach((v, i) => expect(v).toBeCloseTo(O[i], 6));
    r.drop.forEach((v, i) => expect(v).toBeCloseTo(drop[i], 5));
    expect(r.averageDrop).toBeCloseTo((100 * (drop[0] + drop[1])) / 2, 4);
    expect(r.increaseInConfidence).toBe((100 * O.filter((o, i) => o > Y[i]).length) / 2);
  });

  test('given targets; an increase counts; maps of another size are resized', async () => {
    const { model, prob } = linearModel(C, 3, 2);
    // Find per image the class whose probability rises most when the image is masked by its map.
    const gain = (i: number, t: number) => prob(IMAGES[i].map((v, j) => v * MAPS[i][j % 4]), t) - prob(IMAGES[i], t);
    const targets = [0, 1].map((i) => [0, 1, 2].reduce((best, t) => (gain(i, t) > gain(i, best) ? t : best), 0));
    const r = await explain.confidenceChange(model, input(), maps(), { targets, batchSize: 1 });
    expect(r.targets).toEqual(targets);
    const increases = [0, 1].filter((i) => gain(i, targets[i]) > 0).length;
    expect(increases).toBeGreaterThan(0);
    expect(r.increaseInConfidence).toBe((100 * increases) / 2);
    r.drop.forEach((d, i) => gain(i, targets[i]) > 0 && expect(d).toBe(0));
    // A constant map of another size: resizing keeps it constant.
    const half = await explain.confidenceChange(model, input(), ds.full([2, 1, 1], 0.5), { targets });
    half.explained.forEach((o, i) => expect(o).toBeCloseTo(prob(IMAGES[i].map((v) => v * 0.5), targets[i]), 6));
  });
});

describe('deletionInsertion', () => {
  test('curves and AUCs against a float64 reference: zero and constant baselines, ties by index', async () => {
    const { model, prob, predicted } = linearModel(C, 3, 3);
    for (const baseline of ['zero', 0.3] as const) {
      const b = baseline === 'zero' ? 0 : baseline;
      const r = await explain.deletionInsertion(model, input(), maps(), { steps: 4, baseline });
      const targets = IMAGES.map(predicted);
      expect(r.targets).toEqual(targets);
      expect(r.fractions).toEqual([0, 0.25, 0.5, 0.75, 1]);
      for (const which of ['deletion', 'insertion'] as const) {
        for (let i = 0; i < 2; i++) {
          const want = [0, 1, 2, 3, 4].map((k) => prob(perturbed(i, k, b, which === 'insertion'), targets[i]));
          r[which].curves[i].forEach((v, s) => expect(v).toBeCloseTo(want[s], 6));
          expect(r[which].auc[i]).toBeCloseTo(trapezoid(want, r.fractions), 6);
        }
      }
      // Both curves meet the unperturbed image and the pure baseline at opposite ends.
      for (let i = 0; i < 2; i++) {
        expect(r.deletion.curves[i][0]).toBeCloseTo(r.insertion.curves[i][4], 6);
        expect(r.deletion.curves[i][4]).toBeCloseTo(r.insertion.curves[i][0], 6);
      }
    }
  });

  test('steps that do not divide the pixels: ⌊s·H·W / steps⌋ pixels, uneven fractions', async () => {
    const { model, prob } = linearModel(C, 3, 4);
    const targets = [2, 1];
    const r = await explain.deletionInsertion(model, input(), maps(), { steps: 3, targets, batchSize: 5 });
    expect(r.fractions).toEqual([0, 0.25, 0.5, 1]);
    for (let i = 0; i < 2; i++) {
      const want = [0, 1, 2, 4].map((k) => prob(perturbed(i, k, 0, false), targets[i]));
      r.deletion.curves[i].forEach((v, s) => expect(v).toBeCloseTo(want[s], 6));
      expect(r.deletion.auc[i]).toBeCloseTo(trapezoid(want, [0, 0.25, 0.5, 1]), 6);
    }
  });

  test('a faithful map (the model\'s own weights) deletes faster and inserts faster than its reverse', async () => {
    const r = rng(5);
    const u = f32(Array.from({ length: 64 }, () => r()));
    const fc = new nn.Linear(64, 2, { bias: false });
    ds.noGrad(() => fc.weight.copy_(ds.tensor([...u.map((v) => 0.15 * v), ...new Array(64).fill(0)], [2, 64])));
    const model = new nn.Sequential(new nn.Flatten(), fc);
    const x = ds.ones([1, 1, 8, 8]);
    const faithful = ds.tensor(u, [1, 8, 8]);
    const reversed = ds.tensor(u.map((v) => 1 - v), [1, 8, 8]);
    const good = await explain.deletionInsertion(model, x, faithful, { steps: 16, targets: 0 });
    const bad = await explain.deletionInsertion(model, x, reversed, { steps: 16, targets: 0 });
    expect(good.deletion.auc[0]).toBeLessThan(bad.deletion.auc[0] - 0.02);
    expect(good.insertion.auc[0]).toBeGreaterThan(bad.insertion.auc[0] + 0.02);
    // Every point of the faithful deletion curve is at or under the reversed one.
    good.deletion.curves[0].forEach((v, s) => expect(v).toBeLessThanOrEqual(bad.deletion.curves[0][s] + 1e-6));
    const file = path.join(dir, 'curves.png');
    await explain.plotCurves(file, good, { title: 'faithful', width: 320, height: 200 });
    const png = decodeImage(fs.readFileSync(file));
    expect([png.width, png.height]).toEqual([320, 200]);
  });

  test('eval mode during the passes and restored after; no gradients; batch size does not change the result', async () => {
    const { model, fc, probe } = linearModel(C, 3, 6);
    model.train();
    const x = input();
    x.requiresGrad = true;
    const a = await explain.deletionInsertion(model, x, maps(), { steps: 4, batchSize: 1 });
    const b = await explain.deletionInsertion(model, x, maps(), { steps: 4, batchSize: 64 });
    const c = await explain.confidenceChange(model, x, maps());
    expect(probe.seen.length).toBeGreaterThan(0);
    expect(probe.seen.every((t) => t === false)).toBe(true);
    expect(model.training).toBe(true);
    expect(fc.weight.grad).toBeNull();
    expect(x.grad).toBeNull();
    expect(b).toEqual(a);
    expect(c.original[0]).toBeCloseTo(a.deletion.curves[0][0], 6);
    model.eval();
    await explain.confidenceChange(model, x, maps());
    expect(model.training).toBe(false);
  });

  test("the 'blur' baseline: a Gaussian with replicated edges, so a flat image stays flat", async () => {
    // gaussianBlur against a float64 separable reference.
    const r = rng(7);
    const [n, c, h, w] = [1, 2, 6, 7];
    const vals = f32(Array.from({ length: n * c * h * w }, () => r()));
    const out = gaussianBlur(ds.tensor(vals, [n, c, h, w]), 5, 1.5).dataSync();
    const taps = [-2, -1, 0, 1, 2].map((d) => Math.exp(-(d * d) / (2 * 1.5 * 1.5)));
    const total = taps.reduce((a, v) => a + v, 0);
    const at = (ch: number, y: number, x: number) => vals[(ch * h + Math.min(h - 1, Math.max(0, y))) * w + Math.min(w - 1, Math.max(0, x))];
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let s = 0;
          for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) s += (taps[dy + 2] * taps[dx + 2] * at(ch, y + dy, x + dx)) / (total * total);
          expect(out[(ch * h + y) * w + x]).toBeCloseTo(s, 5);
        }
      }
    }
    // On a flat image the blurred baseline is the image: every point of both curves is the original.
    const { model, prob } = linearModel(C, 3, 8);
    const flat = ds.full([1, C, 2, 2], 0.4);
    const res = await explain.deletionInsertion(model, flat, ds.tensor(MAPS[1], [1, 2, 2]), { steps: 4, baseline: 'blur', targets: 1 });
    const p = prob(new Array(8).fill(Math.fround(0.4)), 1);
    for (const curve of [res.deletion.curves[0], res.insertion.curves[0]]) curve.forEach((v) => expect(v).toBeCloseTo(p, 5));
  });

  test('errors name the op and the argument', async () => {
    const { model } = linearModel(C, 3, 9);
    const x = input();
    const m = maps();
    for (const [op, f] of [
      ['deletionInsertion', explain.deletionInsertion],
      ['confidenceChange', explain.confidenceChange],
    ] as const) {
      const call = (...args: unknown[]) => (f as (...a: unknown[]) => Promise<unknown>)(...args);
      await expectRejection(call({}, x, m), TypeError, new RegExp(`${op}: argument 'model' must be a Module`));
      await expectRejection(call(model, ds.zeros([C, 2, 2]), m), TypeError, new RegExp(`${op}: argument 'input'`));
      await expectRejection(call(model, x, ds.zeros([1, 2, 2])), TypeError, new RegExp(`${op}: argument 'maps'.*N = 2.*\\[1, 2, 2\\]`));
      await expectRejection(call(model, x, ds.zeros([2, 1, 2, 2])), TypeError, new RegExp(`${op}: argument 'maps'`));
      await expectRejection(call(model, x, m, { batchSize: 0 }), RangeError, new RegExp(`${op}: 'batchSize' must be >= 1`));
      await expectRejection(call(model, x, m, { targets: 3 }), RangeError, new RegExp(`${op}: targets\\[0\\] must be an integer in \\[0, 3\\)`));
      await expectRejection(call(model, x, m, { targets: [(row: ds.Tensor) => row.sum(), 0] }), TypeError, new RegExp(`${op}: targets\\[0\\] must be a class index`));
      await expectRejection(call(new nn.Sequential(new nn.Flatten(), new nn.Flatten(0)), x, m, { targets: 0 }), TypeError, new RegExp(`${op}: the model's output must be \\[N, classes\\]`));
    }
    await expectRejection(explain.deletionInsertion(model, x, m, { steps: 0 }), RangeError, /deletionInsertion: 'steps' must be >= 1/);
    await expectRejection(explain.deletionInsertion(model, x, m, { steps: 2.5 }), TypeError, /deletionInsertion: 'steps' must be an integer/);
    await expectRejection(explain.deletionInsertion(model, x, m, { baseline: 'mean' as never }), TypeError, /deletionInsertion: 'baseline' must be 'zero', 'blur' or a finite number, got "mean"/);
    await expectRejection(explain.plotCurves(path.join(dir, 'x.png'), {} as never), TypeError, /plotCurves: argument 'result'/);
  });
});

test('no tensors leak from repeated metric runs', async () => {
  const { model } = linearModel(C, 3, 10);
  const x = input();
  const m = maps();
  const small = ds.full([2, 1, 1], 0.5);
  const round = async () => {
    await explain.confidenceChange(model, x, m, { batchSize: 1 });
    await explain.deletionInsertion(model, x, m, { steps: 4, batchSize: 3, baseline: 'blur' });
    await explain.deletionInsertion(model, x, small, { steps: 2, baseline: 0.5 });
    await expect(explain.deletionInsertion(model, x, m, { targets: 7 })).rejects.toThrow(RangeError);
  };
  await round();
  const before = (await settledMemory()).tensors;
  for (let i = 0; i < 3; i++) await round();
  expect((await settledMemory()).tensors).toBe(before);
});

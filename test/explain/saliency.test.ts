/**
 * The input-gradient methods (saliency, SmoothGrad, integrated gradients, guided backpropagation, Guided
 * Grad-CAM) and the guided-ReLU mode they rest on: against float64 references on a tiny fixed network,
 * their identities with each other, zoo models, errors, and memory.
 */
import * as ds from '../../src';
import { explain, models, nn, Tensor } from '../../src';
import { Nd } from '../reference/nd';
import { integratedGradientsRef, tinyNetInputGrad, tinyNetLogits, tinyNetPreActivations, type Act, type TinyNet } from '../reference/saliency';
import { expectClose, expectError, normError, randNd, rng, settledMemory, toNd, toTensor } from '../helpers';

// Tolerances (normalised error: max |error| / max |expected|). The tiny network's longest dot product has
// 4·6·6 = 144 float32 terms, so forward and backward carry relative rounding errors of order
// √144 · 2^-24 ≈ 1e-6 at worst (1e-7 seen); 1e-5 leaves a margin without hiding a wrong formula, which
// misses by 1e-2 or more. The inputs keep every ReLU input at least 1e-4 from the kink (checked), where
// float32 and float64 could take different branches.
const TOL = 1e-5;
// Integrated gradients add the float32 rounding of the points x′ + α(x − x′) and of the sum over the
// steps (16 terms of 1/16) to the above: a few 1e-7 at most, so twice TOL.
const IG_TOL = 2e-5;

let startTensors = 0;
beforeAll(async () => {
  startTensors = (await settledMemory()).tensors;
});
afterAll(async () => {
  expect((await settledMemory()).tensors).toBe(startTensors);
});

const SHAPE = [2, 3, 6, 6];
const [C, H, W, F, HIDDEN, K] = [3, 6, 6, 4, 8, 5];

const moduleOf = (act: Act): nn.Module => (act === 'relu' ? new nn.ReLU() : act === 'tanh' ? new nn.Tanh() : new nn.Softplus());
const fnOf = (act: Act) => (act === 'relu' ? ds.relu : act === 'tanh' ? ds.tanh : (x: Tensor) => ds.softplus(x));

// conv → act (a module) → flatten → linear → act (functional, as the zoo models call it) → linear.
class Tiny extends nn.Module {
  declare conv: nn.Conv2d;
  declare act1: nn.Module;
  declare fc1: nn.Linear;
  declare fc2: nn.Linear;
  constructor(readonly act: Act, seed: number) {
    super();
    const generator = new ds.Generator(seed);
    this.registerModule('conv', new nn.Conv2d(C, F, 3, { padding: 1, generator }));
    this.registerModule('act1', moduleOf(act));
    this.registerModule('fc1', new nn.Linear(F * H * W, HIDDEN, { generator }));
    this.registerModule('fc2', new nn.Linear(HIDDEN, K, { generator }));
  }
  override forward(x: Tensor): Tensor {
    const h = (this.act1.call(this.conv.call(x)) as Tensor).flatten(1);
    return this.fc2.call(fnOf(this.act)(this.fc1.call(h) as Tensor)) as Tensor;
  }
  // The same network for the float64 reference (the float32 weights are exact in float64).
  reference(): TinyNet {
    return {
      convW: toNd(this.conv.weight), convB: toNd(this.conv.bias!),
      fc1W: toNd(this.fc1.weight), fc1B: toNd(this.fc1.bias!),
      fc2W: toNd(this.fc2.weight), fc2B: toNd(this.fc2.bias!),
      act: this.act,
    };
  }
}

function argmaxRows(logits: Nd): number[] {
  const [n, k] = logits.shape;
  return Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits.get(i, j) > logits.get(i, best)) best = j;
    return best;
  });
}

// Per pixel max over channels of |a|, then (m − min)/(max − min + 1e-7) per image, in float64.
function mapsOf(a: Nd): Nd {
  const [n, c, h, w] = a.shape;
  const m = Nd.zeros([n, h, w]);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < h * w; p++) {
      let v = 0;
      for (let k = 0; k < c; k++) v = Math.max(v, Math.abs(a.data[(i * c + k) * h * w + p]));
      m.data[i * h * w + p] = v;
    }
    const img = m.data.subarray(i * h * w, (i + 1) * h * w);
    const [lo, hi] = [Math.min(...img), Math.max(...img)];
    for (let p = 0; p < img.length; p++) img[p] = (img[p] - lo) / (hi - lo + 1e-7);
  }
  return m;
}

// expectError for a promise: the rejection's class and message parts.
async function expectRejection(f: () => Promise<unknown>, cls: typeof TypeError | typeof RangeError, ...parts: (string | RegExp)[]): Promise<void> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expectError(() => {
    if (err !== undefined) throw err;
  }, cls, ...parts);
}

function expectNear(actual: readonly number[], expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1e-6, ...expected.map(Math.abs));
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]) / scale).toBeLessThanOrEqual(tol));
}

function expectMaps(s: explain.Saliency, n: number, h: number, w: number): void {
  expect(s.maps.shape).toEqual([n, h, w]);
  const d = s.maps.dataSync();
  expect(Math.min(...d)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...d)).toBeLessThanOrEqual(1);
  expect(s.attributions.dataSync().every(Number.isFinite)).toBe(true);
}

describe('guided ReLU mode', () => {
  const r = rng(11);
  const x64 = randNd(r, [3, 4, 5]);
  const g64 = randNd(r, [3, 4, 5]);

  // The gradient of relu(x) at x for the output gradient g, recorded by `record`.
  function reluGrad(record: <T>(f: () => T) => T): Nd {
    return ds.tidy(() => {
      const x = toTensor(x64, { requiresGrad: true });
      const y = record(() => ds.relu(x));
      return toNd(ds.grad(y, [x], { gradOutput: toTensor(g64) })[0]);
    });
  }

  test('backward is (x > 0)·(g > 0)·g: the float64 reference, exactly', () => {
    const expected = x64.map((v, i) => (v > 0 && g64.data[i] > 0 ? g64.data[i] : 0));
    expect(normError(reluGrad(ds.withGuidedRelu).data, expected)).toBe(0);
    // The forward is the plain ReLU.
    ds.tidy(() => expect(ds.withGuidedRelu(() => ds.relu(toTensor(x64))).dataSync()).toEqual(Float32Array.from(x64.data, (v) => Math.max(v, 0))));
  });

  test('outside the mode the backward is unchanged: (x > 0)·g; other activations ignore the mode', () => {
    const expected = x64.map((v, i) => (v > 0 ? g64.data[i] : 0));
    expect(normError(reluGrad((f) => f()).data, expected)).toBe(0);
    ds.tidy(() => {
      const x = toTensor(x64, { requiresGrad: true });
      const g = toTensor(g64);
      const [plain] = ds.grad(ds.leakyRelu(x, 0.1), [x], { gradOutput: g });
      const [inMode] = ds.grad(ds.withGuidedRelu(() => ds.leakyRelu(x, 0.1)), [x], { gradOutput: g });
      expect(inMode.dataSync()).toEqual(plain.dataSync());
    });
  });

  test('the mode belongs to the recording: a guided graph stays guided, a plain one plain', () => {
    const guided = x64.map((v, i) => (v > 0 && g64.data[i] > 0 ? g64.data[i] : 0));
    const plain = x64.map((v, i) => (v > 0 ? g64.data[i] : 0));
    ds.tidy(() => {
      const x = toTensor(x64, { requiresGrad: true });
      const g = toTensor(g64);
      const yGuided = ds.withGuidedRelu(() => x.relu()); // the Tensor method goes through the same op
      const yPlain = x.relu();
      expect(normError(ds.grad(yGuided, [x], { gradOutput: g })[0].dataSync(), guided)).toBe(0);
      expect(normError(ds.withGuidedRelu(() => ds.grad(yPlain, [x], { gradOutput: g }))[0].dataSync(), plain)).toBe(0);
    });
  });

  test('the mode is scoped to its async chain and ends with it, even on a throw', async () => {
    const tick = () => new Promise((res) => setImmediate(res));
    const expectedGuided = x64.map((v, i) => (v > 0 && g64.data[i] > 0 ? g64.data[i] : 0));
    const expectedPlain = x64.map((v, i) => (v > 0 ? g64.data[i] : 0));
    const results: Record<string, Nd[]> = { guided: [], plain: [] };
    const chain = (name: 'guided' | 'plain') => async () => {
      for (let i = 0; i < 3; i++) {
        await tick();
        results[name].push(reluGrad((f) => f()));
      }
    };
    await Promise.all([ds.withGuidedRelu(chain('guided')), chain('plain')()]);
    expect(results.guided.map((g) => normError(g.data, expectedGuided))).toEqual([0, 0, 0]);
    expect(results.plain.map((g) => normError(g.data, expectedPlain))).toEqual([0, 0, 0]);
    expect(() => ds.withGuidedRelu(() => {
      throw new Error('inside');
    })).toThrow('inside');
    expect(normError(reluGrad((f) => f()).data, expectedPlain)).toBe(0);
  });
});

describe('against the float64 reference on a tiny network', () => {
  const r = rng(5);
  const x64 = randNd(r, SHAPE);

  // The inputs keep every pre-activation at least 1e-4 from the ReLU's kink (see TOL).
  function checkAwayFromKinks(net: TinyNet, x: Nd): void {
    for (const z of tinyNetPreActivations(net, x)) expect(Math.min(...z.data.map(Math.abs))).toBeGreaterThan(1e-4);
  }

  test('saliency: ∂S/∂x, the scores and the maps; default targets are the arg-max', async () => {
    const model = new Tiny('relu', 1);
    const net = model.reference();
    checkAwayFromKinks(net, x64);
    const x = toTensor(x64);
    const logits = tinyNetLogits(net, x64);
    for (const targets of [[1, 3], undefined]) {
      const cls = targets ?? argmaxRows(logits);
      const s = await explain.saliency(model, x, { targets });
      const expected = tinyNetInputGrad(net, x64, cls);
      expectClose(s.attributions, expected, TOL, 'attributions');
      expectClose(s.maps, mapsOf(expected), 1e-4, 'maps');
      expect(s.targets).toEqual(cls);
      expectNear(s.scores, cls.map((c, i) => logits.get(i, c)), TOL);
      ds.dispose(s);
    }
    x.dispose();
    model.dispose();
  });

  test('guidedBackprop: the hand-derived guided backward through nn.ReLU and functional relu', async () => {
    const model = new Tiny('relu', 2);
    const net = model.reference();
    const x = toTensor(x64);
    checkAwayFromKinks(net, x64);
    const gb = await explain.guidedBackprop(model, x, { targets: [0, 4] });
    const expected = tinyNetInputGrad(net, x64, [0, 4], true);
    expectClose(gb.attributions, expected, TOL, 'guided attributions');
    // Not the plain gradient: the mode did act.
    expect(normError(gb.attributions.dataSync(), tinyNetInputGrad(net, x64, [0, 4]))).toBeGreaterThan(1e-2);
    ds.dispose(gb);
    x.dispose();
    model.dispose();
  });

  test('integratedGradients: the midpoint sum, batches straddling images, tensor and number baselines', async () => {
    const model = new Tiny('tanh', 3);
    const net = model.reference();
    const x = toTensor(x64);
    const b64 = randNd(rng(9), [1, C, H, W], -0.5, 0.5);
    const cases: { baseline?: Tensor | number; b: Nd }[] = [
      { b: Nd.zeros(SHAPE) },
      { baseline: 0.25, b: Nd.zeros(SHAPE).map(() => 0.25) },
      { baseline: toTensor(b64), b: Nd.from([...b64.data, ...b64.data], SHAPE) },
    ];
    for (const { baseline, b } of cases) {
      // 16 steps × 2 images in batches of 5: batches mix the two images' points.
      const ig = await explain.integratedGradients(model, x, { steps: 16, batchSize: 5, baseline, targets: [2, 0] });
      const expected = integratedGradientsRef(net, x64, b, [2, 0], 16);
      expectClose(ig.attributions, expected.attributions, IG_TOL, 'attributions');
      // The gap is a difference of nearly equal sums, so its error is absolute: a few float32 ulps of the
      // scores (6e-8 at 0.5) from the roundings of S(x), S(x′) and the sum of the attributions.
      const scale = Math.max(1, ...ig.scores.map(Math.abs));
      ig.completenessGap.forEach((g, i) => expect(Math.abs(g - expected.gap[i])).toBeLessThan(1e-6 * scale));
      ds.dispose(ig);
    }
    ds.dispose(cases.map((c) => c.baseline));
    x.dispose();
    model.dispose();
  });

  test('integratedGradients completeness on a smooth network: |gap| ≪ |S(x) − S(x′)| at 64 steps', async () => {
    // Softplus is smooth, so the midpoint rule's error is O(1/steps²). Here it is some 1e-5 of the score
    // change at 64 steps (down at the float32 rounding of the scores), so 1e-3 is a safe bound; 4 steps
    // must leave a gap over 10 times larger (256 in theory, less where rounding dominates), which shows
    // that the gap is the discretisation error and not a wrong constant.
    const model = new Tiny('softplus', 4);
    const net = model.reference();
    const x = toTensor(x64.map((v) => 2 * v));
    const x2 = toNd(x);
    const logits = tinyNetLogits(net, x2);
    const base = tinyNetLogits(net, Nd.zeros(SHAPE));
    const targets = argmaxRows(logits);
    const ig64 = await explain.integratedGradients(model, x, { steps: 64 });
    const ig4 = await explain.integratedGradients(model, x, { steps: 4 });
    targets.forEach((c, i) => {
      const delta = Math.abs(logits.get(i, c) - base.get(i, c));
      expect(delta).toBeGreaterThan(0.05);
      expect(Math.abs(ig64.completenessGap[i])).toBeLessThan(1e-3 * delta);
      expect(Math.abs(ig4.completenessGap[i])).toBeGreaterThan(10 * Math.abs(ig64.completenessGap[i]));
    });
    ds.dispose([ig64, ig4, x]);
    model.dispose();
  });

  test('smoothGrad: the mean gradient at x + σ·ε with σ = noiseLevel·(max − min) of each image', async () => {
    const model = new Tiny('tanh', 6);
    const net = model.reference();
    const x = toTensor(x64);
    const samples = 3;
    const s = await explain.smoothGrad(model, x, { samples, noiseLevel: 0.2, targets: [1, 2], generator: new ds.Generator(7) });
    // One batch holds all 2 × 3 points, image-major, so one draw of the same stream gives the noise.
    const eps = ds.tidy(() => toNd(ds.randn([2 * samples, C, H, W], { generator: new ds.Generator(7) })));
    const per = C * H * W;
    const expected = Nd.zeros(SHAPE);
    for (let i = 0; i < 2; i++) {
      const img = x64.data.subarray(i * per, (i + 1) * per);
      const sigma = 0.2 * (Math.max(...img) - Math.min(...img));
      for (let k = 0; k < samples; k++) {
        const p = i * samples + k;
        const point = Nd.from(img.map((v, j) => v + sigma * eps.data[p * per + j]), [1, C, H, W]);
        const g = tinyNetInputGrad(net, point, [[1, 2][i]]);
        for (let j = 0; j < per; j++) expected.data[i * per + j] += g.data[j] / samples;
      }
    }
    expectClose(s.attributions, expected, TOL, 'smoothGrad');
    ds.dispose([s, x]);
    model.dispose();
  });
});

describe('identities between the methods', () => {
  const x64 = randNd(rng(21), SHAPE);

  test('smoothGrad with one noiseless sample is the vanilla gradient; squared gives its square', async () => {
    const model = new Tiny('relu', 8);
    const x = toTensor(x64);
    const vanilla = await explain.saliency(model, x);
    const one = await explain.smoothGrad(model, x, { samples: 1, noiseLevel: 0 });
    const sq = await explain.smoothGrad(model, x, { samples: 3, noiseLevel: 0, squared: true, batchSize: 4 });
    const v = toNd(vanilla.attributions);
    expectClose(one.attributions, v, 1e-6, 'one sample');
    expectClose(sq.attributions, v.map((g) => g * g), 1e-6, 'squared');
    expect(one.targets).toEqual(vanilla.targets);
    expect(one.scores).toEqual(vanilla.scores);
    ds.dispose([vanilla, one, sq, x]);
    model.dispose();
  });

  test('smoothGrad: the same seed gives the same result, another seed another', async () => {
    const model = new Tiny('relu', 9);
    const x = toTensor(x64);
    const run = (seed: number) => explain.smoothGrad(model, x, { samples: 4, batchSize: 3, generator: new ds.Generator(seed) });
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    expect(a.attributions.dataSync()).toEqual(b.attributions.dataSync());
    expect(normError(c.attributions.dataSync(), toNd(a.attributions))).toBeGreaterThan(1e-3);
    ds.dispose([a, b, c, x]);
    model.dispose();
  });

  test('guidedGradCam is guidedBackprop times the upsampled Grad-CAM map, for the same targets', async () => {
    const model = new Tiny('relu', 10);
    const x = toTensor(x64);
    const margin: explain.ScoreFn = (row) => row.narrow(0, 1, 1).sub(row.narrow(0, 3, 1)).sum();
    for (const targets of [undefined, [4, margin]]) {
      const ggc = await explain.guidedGradCam(model, x, { layers: 'conv', targets });
      const gb = await explain.guidedBackprop(model, x, { targets });
      const cam = await explain.gradCam(model, x, { layers: 'conv', targets });
      const expected = Nd.from(ds.tidy(() => gb.attributions.mul(cam.maps.reshape([2, 1, H, W])).dataSync()), SHAPE);
      expectClose(ggc.attributions, expected, 1e-6, 'guided Grad-CAM');
      expectClose(ggc.maps, mapsOf(expected), 1e-5, 'maps');
      expect(ggc.targets).toEqual(cam.targets);
      expect(ggc.scores).toEqual(gb.scores);
      ds.dispose([ggc, gb, cam]);
    }
    x.dispose();
    model.dispose();
  });
});

describe('zoo models', () => {
  // The model's mode is restored and no parameter's .grad is touched.
  async function check(model: nn.Module, x: Tensor, classes: number, hasRelu: boolean): Promise<void> {
    model.train();
    const [n, , h, w] = x.shape;
    const results: explain.Saliency[] = [
      await explain.saliency(model, x),
      await explain.guidedBackprop(model, x, { targets: 1 }),
      await explain.smoothGrad(model, x, { samples: 2, generator: new ds.Generator(0) }),
      await explain.integratedGradients(model, x, { steps: 3, batchSize: 2 }),
      await explain.guidedGradCam(model, x, { targets: 1 }),
    ];
    for (const s of results) {
      expectMaps(s, n, h, w);
      expect(s.attributions.shape).toEqual([...x.shape]);
      expect(s.scores).toHaveLength(n);
      s.targets.forEach((t) => expect(t! >= 0 && t! < classes).toBe(true));
    }
    expect(model.training).toBe(true);
    expect(model.parameters().every((p) => p.grad === null || p.grad === undefined)).toBe(true);
    // The guided gradient differs from the plain one wherever a ReLU sits on the path, and only there.
    const plain = await explain.saliency(model, x, { targets: 1 });
    const diff = normError(results[1].attributions.dataSync(), toNd(plain.attributions));
    if (hasRelu) expect(diff).toBeGreaterThan(1e-3);
    else expect(diff).toBe(0);
    ds.dispose([results, plain]);
  }

  test('LeNet-5, classic (tanh and RBF units, no ReLU) and modern, on 32×32', async () => {
    for (const modern of [false, true]) {
      const net = models.lenet5({ modern, generator: new ds.Generator(1) });
      const x = ds.randn([2, 1, 32, 32], { generator: new ds.Generator(2) });
      await check(net, x, 10, modern);
      ds.dispose(x);
      net.dispose();
    }
  });

  test('ResNet-18 with 10 classes on 32×32 (functional ReLUs in the blocks)', async () => {
    const net = models.resnet18({ numClasses: 10, generator: new ds.Generator(3) });
    const x = ds.randn([1, 3, 32, 32], { generator: new ds.Generator(4) });
    await check(net, x, 10, true);
    ds.dispose(x);
    net.dispose();
  });
});

describe('errors', () => {
  // Made in beforeAll: describe bodies run before the file's first count of live tensors.
  let model: Tiny;
  let x: Tensor;
  beforeAll(() => {
    model = new Tiny('relu', 12);
    x = toTensor(randNd(rng(3), SHAPE));
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  test('bad input, model and options name the op and the argument', async () => {
    await ds.tidy(async () => {
      await expectRejection(() => explain.saliency(model, ds.zeros([3, 6, 6])), TypeError, "saliency: argument 'input' must be a float32 [N, C, H, W] batch, got float32 [3, 6, 6]");
      await expectRejection(() => explain.smoothGrad(model, ds.zeros([1, 3, 6, 6], { dtype: 'int32' })), TypeError, "smoothGrad: argument 'input'", 'int32 [1, 3, 6, 6]');
      await expectRejection(() => explain.integratedGradients(model, 'x' as unknown as Tensor), TypeError, 'integratedGradients', "'input'");
      await expectRejection(() => explain.guidedBackprop({} as nn.Module, x), TypeError, "guidedBackprop: argument 'model' must be a Module");
      await expectRejection(() => explain.saliency(model, x, null as unknown as explain.SaliencyOptions), TypeError, "saliency: argument 'options' must be an object");
    });
  });

  test('bad targets and layers', async () => {
    await expectRejection(() => explain.saliency(model, x, { targets: [1, 7] }), RangeError, 'saliency', 'targets[1] must be an integer in [0, 5), got 7');
    await expectRejection(() => explain.integratedGradients(model, x, { targets: [1, 2, 3] }), RangeError, 'integratedGradients: 3 targets for a batch of 2 images');
    await expectRejection(() => explain.smoothGrad(model, x, { targets: 'cat' as unknown as number }), TypeError, 'smoothGrad: targets[0] must be a class index or a score function');
    await expectRejection(() => explain.guidedGradCam(model, x, { targets: -1 }), RangeError, 'guidedGradCam', 'got -1');
    await expectRejection(() => explain.guidedGradCam(model, x, { layers: 'fc3' }), RangeError, "guidedGradCam: the model (Tiny) has no module 'fc3'");
  });

  test('bad counts, noise level, baseline and generator', async () => {
    await expectRejection(() => explain.integratedGradients(model, x, { steps: 0 }), RangeError, "integratedGradients: 'steps' must be >= 1, got 0");
    await expectRejection(() => explain.integratedGradients(model, x, { steps: 2.5 }), TypeError, "integratedGradients: 'steps' must be an integer, got 2.5");
    await expectRejection(() => explain.integratedGradients(model, x, { batchSize: 0 }), RangeError, "'batchSize' must be >= 1");
    await expectRejection(() => explain.smoothGrad(model, x, { samples: 0 }), RangeError, "smoothGrad: 'samples' must be >= 1, got 0");
    await expectRejection(() => explain.smoothGrad(model, x, { noiseLevel: -0.1 }), RangeError, "smoothGrad: 'noiseLevel' must be >= 0, got -0.1");
    await expectRejection(() => explain.smoothGrad(model, x, { generator: 3 as unknown as ds.Generator }), TypeError, "smoothGrad: 'generator' must be a Generator");
    await ds.tidy(async () => {
      await expectRejection(() => explain.integratedGradients(model, x, { baseline: ds.zeros([5]) }), RangeError, "integratedGradients: argument 'baseline' must be float32 and broadcast to the input [2, 3, 6, 6], got float32 [5]");
      await expectRejection(() => explain.integratedGradients(model, x, { baseline: NaN }), RangeError, "argument 'baseline' must be finite");
    });
  });

  test('a failing call restores the mode', async () => {
    model.train();
    await expectRejection(() => explain.saliency(model, x, { targets: 9 }), RangeError, 'saliency');
    expect(model.training).toBe(true);
  });
});

describe('memory', () => {
  test('repeated calls, failing ones included, leave the tensor count unchanged', async () => {
    const model = new Tiny('relu', 13);
    const x = toTensor(randNd(rng(4), SHAPE));
    const runAll = async () => {
      ds.dispose(await explain.saliency(model, x));
      ds.dispose(await explain.guidedBackprop(model, x));
      ds.dispose(await explain.smoothGrad(model, x, { samples: 3, batchSize: 4 }));
      ds.dispose(await explain.smoothGrad(model, x, { samples: 2, squared: true }));
      ds.dispose(await explain.integratedGradients(model, x, { steps: 5, batchSize: 3, baseline: 0.1 }));
      ds.dispose(await explain.guidedGradCam(model, x, { layers: 'conv' }));
      await explain.saliency(model, x, { targets: 99 }).catch(() => undefined);
      await explain.integratedGradients(model, x, { targets: [0, 99] }).catch(() => undefined);
    };
    await runAll(); // warm-up: lazily created buffers are not leaks
    const before = (await settledMemory()).tensors;
    for (let i = 0; i < 3; i++) await runAll();
    expect((await settledMemory()).tensors).toBe(before);
    ds.dispose(x);
    model.dispose();
  });
});

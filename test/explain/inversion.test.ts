/**
 * Feature inversion (Mahendran & Vedaldi 2015), its image priors, perceptual losses (Johnson et al. 2016)
 * and activation maximisation (Simonyan et al. 2014), on a small fixed-seed CNN and 28×28 images.
 */
import * as ds from '../../src';
import { Nd } from '../reference/nd';
import * as ref from '../reference/regularizers';
import * as pref from '../reference/perceptual';
import { conv2d as convRef } from '../reference/conv';
import { expectError, gradcheck, normError, randNd, rng, settledMemory, toNd, toTensor } from '../helpers';

const { nn, explain } = ds;

/** conv 1→16 3×3 → ReLU → pool → conv 16→16 → ReLU → pool → linear 784→10, weights from a fixed seed. */
function smallCnn(): ds.nn.Sequential {
  const g = new ds.Generator(7);
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1, generator: g }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 16, 3, { padding: 1, generator: g }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(16 * 7 * 7, 10, { generator: g }),
  );
}

/** A smooth digit-like 28×28 image in [0, 1]: a ring and a slanted stroke. */
function digit(): ds.Tensor {
  const [h, w] = [28, 28];
  const d = new Float32Array(h * w);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const ring = Math.exp(-((Math.hypot(i - 10, j - 14) - 5) ** 2) / 3);
      const stroke = i > 12 && i < 25 ? Math.exp(-((j - 18 - (i - 14) * 0.2) ** 2) / 2) : 0;
      d[i * w + j] = Math.min(1, ring + stroke);
    }
  }
  return ds.tensor(d, [1, 1, h, w]);
}

/** ‖a − b‖ / ‖b‖. */
function relErr(a: ds.Tensor, b: ds.Tensor): number {
  return ds.tidy(() => ds.noGrad(() => a.sub(b).square().sum().sqrt().div(b.square().sum().sqrt())).itemSync());
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

function hooksLeft(m: ds.nn.Module): number {
  return m.modules().reduce((s, k) => s + k._forwardHooks.size + k._forwardPreHooks.size, 0);
}

describe('image priors against the float64 reference', () => {
  test('alphaNorm: value and gradient (finite differences) for α = 6, 2, 1.5, 1', () => {
    const r = rng(11);
    for (const alpha of [6, 2, 1.5, 1]) {
      gradcheck({ f: (x) => explain.alphaNorm(x, alpha), ref: (x) => ref.alphaNorm(x, alpha), inputs: [randNd(r, [2, 3, 5, 4], -1.5, 1.5)], fwdTol: 1e-5, bwdTol: 1e-3 });
    }
  });

  test('totalVariation: value and gradient for β = 2, 1.5, 1, on [N, C, H, W] and [H, W]', () => {
    const r = rng(12);
    for (const beta of [2, 1.5, 1]) {
      gradcheck({ f: (x) => explain.totalVariation(x, beta), ref: (x) => ref.totalVariation(x, beta), inputs: [randNd(r, [2, 3, 5, 6])], fwdTol: 1e-5, bwdTol: 1e-3 });
      gradcheck({ f: (x) => explain.totalVariation(x, beta), ref: (x) => ref.totalVariation(x, beta), inputs: [randNd(r, [7, 4])], fwdTol: 1e-5, bwdTol: 1e-3 });
    }
  });

  test('defaults α = 6 and β = 2; a constant image has TV 0 and a finite zero gradient for β = 1', () => {
    const x = randNd(rng(13), [1, 2, 4, 4]);
    expect(explain.alphaNorm(toTensor(x)).itemSync()).toBeCloseTo(ref.alphaNorm(x, 6).data[0], 4);
    expect(explain.totalVariation(toTensor(x)).itemSync()).toBeCloseTo(ref.totalVariation(x, 2).data[0], 4);
    ds.tidy(() => {
      const c = ds.full([1, 1, 5, 5], 0.3);
      const [g] = ds.grad(() => explain.totalVariation(c, 1), [c]);
      expect(explain.totalVariation(c, 1).itemSync()).toBe(0);
      expect([...g.dataSync()].every((v) => v === 0)).toBe(true);
    });
  });

  test('roll matches the reference for shifts of any sign and size; its gradient rolls back', () => {
    const r = rng(14);
    const x = randNd(r, [2, 3, 5, 4]);
    for (const [dy, dx] of [[0, 0], [1, 0], [0, -1], [2, 3], [-7, 9], [5, 4]] as [number, number][]) {
      const y = ds.tidy(() => explain.roll(toTensor(x), [dy, dx]).dataSync());
      expect(normError(y, ref.roll(x, dy, dx))).toBe(0);
    }
    gradcheck({ f: (t) => explain.roll(t, [2, -1]), ref: (t) => ref.roll(t, 2, -1), inputs: [randNd(r, [1, 2, 4, 5])], fwdTol: 0, bwdTol: 1e-6 });
  });

  test('jitter: a seeded shift within ±maxShift, the same for the same seed', () => {
    const dot = ds.tensor(Float32Array.from({ length: 81 }, (_, i) => (i === 40 ? 1 : 0)), [1, 1, 9, 9]);
    const seen = new Set<string>();
    for (let s = 0; s < 40; s++) {
      const a = explain.jitter(dot, 2, { generator: new ds.Generator(s) }).dataSync();
      const b = explain.jitter(dot, 2, { generator: new ds.Generator(s) }).dataSync();
      expect([...a]).toEqual([...b]);
      const k = a.indexOf(1);
      const [dy, dx] = [Math.floor(k / 9) - 4, (k % 9) - 4];
      expect(Math.abs(dy)).toBeLessThanOrEqual(2);
      expect(Math.abs(dx)).toBeLessThanOrEqual(2);
      seen.add(`${dy},${dx}`);
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(explain.jitter(dot, 0)).toBe(dot);
    dot.dispose();
  });
});

describe('invert', () => {
  const net = smallCnn();
  const x0 = digit();
  // Starting noise of standard deviation 0.1 (the default: range / 10, the range being 1 here).
  const init = ds.randn([1, 1, 28, 28], { generator: new ds.Generator(1) }).mul(0.1);
  let result: ds.explain.Inversion;
  const progress: ds.explain.InvertStep[] = [];

  beforeAll(async () => {
    result = await explain.invert(net, x0, { layer: '1', steps: 200, init, generator: new ds.Generator(1), onStep: (p) => void progress.push(p) });
  });

  test('from the first conv + ReLU, the image comes back: error far below the starting noise', () => {
    const start = relErr(init, x0);
    const end = relErr(result.image, x0);
    // Observed: start 1.04, end 0.0155 (the TV prior's smoothing; 5e-5 with both priors off), featureError 0.0098.
    expect(start).toBeGreaterThan(0.9);
    expect(end).toBeLessThan(0.06);
    expect(end).toBeLessThan(0.06 * start);
    expect(result.featureError).toBeLessThan(0.04);
    expect(result.image.shape).toEqual([1, 1, 28, 28]);
    expect(result.image.requiresGrad).toBe(false);
  });

  test('without priors, the inversion is exact', async () => {
    const r = await explain.invert(net, x0, { layer: '1', steps: 200, init, lambdaAlpha: 0, lambdaTV: 0 });
    // Observed: 5e-5 (16 channels of a 3×3 conv with ReLU determine a 28×28 image).
    expect(relErr(r.image, x0)).toBeLessThan(2e-3);
    expect(r.featureError).toBeLessThan(2e-3);
  });

  test('the objective decreases: last 10 % of the steps far below the first 10 %, and on average at every stage', () => {
    const L = result.losses;
    expect(L).toHaveLength(200);
    const k = L.length / 10;
    // Observed: 0.20 → 0.0038.
    expect(mean(L.slice(-k))).toBeLessThan(0.5 * mean(L.slice(0, k)));
    expect(mean(L.slice(-k))).toBeLessThan(0.05 * mean(L.slice(0, k)));
    // Monotone on average: each tenth's mean at most that of the tenth before (5 % slack for Adam's wobble).
    const tenths = Array.from({ length: 10 }, (_, i) => mean(L.slice(i * k, (i + 1) * k)));
    for (let i = 1; i < 10; i++) expect(tenths[i]).toBeLessThanOrEqual(tenths[i - 1] * 1.05);
  });

  test('onStep reports every step: 1..steps, loss = reconstruction + regularisation, as in losses', () => {
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(progress.every((p) => p.steps === 200)).toBe(true);
    progress.forEach((p, i) => {
      expect(p.loss).toBe(result.losses[i]);
      expect(p.loss).toBeCloseTo(p.reconstruction + p.regularisation, 6);
      expect(p.regularisation).toBeGreaterThan(0);
    });
    // The reconstruction starts near 1 (noise): the normalisation by ‖Φ₀‖².
    expect(progress[0].reconstruction).toBeGreaterThan(0.1);
    expect(progress[0].reconstruction).toBeLessThan(2);
  });

  test('the same seed gives the same result (noise start and jitter); another seed another', async () => {
    const run = (seed: number) => explain.invert(net, x0, { layer: '1', steps: 25, jitter: 1, generator: new ds.Generator(seed) });
    const [a, b, c] = [await run(5), await run(5), await run(6)];
    expect(a.losses).toEqual(b.losses);
    expect([...a.image.dataSync()]).toEqual([...b.image.dataSync()]);
    expect(a.featureError).toBe(b.featureError);
    expect([...a.image.dataSync()]).not.toEqual([...c.image.dataSync()]);
  });

  test('momentum SGD (the paper\'s optimiser) works as well, with its default step', async () => {
    const r = await explain.invert(net, x0, { layer: '1', steps: 150, init, optimizer: 'sgd' });
    // Observed: 0.0156.
    expect(relErr(r.image, x0)).toBeLessThan(0.06);
  });

  test('a batch is inverted image by image; a Module works as the layer', async () => {
    const x2 = ds.cat([x0, explain.roll(x0, [3, -4])], 0);
    const r = await explain.invert(net, x2, { layer: net.at(1), steps: 150, generator: new ds.Generator(2) });
    expect(r.image.shape).toEqual([2, 1, 28, 28]);
    for (let i = 0; i < 2; i++) expect(relErr(r.image.narrow(0, i, 1), x2.narrow(0, i, 1))).toBeLessThan(0.06);
  });
});

describe('perceptualLoss', () => {
  const g = new ds.Generator(3);
  const conv = new nn.Conv2d(2, 3, 3, { padding: 1, generator: g });
  const net = new nn.Sequential(conv, new nn.ReLU(), new nn.Flatten());
  net.requiresGrad_(false);
  const W = toNd(conv.weight);
  const B = toNd(conv.bias!);
  const features = (x: Nd) => convRef(x, W, B, { pad: [1, 1, 1, 1] }).map((v) => Math.max(v, 0));
  const r = rng(21);

  test('zero for identical inputs', () => {
    const pl = explain.perceptualLoss(net, { content: '1', style: ['0', '1'] });
    const x = toTensor(randNd(r, [2, 2, 5, 6]));
    expect(pl.loss(x, x).itemSync()).toBe(0);
    expect(pl.content(x, x).itemSync()).toBe(0);
    expect(pl.style(x, x).itemSync()).toBe(0);
    expect(pl.contentLayers).toEqual(['1']);
    expect(pl.styleLayers).toEqual(['0', '1']);
  });

  test('style and content losses match the float64 Gram formula, values and gradients', () => {
    const pl = explain.perceptualLoss(net, { content: '1', style: '1' });
    const x = randNd(r, [2, 2, 5, 5]);
    const y = randNd(r, [2, 2, 5, 5]);
    const yt = toTensor(y);
    gradcheck({ f: (t) => pl.style(t, yt), ref: (t) => Nd.from([pref.styleLoss(features(t), features(y))], []), inputs: [x], fwdTol: 1e-5, bwdTol: 1e-3 });
    gradcheck({ f: (t) => pl.content(t, yt), ref: (t) => Nd.from([pref.contentLoss(features(t), features(y))], []), inputs: [x], fwdTol: 1e-5, bwdTol: 1e-3 });
    // One style image for the whole batch, of another size (Gram matrices are C×C).
    const ys = randNd(r, [1, 2, 7, 4]);
    expect(pl.style(toTensor(x), toTensor(ys)).itemSync()).toBeCloseTo(pref.styleLoss(features(x), features(ys)), 5);
    const y1 = randNd(r, [1, 2, 5, 5]);
    expect(pl.content(toTensor(x), toTensor(y1)).itemSync()).toBeCloseTo(pref.contentLoss(features(x), features(y1)), 5);
    // The weighted sum, from one pass.
    const both = explain.perceptualLoss(net, { content: '1', style: '1', contentWeight: 2, styleWeight: 5 });
    const expected = 2 * pref.contentLoss(features(x), features(y)) + 5 * pref.styleLoss(features(x), features(y));
    expect(both.loss(toTensor(x), yt).itemSync()).toBeCloseTo(expected, 5);
  });

  test('gramMatrix matches the reference', () => {
    const f = randNd(r, [2, 3, 4, 5]);
    const got = explain.gramMatrix(toTensor(f)).dataSync();
    expect(normError(got, pref.gram(f))).toBeLessThan(1e-6);
  });
});

describe('visualize', () => {
  const net = smallCnn();

  test('raises the target logit over the steps until the class wins', async () => {
    const seen: number[] = [];
    const v = await explain.visualize(net, { target: 3, shape: [1, 28, 28], steps: 150, generator: new ds.Generator(1), onStep: (p) => void seen.push(p.step) });
    expect(v.scores).toHaveLength(150);
    expect(seen).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    // Observed: −0.07 at the start, 2.4 after 150 steps (means of the first and last 15: 0.003, 2.23).
    expect(mean(v.scores.slice(-15))).toBeGreaterThan(mean(v.scores.slice(0, 15)) + 1);
    const logits = ds.tidy(() => ds.noGrad(() => net.call(v.image)).dataSync());
    expect(logits.indexOf(Math.max(...logits))).toBe(3);
    expect(v.image.shape).toEqual([1, 1, 28, 28]);
  });

  test('raises a channel\'s mean activation', async () => {
    const v = await explain.visualize(net, { target: { layer: '4', channel: 2 }, shape: [1, 28, 28], steps: 100, generator: new ds.Generator(1) });
    // Observed: 0.16 → 1.03 (means of the first and last 10 steps).
    expect(mean(v.scores.slice(-10))).toBeGreaterThan(mean(v.scores.slice(0, 10)) + 0.5);
  });
});

describe('errors name the op and the argument', () => {
  const net = smallCnn();
  const x0 = digit();

  test('invert: bad arguments and options throw at once', () => {
    expectError(() => explain.invert({} as never, x0, { layer: '1' }), TypeError, /invert: argument 'model' must be a Module/);
    expectError(() => explain.invert(net, ds.zeros([1, 28, 28]), { layer: '1' }), TypeError, /invert: argument 'image' must be a float32 \[N, C, H, W\] batch, got float32 \[1, 28, 28\]/);
    expectError(() => explain.invert(net, x0, undefined as never), TypeError, /invert: argument 'options' is required/);
    expectError(() => explain.invert(net, x0, { layer: 'features.1' }), RangeError, /invert: the model \(Sequential\) has no module 'features.1'/);
    expectError(() => explain.invert(net, x0, { layer: 3 as never }), TypeError, /invert: option 'layer' must be a module path or a Module, got number/);
    expectError(() => explain.invert(net, x0, { layer: new nn.ReLU() }), RangeError, /invert: .*is not a module of the model/);
    expectError(() => explain.invert(net, x0, { layer: '1', steps: 0 }), RangeError, /invert: option 'steps' must be a finite number >= 1, got 0/);
    expectError(() => explain.invert(net, x0, { layer: '1', steps: 2.5 }), TypeError, /invert: option 'steps' must be an integer, got 2.5/);
    expectError(() => explain.invert(net, x0, { layer: '1', lr: -1 }), RangeError, /invert: option 'lr' must be a finite number > 0, got -1/);
    expectError(() => explain.invert(net, x0, { layer: '1', alpha: 0.5 }), RangeError, /invert: option 'alpha'.*got 0.5/);
    expectError(() => explain.invert(net, x0, { layer: '1', lambdaTV: '1' as never }), TypeError, /invert: option 'lambdaTV' must be a number, got string/);
    expectError(() => explain.invert(net, x0, { layer: '1', lamdaTV: 1 } as never), TypeError, /invert: unknown option 'lamdaTV'/);
    expectError(() => explain.invert(net, x0, { layer: '1', init: ds.zeros([1, 1, 32, 32]) }), RangeError, /invert: option 'init' must be a float32 tensor of shape \[1, 1, 28, 28\], got float32 \[1, 1, 32, 32\]/);
    expectError(() => explain.invert(net, x0, { layer: '1', generator: 3 as never }), TypeError, /invert: option 'generator' must be a Generator/);
    expectError(() => explain.invert(net, x0, { layer: '1', optimizer: 'lbfgs' as never }), TypeError, /invert: option 'optimizer' must be 'adam' or 'sgd', got "lbfgs"/);
    expectError(() => explain.invert(net, x0, { layer: '1', onStep: 1 as never }), TypeError, /invert: option 'onStep' must be a function/);
    expectError(() => explain.invert(net, x0, { layer: '1', jitter: -1 }), RangeError, /invert: option 'jitter'/);
    expect(hooksLeft(net)).toBe(0);
  });

  test('invert: failures during the run reject (a layer that does not run, a model that rejects the input, an abort)', async () => {
    // A submodule the forward pass never calls.
    class WithSpare extends nn.Module {
      body = this.registerModule('body', smallCnn());
      spare = this.registerModule('spare', new nn.Sequential(new nn.Conv2d(1, 2, 3)));
      override forward(x: ds.Tensor): ds.Tensor {
        return this.body.call(x);
      }
    }
    const m = new WithSpare();
    await expect(explain.invert(m, x0, { layer: 'spare.0', steps: 2 })).rejects.toThrow(/invert: layer 'spare.0' did not run in the model's forward pass/);
    await expect(explain.invert(net, ds.zeros([1, 3, 28, 28]), { layer: '1', steps: 2 })).rejects.toThrow(/conv2d/);
    const ac = new AbortController();
    let steps = 0;
    const p = explain.invert(net, x0, { layer: '1', steps: 50, signal: ac.signal, onStep: (s) => { steps = s.step; if (s.step === 3) ac.abort(); } });
    await expect(p).rejects.toThrow(/abort/i);
    expect(steps).toBe(3);
    expect(hooksLeft(m) + hooksLeft(net)).toBe(0);
  });

  test('visualize: bad target, shape and options', async () => {
    expectError(() => explain.visualize(net, { target: 3, shape: [28, 28] }), TypeError, /visualize: option 'shape' must be an image shape \[C, H, W\], got \[28, 28\]/);
    expectError(() => explain.visualize(net, { target: 3, shape: [1, 0, 28] }), RangeError, /visualize: option 'shape' must hold positive integers \[C, H, W\], got \[1, 0, 28\]/);
    expectError(() => explain.visualize(net, { target: -1, shape: [1, 28, 28] }), RangeError, /visualize: option 'target' must be a finite number >= 0, got -1/);
    expectError(() => explain.visualize(net, { target: 'cat' as never, shape: [1, 28, 28] }), TypeError, /visualize: option 'target' must be a class index or \{ layer, channel \}, got string/);
    expectError(() => explain.visualize(net, { target: { layer: 'nope', channel: 0 }, shape: [1, 28, 28] }), RangeError, /visualize: the model \(Sequential\) has no module 'nope'/);
    expectError(() => explain.visualize(net, { target: { layer: '4' } as never, shape: [1, 28, 28] }), TypeError, /visualize: option 'target.channel' is required/);
    expectError(() => explain.visualize(net, { target: 3, shape: [1, 28, 28], l2: -1 }), RangeError, /visualize: option 'l2'/);
    expectError(() => explain.visualize(net, { target: 3, shape: [1, 28, 28], init: ds.zeros([1, 28, 28]) }), RangeError, /visualize: option 'init' must be a float32 tensor of shape \[1, 1, 28, 28\], got float32 \[1, 28, 28\]/);
    await expect(explain.visualize(net, { target: 10, shape: [1, 28, 28], steps: 2 })).rejects.toThrow(/visualize: option 'target' 10 is out of range for 10 classes/);
    await expect(explain.visualize(net, { target: { layer: '4', channel: 16 }, shape: [1, 28, 28], steps: 2 })).rejects.toThrow(/visualize: option 'target.channel' 16 is out of range for layer '4' with output shape \[1, 16, 14, 14\]/);
    expect(hooksLeft(net)).toBe(0);
  });

  test('perceptualLoss and the priors: bad layers, shapes and arguments', () => {
    expectError(() => explain.perceptualLoss(net, {}), RangeError, /perceptualLoss: give 'content' or 'style' layers/);
    expectError(() => explain.perceptualLoss(net, { content: [] }), RangeError, /perceptualLoss: option 'content' is an empty list/);
    expectError(() => explain.perceptualLoss(net, { style: ['1', 'x9'] }), RangeError, /perceptualLoss: the model \(Sequential\) has no module 'x9'/);
    expectError(() => explain.perceptualLoss(net, { style: [1] as never }), TypeError, /perceptualLoss: option 'style' must be a module path, a Module, or a list of them/);
    expectError(() => explain.perceptualLoss(net, { style: '1', contentWeight: -2 }), RangeError, /perceptualLoss: option 'contentWeight'/);
    const pl = explain.perceptualLoss(net, { content: '1', style: ['1', '6'] });
    const x = ds.zeros([2, 1, 28, 28]);
    expectError(() => pl.style(x, x), TypeError, /perceptualLoss.style: layer '6' must output a 4-D \[N, C, h, w\] tensor, got a tensor of shape \[2, 784\]/);
    expectError(() => pl.content(ds.zeros([28, 28]), x), TypeError, /perceptualLoss.content: argument 'x' must be a float32 \[N, C, H, W\] batch, got float32 \[28, 28\]/);
    expectError(() => pl.content(x, ds.zeros([3, 1, 28, 28])), RangeError, /perceptualLoss.content: argument 'target' must hold 2 images \(as 'x'\) or 1, got shape \[3, 1, 28, 28\]/);
    expectError(() => pl.content(x, ds.zeros([1, 1, 24, 28])), RangeError, /perceptualLoss.content: argument 'target' must have the image shape of 'x' \[1, 28, 28\] for the content loss, got \[1, 1, 24, 28\]/);
    expectError(() => explain.perceptualLoss(net, { style: '1' }).content(x, x), RangeError, /perceptualLoss.content: no 'content' layers were given/);
    expectError(() => explain.alphaNorm(x, 0.5), RangeError, /alphaNorm: 'alpha' must be >= 1, got 0.5/);
    expectError(() => explain.totalVariation(ds.zeros([5]), 2), TypeError, /totalVariation: argument 'x' must be a float32 tensor of rank >= 2 \(\[..., H, W\]\), got float32 \[5\]/);
    expectError(() => explain.roll(x, [1] as never), TypeError, /roll: argument 'shifts' must be a pair \[dy, dx\] of integers, got \[1\]/);
    expectError(() => explain.roll(x, [1, 0.5]), TypeError, /roll: 'shifts\[1\]' must be an integer, got 0.5/);
    expectError(() => explain.jitter(x, -1), RangeError, /jitter: 'maxShift' must be >= 0, got -1/);
    expect(hooksLeft(net)).toBe(0);
  });
});

describe('calls leave the model and memory as they were', () => {
  test('same output, no hooks, mode and gradients untouched, no tensor left behind', async () => {
    const net = smallCnn();
    const x0 = digit();
    net.train();
    const out0 = ds.tidy(() => ds.noGrad(() => net.call(x0)).dataSync());
    const pl = explain.perceptualLoss(net, { content: '1', style: ['1', '4'] });
    const y = ds.randn([1, 1, 28, 28], { generator: new ds.Generator(9) });
    const before = (await settledMemory()).tensors;
    for (let i = 0; i < 2; i++) {
      const r = await explain.invert(net, x0, { layer: '4', steps: 5, jitter: 2, generator: new ds.Generator(i) });
      r.image.dispose();
      const v = await explain.visualize(net, { target: 1, shape: [1, 28, 28], steps: 5 });
      v.image.dispose();
      ds.tidy(() => void [pl.loss(x0, y), pl.content(x0, y), pl.style(x0, y)].map((t) => t.itemSync()));
      await explain.invert(net, x0, { layer: '1', steps: 2 }).then((r) => r.image.dispose());
      expect(() => explain.invert(net, x0, { layer: 'nope', steps: 2 })).toThrow(RangeError);
    }
    // Inside a caller's tidy scope, the results are the caller's to keep or free.
    const kept = await ds.tidy(async () => (await explain.invert(net, x0, { layer: '1', steps: 2 })).image.mul(1).sum());
    kept.dispose();
    // Everything was disposed explicitly, not left to the garbage collector: the count is back at once.
    expect(ds.memory().cpu.tensors).toBe(before);
    expect((await settledMemory()).tensors).toBe(before);
    expect(hooksLeft(net)).toBe(0);
    expect(net.training).toBe(true);
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
    expect([...ds.tidy(() => ds.noGrad(() => net.call(x0)).dataSync())]).toEqual([...out0]);
  });
});

import * as ds from '../../src';
import { Nd } from '../reference/nd';
import * as ref from '../reference/norm';
import { expectClose, gradcheck, normError, randNd, randint, rng, toTensor } from '../helpers';

// Tolerances (normalised error, see helpers.normError). Observed maxima over these tests: ≈ 1.5e-7.
// - Batch norm forward: statistics in double, then (x − mean)·(invstd·w) + b in float32: a few roundings
//   (2^-24 ≈ 6e-8 each) of values of size |x̂·w| ≲ 4: 1e-6.
// - Batch norm backward: dx = w·invstd·(gy − Σgy/M − x̂·Σgy·x̂/M) subtracts terms of size |gy| ≈ 1 and
//   can cancel to a result several times smaller; each term carries a float32 rounding (≈ 1e-7 of the
//   terms), and the float64 central difference (step 1e-6) adds ≈ 1e-9: 1e-5. Variances stay ≳ 0.05, so
//   invstd does not amplify further.
// - Running statistics: one double update rounded to float32 per step: 1e-6.
// - LRN forward: one float32 pow and a float32 sum of ≤ size squares per element (≈ 1e-7): 1e-6.
// - LRN backward: adds a float32 sum of ≤ size products g·y/s (≈ size·6e-8) and a subtraction that can
//   cancel; FD truncation ≈ eps²·f''' ≈ 1e-12: 5e-6.
const BN_FWD = 1e-6;
const BN_BWD = 1e-5;
const RUNNING = 1e-6;
const LRN_FWD = 1e-6;
const LRN_BWD = 5e-6;

const toList = (t: ds.Tensor): number[] => [...t.dataSync()];

describe('batchNorm', () => {
  const shapes = [
    [5, 3], // [N, C]
    [2, 4, 5], // [N, C, L]
    [1, 3, 4, 5], // batch 1
    [3, 2, 3, 3],
    [2, 2, 1, 3, 3], // 5-D
  ];

  for (const shape of shapes) {
    for (const affine of [true, false]) {
      test(`training, input ${JSON.stringify(shape)}, ${affine ? 'with' : 'without'} weight and bias`, () => {
        const r = rng(shape.length * 13 + (affine ? 1 : 0));
        const c = shape[1];
        const x = randNd(r, shape, -2, 2);
        const w = randNd(r, [c], 0.5, 1.5);
        const b = randNd(r, [c]);
        gradcheck({
          f: affine
            ? (xt, wt, bt) => ds.batchNorm(xt, null, null, wt, bt, { training: true })
            : (xt) => ds.batchNorm(xt, null, null, null, null, { training: true }),
          ref: affine
            ? (xv, wv, bv) => ref.batchNorm(xv, null, null, wv, bv, { training: true }).y
            : (xv) => ref.batchNorm(xv, null, null, null, null, { training: true }).y,
          inputs: affine ? [x, w, b] : [x],
          fwdTol: BN_FWD,
          bwdTol: BN_BWD,
        });
      });

      test(`eval, input ${JSON.stringify(shape)}, ${affine ? 'with' : 'without'} weight and bias`, () => {
        const r = rng(shape.length * 17 + (affine ? 1 : 0));
        const c = shape[1];
        const rm = randNd(r, [c], -0.5, 0.5);
        const rv = randNd(r, [c], 0.3, 2);
        const rmT = toTensor(rm);
        const rvT = toTensor(rv);
        gradcheck({
          f: affine
            ? (xt, wt, bt) => ds.batchNorm(xt, rmT, rvT, wt, bt)
            : (xt) => ds.batchNorm(xt, rmT, rvT, null, null, { training: false }),
          ref: affine
            ? (xv, wv, bv) => ref.batchNorm(xv, [...rm.data], [...rv.data], wv, bv, { training: false }).y
            : (xv) => ref.batchNorm(xv, [...rm.data], [...rv.data], null, null, { training: false }).y,
          inputs: affine ? [randNd(r, shape, -2, 2), randNd(r, [c], 0.5, 1.5), randNd(r, [c])] : [randNd(r, shape, -2, 2)],
          fwdTol: BN_FWD,
          bwdTol: BN_BWD,
        });
        // Eval leaves the running statistics alone.
        expect(toList(rmT)).toEqual([...Float32Array.from(rm.data)]);
        rmT.dispose();
        rvT.dispose();
      });
    }
  }

  test('running statistics after one and after several training steps; eval uses them', () => {
    const r = rng(77);
    const shape = [4, 3, 5, 2];
    const momentum = 0.3;
    const rm = ds.zeros([3]);
    const rv = ds.ones([3]);
    let refMean = [0, 0, 0];
    let refVar = [1, 1, 1];
    for (let step = 1; step <= 5; step++) {
      const x = randNd(r, shape, -1 + step * 0.2, 1 + step * 0.5);
      ds.tidy(() => ds.batchNorm(toTensor(x), rm, rv, null, null, { training: true, momentum }));
      const out = ref.batchNorm(x, refMean, refVar, null, null, { training: true, momentum });
      refMean = out.runningMean!;
      refVar = out.runningVar!;
      if (step === 1 || step === 5) {
        expectClose(rm, Nd.from(refMean, [3]), RUNNING, `running mean after ${step} step(s)`);
        expectClose(rv, Nd.from(refVar, [3]), RUNNING, `running var after ${step} step(s)`);
      }
    }
    const x = randNd(r, shape);
    const w = randNd(r, [3]);
    const b = randNd(r, [3]);
    ds.tidy(() => {
      const y = ds.batchNorm(toTensor(x), rm, rv, toTensor(w), toTensor(b), { training: false });
      expectClose(y, ref.batchNorm(x, refMean, refVar, w, b, { training: false }).y, BN_FWD, 'eval output');
    });
  });

  test('the running variance uses the unbiased estimate (PyTorch)', () => {
    // x = [1, 3] per channel: mean 2, biased var 1, unbiased var 2; momentum 1 copies the batch statistics.
    const rm = ds.zeros([1]);
    const rv = ds.zeros([1]);
    const y = ds.batchNorm(ds.tensor([[1], [3]]), rm, rv, null, null, { training: true, momentum: 1, eps: 0 });
    expect(toList(y)).toEqual([-1, 1]);
    expect(toList(rm)).toEqual([2]);
    expect(toList(rv)).toEqual([2]);
  });

  test('statistics do not depend on the thread count, and stay accurate with a large offset', () => {
    const r = rng(5);
    // A large common offset: a one-pass E[x²] − E[x]² in float32 would lose every digit of the variance.
    const x = randNd(r, [8, 3, 40, 40]).map((v) => Math.fround(1000 + v));
    const runOnce = () =>
      ds.tidy(() => {
        const rm = ds.zeros([3]);
        const rv = ds.ones([3]);
        const xt = toTensor(x, { requiresGrad: true });
        const y = ds.batchNorm(xt, rm, rv, null, null, { training: true });
        y.mul(y).sum().backward();
        return [toList(y), toList(rm), toList(rv), toList(xt.grad!)];
      });
    const before = ds.getNumThreads();
    try {
      ds.setNumThreads(1);
      const one = runOnce();
      ds.setNumThreads(3);
      expect(runOnce()).toEqual(one);
    } finally {
      ds.setNumThreads(before);
    }
    const expected = ref.batchNorm(x, [0, 0, 0], [1, 1, 1], null, null, { training: true });
    ds.tidy(() => {
      const rm = ds.zeros([3]);
      const rv = ds.ones([3]);
      // Normalising values of size 1 after subtracting 1000: the float32 input spacing (6e-5) bounds accuracy.
      expectClose(ds.batchNorm(toTensor(x), rm, rv, null, null, { training: true }), expected.y, 1e-4, 'offset input');
      expect(normError(rv.dataSync(), Nd.from(expected.runningVar!, [3]))).toBeLessThan(RUNNING);
    });
  });

  describe('argument errors', () => {
    const x = ds.zeros([4, 3, 2, 2]);
    const v3 = ds.zeros([3]);
    test('types, dtypes, devices', () => {
      expect(() => ds.batchNorm('x' as unknown as ds.Tensor, v3, v3)).toThrow(new TypeError("batchNorm: argument 'input' must be a Tensor, got string"));
      expect(() => ds.batchNorm(ds.zeros([4, 3], { dtype: 'int32' }), v3, v3)).toThrow(TypeError);
      expect(() => ds.batchNorm(x, v3, v3, ds.zeros([3], { dtype: 'int32' }))).toThrow(/batchNorm: argument 'weight' must have dtype float32, got int32/);
      expect(() => ds.batchNorm(x, null, null)).toThrow(new TypeError("batchNorm: 'runningMean' and 'runningVar' are required when training is false"));
      expect(() => ds.batchNorm(x, v3, null, null, null, { training: true })).toThrow(TypeError);
    });
    test('shapes', () => {
      expect(() => ds.batchNorm(ds.zeros([4]), v3, v3)).toThrow(RangeError);
      expect(() => ds.batchNorm(ds.zeros([4]), v3, v3)).toThrow(/batchNorm: argument 'input' must be 2 or 3 or 4 or 5-D .*got shape \[4\]/);
      expect(() => ds.batchNorm(x, ds.zeros([4]), v3)).toThrow(
        new RangeError("batchNorm: argument 'runningMean' must have shape [3] (one value per channel of input [4, 3, 2, 2]), got [4]"),
      );
      expect(() => ds.batchNorm(x, v3, ds.zeros([3, 1]))).toThrow(/batchNorm: argument 'runningVar' must have shape \[3\]/);
      expect(() => ds.batchNorm(x, v3, v3, null, ds.zeros([2]))).toThrow(/batchNorm: argument 'bias' must have shape \[3\]/);
    });
    test('training with one value per channel', () => {
      expect(() => ds.batchNorm(ds.zeros([1, 3]), null, null, null, null, { training: true })).toThrow(
        new RangeError('batchNorm: expected more than 1 value per channel when training, got input of shape [1, 3]'),
      );
      expect(() => ds.batchNorm(ds.zeros([1, 3, 1, 1]), v3, v3, null, null, { training: true })).toThrow(RangeError);
      // Eval with a single value is fine.
      expect(ds.batchNorm(ds.zeros([1, 3]), v3, ds.ones([3])).shape).toEqual([1, 3]);
    });
  });
});

describe('localResponseNorm', () => {
  const cases = [
    { shape: [2, 7, 3, 4], size: 5, alpha: 1e-4, beta: 0.75, k: 2 }, // AlexNet's setting
    { shape: [1, 6, 5, 3], size: 3, alpha: 0.8, beta: 0.75, k: 1 }, // strong normalisation
    { shape: [3, 5, 4], size: 5, alpha: 1.5, beta: 0.6, k: 1.2 }, // 3-D [N, C, L]
    { shape: [2, 4, 3, 3], size: 2, alpha: 0.9, beta: 1.1, k: 0.7 }, // even size: asymmetric window
    { shape: [1, 3, 2, 2], size: 7, alpha: 1, beta: 0.75, k: 1 }, // window wider than C
  ];
  for (const c of cases) {
    test(`size ${c.size}, input ${JSON.stringify(c.shape)}, alpha ${c.alpha}, beta ${c.beta}, k ${c.k}`, () => {
      const r = rng(c.size * 31 + c.shape.length);
      gradcheck({
        f: (x) => ds.localResponseNorm(x, c.size, { alpha: c.alpha, beta: c.beta, k: c.k }),
        ref: (x) => ref.localResponseNorm(x, c.size, c.alpha, c.beta, c.k),
        inputs: [randNd(r, c.shape, -2, 2)],
        fwdTol: LRN_FWD,
        bwdTol: LRN_BWD,
      });
    });
  }

  test('defaults are PyTorch\'s (alpha 1e-4, beta 0.75, k 1)', () => {
    const x = randNd(rng(3), [2, 6, 3, 3], -5, 5);
    expectClose(ds.localResponseNorm(toTensor(x), 5), ref.localResponseNorm(x, 5), LRN_FWD);
  });

  test('argument errors', () => {
    expect(() => ds.localResponseNorm(ds.zeros([2, 3]), 3)).toThrow(/localResponseNorm: argument 'input' must be 3 or 4 or 5 or 6-D .*got shape \[2, 3\]/);
    expect(() => ds.localResponseNorm(ds.zeros([1, 3, 2, 2]), 0)).toThrow(new RangeError("localResponseNorm: 'size' must be positive, got 0"));
    expect(() => ds.localResponseNorm(ds.zeros([1, 3, 2, 2]), 2.5)).toThrow(TypeError);
    expect(() => ds.localResponseNorm(null as unknown as ds.Tensor, 3)).toThrow(new TypeError("localResponseNorm: argument 'input' must be a Tensor, got null"));
  });
});

test('random shapes: batch norm over odd sizes', () => {
  const r = rng(2024);
  for (let trial = 0; trial < 4; trial++) {
    const shape = [randint(r, 1, 3) + 1, randint(r, 1, 5), randint(r, 1, 7), randint(r, 1, 7)];
    gradcheck({
      f: (x, w, b) => ds.batchNorm(x, null, null, w, b, { training: true, eps: 1e-3 }),
      ref: (x, w, b) => ref.batchNorm(x, null, null, w, b, { training: true, eps: 1e-3 }).y,
      inputs: [randNd(r, shape, -2, 2), randNd(r, [shape[1]], 0.5, 1.5), randNd(r, [shape[1]])],
      fwdTol: BN_FWD,
      bwdTol: BN_BWD,
      seed: trial,
    });
  }
});

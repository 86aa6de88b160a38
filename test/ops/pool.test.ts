import * as ds from '../../src';
import { Nd } from '../reference/nd';
import * as ref from '../reference/pool';
import { gradcheck, randNd, randint, rng, toTensor, expectError } from '../helpers';

// Tolerances (normalised error, see helpers.normError).
// - Max pooling forward is exact (0): it selects float32 inputs that the reference sees unchanged.
// - Average pooling forward: a float32 sum of at most kh·kw ≤ 16 terms and one division, relative error
//   ≲ 16·2^-24 ≈ 1e-6 of the summed magnitudes; normalised by the largest output, which can be a few
//   times smaller than the inputs: 1e-5.
// - Backward (both): the native gradient sums at most (kh·kw) float32 cotangent shares per input (same
//   bound, ≈ 1e-6); the reference gradient is a central difference of a piecewise-linear function in
//   float64 (no truncation error, roundoff ≈ 1e-16·|L|/1e-6 ≈ 1e-8): 1e-5.
const MAX_FWD = 0;
const AVG_FWD = 1e-5;
const BWD = 1e-5;

/**
 * Tie-free input: a random permutation of evenly spaced values in (−1, 1). Neighbouring values differ by
 * 2/n ≥ 1e-3 (for n ≤ 2000), far more than the finite-difference step 1e-6, so every window has a single
 * maximum and the perturbation never changes it.
 */
function distinct(r: () => number, shape: number[]): Nd {
  const n = Nd.numel(shape);
  const v = Array.from({ length: n }, (_, i) => -1 + (2 * (i + 0.5)) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return Nd.from(Float32Array.from(v), shape);
}

const as4 = (x: Nd): Nd => (x.ndim === 3 ? x.reshape([1, ...x.shape]) : x);
const back = (y: Nd, x: Nd): Nd => (x.ndim === 3 ? y.reshape(y.shape.slice(1)) : y);

interface MaxCase {
  k: [number, number];
  s: [number, number];
  p: [number, number];
  d: [number, number];
  ceil: boolean;
}

const maxCases: MaxCase[] = [
  { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: false },
  { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: false }, // ResNet stem
  { k: [3, 3], s: [2, 2], p: [0, 0], d: [1, 1], ceil: true }, // GoogLeNet
  { k: [2, 2], s: [2, 2], p: [1, 1], d: [1, 1], ceil: true }, // the last-window rule bites on odd sizes
  { k: [3, 2], s: [1, 2], p: [1, 0], d: [1, 1], ceil: false },
  { k: [3, 3], s: [1, 1], p: [1, 1], d: [2, 2], ceil: false },
  { k: [2, 3], s: [3, 2], p: [1, 1], d: [2, 1], ceil: true },
];

// Random sizes large enough for the dilated kernel, odd and even, batch 1 included, sometimes 3-D.
function randomInputShape(r: () => number, c: { k: number[]; d: number[]; p: number[] }, trial: number): number[] {
  const h = randint(r, Math.max(1, c.d[0] * (c.k[0] - 1) + 1 - 2 * c.p[0]), 11);
  const w = randint(r, Math.max(1, c.d[1] * (c.k[1] - 1) + 1 - 2 * c.p[1]), 11);
  const ch = randint(r, 1, 3);
  if (trial === 2) return [ch, h, w];
  return [trial === 0 ? 1 : randint(r, 1, 3), ch, h, w];
}

describe('maxPool2d', () => {
  maxCases.forEach((c, ci) => {
    test(`k=${c.k} s=${c.s} p=${c.p} d=${c.d} ceil=${c.ceil}: values, indices, gradient`, () => {
      const r = rng(100 + ci);
      for (let trial = 0; trial < 3; trial++) {
        const x = distinct(r, randomInputShape(r, c, trial));
        const opts = { kernelSize: c.k, stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil } as const;
        const refOpts = { kernel: c.k, stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil };
        gradcheck({
          f: (t) => ds.maxPool2d(t, opts),
          ref: (t) => back(ref.maxPool2d(as4(t), refOpts).values, t),
          inputs: [x],
          fwdTol: MAX_FWD,
          bwdTol: BWD,
          seed: trial,
        });
        ds.tidy(() => {
          const [, idx] = ds.maxPool2d(toTensor(x), { ...opts, returnIndices: true });
          expect(idx.dtype).toBe('int32');
          expect([...idx.dataSync()]).toEqual(ref.maxPool2d(as4(x), refOpts).indices);
        });
      }
    });
  });

  test('output sizes match PyTorch (ceil mode and its last-window rule)', () => {
    const shape = (h: number, o: ds.MaxPool2dOptions & { returnIndices?: false }) => ds.tidy(() => [...ds.maxPool2d(ds.zeros([1, 1, h, h]), o).shape]);
    // torch.nn.functional.max_pool2d(torch.zeros(1, 1, h, h), ...).shape
    expect(shape(5, { kernelSize: 2, stride: 2, padding: 1, ceilMode: true })).toEqual([1, 1, 3, 3]);
    expect(shape(5, { kernelSize: 2, stride: 2, padding: 1 })).toEqual([1, 1, 3, 3]);
    expect(shape(8, { kernelSize: 3, stride: 2, ceilMode: true })).toEqual([1, 1, 4, 4]);
    expect(shape(8, { kernelSize: 3, stride: 2 })).toEqual([1, 1, 3, 3]);
    expect(shape(112, { kernelSize: 3, stride: 2, padding: 1 })).toEqual([1, 1, 56, 56]);
    expect(shape(6, { kernelSize: 3, stride: 3, ceilMode: true })).toEqual([1, 1, 2, 2]);
  });

  test('stride defaults to the kernel size; NaN wins its window', () => {
    const x = ds.tensor([[[[1, 2, 3, 4], [5, NaN, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]]);
    const [v, i] = ds.maxPool2d(x, { kernelSize: 2, returnIndices: true });
    const vals = [...v.dataSync()];
    expect(Number.isNaN(vals[0])).toBe(true);
    expect(vals.slice(1)).toEqual([8, 14, 16]);
    expect([...i.dataSync()]).toEqual([5, 7, 13, 15]);
  });

  test('unbatched input keeps its rank and matches the batched result', () => {
    const x = distinct(rng(5), [2, 5, 6]);
    ds.tidy(() => {
      const a = ds.maxPool2d(toTensor(x), { kernelSize: 2 });
      const b = ds.maxPool2d(toTensor(x.reshape([1, 2, 5, 6])), { kernelSize: 2 });
      expect(a.shape).toEqual([2, 2, 3]);
      expect([...a.dataSync()]).toEqual([...b.dataSync()]);
    });
  });
});

interface AvgCase {
  k: [number, number];
  s: [number, number];
  p: [number, number];
  ceil: boolean;
  cip: boolean;
  div?: number;
}

const avgCases: AvgCase[] = [
  { k: [2, 2], s: [2, 2], p: [0, 0], ceil: false, cip: true },
  { k: [3, 3], s: [1, 1], p: [1, 1], ceil: false, cip: true },
  { k: [3, 3], s: [1, 1], p: [1, 1], ceil: false, cip: false },
  { k: [3, 3], s: [2, 2], p: [1, 1], ceil: true, cip: true }, // windows clipped by the padded input
  { k: [3, 3], s: [2, 2], p: [1, 1], ceil: true, cip: false },
  { k: [2, 3], s: [2, 1], p: [1, 0], ceil: true, cip: true, div: 5 },
  { k: [4, 4], s: [3, 3], p: [2, 1], ceil: false, cip: false, div: 7 },
];

describe('avgPool2d', () => {
  avgCases.forEach((c, ci) => {
    test(`k=${c.k} s=${c.s} p=${c.p} ceil=${c.ceil} countIncludePad=${c.cip} divisor=${c.div ?? '-'}`, () => {
      const r = rng(200 + ci);
      for (let trial = 0; trial < 3; trial++) {
        const x = randNd(r, randomInputShape(r, { k: c.k, d: [1, 1], p: c.p }, trial));
        const refOpts = { kernel: c.k, stride: c.s, padding: c.p, ceilMode: c.ceil, countIncludePad: c.cip, divisorOverride: c.div };
        gradcheck({
          f: (t) => ds.avgPool2d(t, { kernelSize: c.k, stride: c.s, padding: c.p, ceilMode: c.ceil, countIncludePad: c.cip, divisorOverride: c.div }),
          ref: (t) => back(ref.avgPool2d(as4(t), refOpts), t),
          inputs: [x],
          fwdTol: AVG_FWD,
          bwdTol: BWD,
          seed: trial,
        });
      }
    });
  });

  test('divisors at a padded corner follow PyTorch', () => {
    // F.avg_pool2d(torch.ones(1,1,3,3), 3, 2, 1, ceil_mode=True) corner: 4 ones / 9 = 0.444...
    const x = ds.ones([1, 1, 3, 3]);
    const a = ds.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true });
    expect(a.shape).toEqual([1, 1, 2, 2]);
    expect(a.dataSync()[0]).toBeCloseTo(4 / 9, 6);
    // count_include_pad=False: 4 ones / 4.
    expect(ds.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }).dataSync()[0]).toBeCloseTo(1, 6);
    expect(ds.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, divisorOverride: 2 }).dataSync()[0]).toBeCloseTo(2, 6);
  });
});

describe('adaptive pooling', () => {
  const sizes: { input: number[]; out: ds.AdaptiveSize; resolved: [number, number] }[] = [
    { input: [2, 3, 7, 5], out: [3, 2], resolved: [3, 2] }, // sizes that do not divide: overlapping windows
    { input: [1, 2, 9, 9], out: 1, resolved: [1, 1] }, // global pooling
    { input: [1, 2, 6, 13], out: [4, null], resolved: [4, 13] }, // null keeps a size
    { input: [2, 1, 4, 3], out: [6, 5], resolved: [6, 5] }, // larger than the input
    { input: [3, 5, 7], out: [2, 3], resolved: [2, 3] }, // unbatched
  ];
  sizes.forEach((c, ci) => {
    test(`avg and max: input ${JSON.stringify(c.input)} → ${JSON.stringify(c.out)}`, () => {
      const r = rng(300 + ci);
      gradcheck({
        f: (t) => ds.adaptiveAvgPool2d(t, c.out),
        ref: (t) => back(ref.adaptivePool2d('avg', as4(t), c.resolved).values, t),
        inputs: [randNd(r, c.input)],
        fwdTol: AVG_FWD,
        bwdTol: BWD,
      });
      const x = distinct(r, c.input);
      gradcheck({
        f: (t) => ds.adaptiveMaxPool2d(t, c.out),
        ref: (t) => back(ref.adaptivePool2d('max', as4(t), c.resolved).values, t),
        inputs: [x],
        fwdTol: MAX_FWD,
        bwdTol: BWD,
      });
      ds.tidy(() => {
        const [, idx] = ds.adaptiveMaxPool2d(toTensor(x), c.out, { returnIndices: true });
        expect([...idx.dataSync()]).toEqual(ref.adaptivePool2d('max', as4(x), c.resolved).indices);
      });
    });
  });
});

describe('pooling argument errors', () => {
  const x = ds.zeros([1, 2, 5, 5]);

  test('non-tensors, dtypes and ranks', () => {
    expectError(() => ds.maxPool2d([1, 2] as unknown as ds.Tensor, { kernelSize: 2 }), TypeError, /maxPool2d: argument 'input' must be a Tensor, got an array/);
    expectError(() => ds.avgPool2d(ds.zeros([1, 1, 4, 4], { dtype: 'int32' }), { kernelSize: 2 }), TypeError, /avgPool2d: argument 'input' must have dtype float32, got int32 \(shape \[1, 1, 4, 4\]\)/);
    expectError(() => ds.maxPool2d(ds.zeros([4, 4]), { kernelSize: 2 }), RangeError, /maxPool2d: argument 'input' must be 3 or 4-D .*got shape \[4, 4\]/);
    expectError(() => ds.adaptiveAvgPool2d(ds.zeros([1, 1, 1, 1, 1]), 1), RangeError, /adaptiveAvgPool2d: argument 'input' must be 3 or 4-D .*\[1, 1, 1, 1, 1\]/);
    expectError(() => ds.maxPool2d(x, { kernelSize: 1.5 }), TypeError, /maxPool2d: 'kernelSize' must be an integer/);
    expectError(() => ds.maxPool2d(x, undefined as unknown as ds.MaxPool2dOptions), TypeError, /maxPool2d: options/);
  });

  test('padding larger than half the kernel', () => {
    expectError(() => ds.maxPool2d(x, { kernelSize: 3, padding: 2 }), RangeError, /^maxPool2d: padding 2 must be at most half of kernelSize 3$/);
    expectError(() => ds.avgPool2d(x, { kernelSize: [4, 2], padding: [1, 2] }), RangeError, /avgPool2d: padding 2 must be at most half of kernelSize 2/);
  });

  test('kernel larger than the padded input', () => {
    expectError(() => ds.maxPool2d(x, { kernelSize: 6 }), RangeError, /maxPool2d: kernelSize \[6, 6\] \(dilation \[1, 1\]\) is larger than the padded input \[5, 5\] \(input shape \[1, 2, 5, 5\], padding \[0, 0\]\)/);
    expectError(() => ds.maxPool2d(x, { kernelSize: 3, dilation: 3 }), RangeError, /maxPool2d: kernelSize \[3, 3\] \(dilation \[3, 3\]\) is larger than the padded input/);
    expectError(() => ds.avgPool2d(ds.zeros([2, 3, 3]), { kernelSize: [2, 4] }), RangeError, /avgPool2d: kernelSize \[2, 4\] is larger than the padded input \[3, 3\] \(input shape \[2, 3, 3\]/);
  });

  test('non-positive stride, kernel, dilation; negative padding', () => {
    expectError(() => ds.maxPool2d(x, { kernelSize: 2, stride: 0 }), RangeError, /maxPool2d: 'stride' must be positive, got 0/);
    expectError(() => ds.avgPool2d(x, { kernelSize: 2, stride: [1, -1] }), RangeError, /avgPool2d: 'stride' must be positive, got \[1,-1\]/);
    expectError(() => ds.maxPool2d(x, { kernelSize: 0 }), RangeError, /maxPool2d: 'kernelSize' must be positive/);
    expectError(() => ds.maxPool2d(x, { kernelSize: 2, dilation: 0 }), RangeError, /maxPool2d: 'dilation' must be positive/);
    expectError(() => ds.maxPool2d(x, { kernelSize: 2, padding: -1 }), RangeError, /maxPool2d: 'padding' must be non-negative/);
    expectError(() => ds.avgPool2d(x, { kernelSize: 2, divisorOverride: 0 }), RangeError, /avgPool2d: 'divisorOverride' must be positive, got 0/);
  });

  test('adaptive output sizes', () => {
    expectError(() => ds.adaptiveAvgPool2d(x, 0), RangeError, /adaptiveAvgPool2d: output size \[0, 0\] must be positive \(input shape \[1, 2, 5, 5\]\)/);
    expectError(() => ds.adaptiveMaxPool2d(x, [2, -1]), RangeError, /adaptiveMaxPool2d: output size \[2, -1\] must be positive/);
    expectError(() => ds.adaptiveAvgPool2d(x, [2] as unknown as ds.AdaptiveSize), TypeError, /adaptiveAvgPool2d: 'outputSize' must be/);
  });

  test('empty planes', () => {
    expectError(() => ds.maxPool2d(ds.zeros([1, 1, 0, 4]), { kernelSize: 1 }), RangeError, /maxPool2d: argument 'input' has an empty plane, shape \[1, 1, 0, 4\]/);
  });
});

test('pooling backward is independent of the thread count', () => {
  const x = randNd(rng(9), [2, 16, 20, 20]);
  const run = () =>
    ds.tidy(() => {
      const t = toTensor(x, { requiresGrad: true });
      const y = ds.avgPool2d(ds.maxPool2d(t, { kernelSize: 3, stride: 1, padding: 1 }), { kernelSize: 3, stride: 2, ceilMode: true });
      y.sum().backward();
      return [...t.grad!.dataSync()];
    });
  const before = ds.getNumThreads();
  try {
    ds.setNumThreads(1);
    const one = run();
    ds.setNumThreads(3);
    expect(run()).toEqual(one);
  } finally {
    ds.setNumThreads(before);
  }
});

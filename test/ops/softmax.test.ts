import * as ds from '../../src';
import * as ref from '../reference/softmax';
import { gradcheck, randNd, randint, rng, toTensor } from '../helpers';

// Tolerances. Forward: exp/log in double, one float32 rounding of the result: ≤ 2^-24 relative, so 1e-6 of
// the output scale. Backward: the native kernel sums in double and rounds once; against central differences
// of the float64 reference (truncation ≈ eps²·f''' ≈ 1e-12) the float32 rounding dominates: 1e-5.
const FWD = 1e-6;
const BWD = 1e-5;

describe.each([
  ['softmax', ds.softmax, ref.softmax],
  ['logSoftmax', ds.logSoftmax, ref.logSoftmax],
] as const)('%s', (name, f, rf) => {
  test('every dim of random shapes (odd sizes, batch 1, ranks 1..5)', () => {
    const r = rng(name.length * 31);
    for (let trial = 0; trial < 12; trial++) {
      const rank = randint(r, 1, 5);
      const shape = Array.from({ length: rank }, (_, i) => (i === 0 && trial % 3 === 0 ? 1 : randint(r, 1, 6)));
      for (let dim = -rank; dim < rank; dim++) {
        gradcheck({ f: (x) => f(x, dim), ref: (x) => rf(x, dim), inputs: [randNd(r, shape, -3, 3)], fwdTol: FWD, bwdTol: BWD, seed: trial });
      }
    }
  });

  test('long rows and wide inner axes (more than one block of 64)', () => {
    const r = rng(5);
    gradcheck({ f: (x) => f(x, 1), ref: (x) => rf(x, 1), inputs: [randNd(r, [1, 5, 67], -4, 4)], fwdTol: FWD, bwdTol: BWD });
    gradcheck({ f: (x) => f(x, -1), ref: (x) => rf(x, -1), inputs: [randNd(r, [2, 97], -4, 4)], fwdTol: FWD, bwdTol: BWD });
  });

  test('0-d input and the default dim (-1)', () => {
    const y = f(ds.tensor(3));
    expect(y.itemSync()).toBeCloseTo(name === 'softmax' ? 1 : 0, 6);
    const x = randNd(rng(2), [2, 3]);
    const a = f(toTensor(x)).dataSync();
    const b = f(toTensor(x), 1).dataSync();
    expect([...a]).toEqual([...b]);
  });

  test('extreme logits (±1e4) stay finite, forward and backward', () => {
    const x = ds.tensor([[1e4, -1e4, 0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], undefined, { requiresGrad: true });
    const y = f(x, 1);
    const v = [...y.dataSync()];
    expect(v.every(Number.isFinite)).toBe(true);
    if (name === 'softmax') {
      expect(v[0]).toBe(1);
      expect(v[3]).toBeCloseTo(1 / 3, 6);
    } else {
      expect(v[1]).toBeCloseTo(-2e4, 0);
    }
    y.backward(ds.tensor([[1, 2, 3], [1, -1, 2], [0.5, 0.5, 1]]));
    expect([...x.grad!.dataSync()].every(Number.isFinite)).toBe(true);
  });

  test('tensor method', () => {
    const x = toTensor(randNd(rng(9), [2, 4]));
    expect([...(name === 'softmax' ? x.softmax(0) : x.logSoftmax(0)).dataSync()]).toEqual([...f(x, 0).dataSync()]);
  });

  test('errors: non-tensor, int32, dim out of range', () => {
    expect(() => f([1, 2] as unknown as ds.Tensor)).toThrow(new RegExp(`${name}: argument 'input' must be a Tensor`));
    expect(() => f(ds.tensor([1, 2], undefined, { dtype: 'int32' }))).toThrow(TypeError);
    expect(() => f(ds.tensor([1, 2], undefined, { dtype: 'int32' }))).toThrow(new RegExp(`${name}: argument 'input' must have dtype float32`));
    expect(() => f(ds.zeros([2, 3]), 2)).toThrow(RangeError);
    expect(() => f(ds.zeros([2, 3]), -3)).toThrow(new RegExp(`${name}: 'dim' -3 is out of range for a 2-D tensor`));
  });
});

test('softmax rows sum to 1 and logSoftmax = log(softmax)', () => {
  const x = toTensor(randNd(rng(4), [5, 9, 3], -5, 5));
  const s = ds.softmax(x, 1);
  const sums = s.sum(1).dataSync();
  for (const v of sums) expect(v).toBeCloseTo(1, 6);
  const ls = ds.logSoftmax(x, 1).dataSync();
  const ln = ds.log(s).dataSync();
  ls.forEach((v, i) => expect(Math.abs(v - ln[i])).toBeLessThan(1e-5));
});

test('softmax and logSoftmax are in nn.functional', () => {
  expect(ds.nn.functional.softmax).toBe(ds.softmax);
  expect(ds.nn.functional.logSoftmax).toBe(ds.logSoftmax);
});

import * as ds from '../../src';
import { Nd } from '../reference/nd';
import * as ref from '../reference/elementwise';
import { broadcastableTo, gradcheck, randNd, randomShape, rng, toTensor, expectClose } from '../helpers';

// Tolerances. Forward: one float32 rounding of a well-conditioned function (≤ 2^-24 relative) plus libm
// differences of a few ulp: 1e-6 of the output scale. Backward: the native derivative in float32 against
// central differences of the float64 reference (truncation ≈ eps² · f''' ≈ 1e-12): 1e-5.
const FWD = 1e-6;
const BWD = 1e-5;

interface UnaryCase {
  name: string;
  f: (x: ds.Tensor) => ds.Tensor;
  p?: Record<string, number>;
  lo?: number;
  hi?: number;
}

const unaryCases: UnaryCase[] = [
  { name: 'neg', f: ds.neg },
  { name: 'abs', f: ds.abs },
  { name: 'exp', f: ds.exp },
  { name: 'log', f: ds.log, lo: 0.1, hi: 3 },
  { name: 'sqrt', f: ds.sqrt, lo: 0.1, hi: 3 },
  { name: 'rsqrt', f: ds.rsqrt, lo: 0.2, hi: 3 },
  { name: 'reciprocal', f: ds.reciprocal, lo: 0.3, hi: 2 },
  { name: 'sin', f: ds.sin, lo: -3, hi: 3 },
  { name: 'cos', f: ds.cos, lo: -3, hi: 3 },
  { name: 'relu', f: ds.relu },
  { name: 'leakyRelu', f: (x) => ds.leakyRelu(x, 0.2), p: { alpha: 0.2 } },
  { name: 'elu', f: (x) => ds.elu(x, 0.7), p: { alpha: 0.7 }, lo: -3, hi: 3 },
  { name: 'sigmoid', f: ds.sigmoid, lo: -6, hi: 6 },
  { name: 'tanh', f: ds.tanh, lo: -3, hi: 3 },
  { name: 'hardtanh', f: (x) => ds.hardtanh(x, -0.5, 0.7), p: { min: -0.5, max: 0.7 } },
  { name: 'softplus', f: (x) => ds.softplus(x, 2, 4), p: { beta: 2, threshold: 4 }, lo: -4, hi: 4 },
  { name: 'gelu', f: ds.gelu, lo: -4, hi: 4 },
  { name: 'clamp', f: (x) => ds.clamp(x, -0.3, 0.4), p: { min: -0.3, max: 0.4 } },
  { name: 'pow', f: (x) => ds.pow(x, 2.5), p: { exponent: 2.5 }, lo: 0.1, hi: 2 },
];

describe('unary ops', () => {
  for (const c of unaryCases) {
    test(`${c.name}: forward vs float64 reference, backward vs finite differences`, () => {
      const r = rng(c.name.length * 101);
      for (const shape of [[], [1], [7], [3, 5], [2, 1, 9]]) {
        gradcheck({
          f: c.f,
          ref: (x) => ref.unary(c.name, x, c.p),
          inputs: [randNd(r, shape, c.lo ?? -2, c.hi ?? 2)],
          fwdTol: FWD,
          bwdTol: BWD,
        });
      }
    });
  }

  test('sign is exact and has zero gradient', () => {
    const x = ds.tensor([-2, 0, 3], undefined, { requiresGrad: true });
    const y = ds.sign(x);
    expect([...y.dataSync()]).toEqual([-1, 0, 1]);
    y.sum().backward();
    expect([...x.grad!.dataSync()]).toEqual([0, 0, 0]);
  });

  test('large inputs stay finite where the function is (sigmoid, softplus, tanh)', () => {
    const x = ds.tensor([-100, -30, 30, 100]);
    const s = [...ds.sigmoid(x).dataSync()];
    expect(s[0]).toBeGreaterThanOrEqual(0);
    expect(s[0]).toBeLessThan(1e-40);
    expect(s.slice(2)).toEqual([1, 1]);
    expect([...ds.softplus(x).dataSync()].every(Number.isFinite)).toBe(true);
    expect([...ds.tanh(x).dataSync()]).toEqual([-1, -1, 1, 1]);
  });
});

const binaryNames = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const;

describe('binary ops with broadcasting', () => {
  for (const name of binaryNames) {
    test(`${name}: random broadcast shapes, forward and backward`, () => {
      const r = rng(name.length * 7 + 3);
      for (let trial = 0; trial < 8; trial++) {
        const shape = randomShape(r, 4, 5);
        const other = broadcastableTo(r, shape);
        const [sa, sb] = trial % 2 ? [shape, other] : [other, shape];
        const positive = name === 'pow' || name === 'div';
        gradcheck({
          f: (a, b) => (ds as unknown as Record<string, (a: ds.Tensor, b: ds.Tensor) => ds.Tensor>)[name](a, b),
          ref: (a, b) => ref.binary(name, a, b),
          inputs: [randNd(r, sa, positive ? 0.5 : -2, 2), randNd(r, sb, positive ? 0.5 : -2, 2)],
          fwdTol: FWD,
          bwdTol: BWD,
          seed: trial,
        });
      }
    });
  }

  test('scalars on either side', () => {
    const x = ds.tensor([1, 2, 3]);
    expect([...x.add(1).dataSync()]).toEqual([2, 3, 4]);
    expect([...ds.sub(10, x).dataSync()]).toEqual([9, 8, 7]);
    expect([...ds.div(6, x).dataSync()]).toEqual([6, 3, 2]);
    expect([...x.mul(0.5).dataSync()]).toEqual([0.5, 1, 1.5]);
  });

  test('gradient of a scalar-operand op', () => {
    gradcheck({
      f: (x) => ds.div(3, ds.mul(x, 2).sub(0.5)),
      ref: (x) => x.map((v) => 3 / (v * 2 - 0.5)),
      inputs: [randNd(rng(3), [4, 3], 1, 2)],
      fwdTol: FWD,
      bwdTol: BWD,
    });
  });

  test('ties in maximum split the gradient', () => {
    const a = ds.tensor([1, 2, 3], undefined, { requiresGrad: true });
    const b = ds.tensor([1, 5, 0], undefined, { requiresGrad: true });
    ds.maximum(a, b).sum().backward();
    expect([...a.grad!.dataSync()]).toEqual([0.5, 0, 1]);
    expect([...b.grad!.dataSync()]).toEqual([0.5, 1, 0]);
  });

  test('int32 arithmetic stays int32; division and float scalars promote', () => {
    const i = ds.tensor([1, 2, 3], undefined, { dtype: 'int32' });
    expect(i.add(2).dtype).toBe('int32');
    expect([...i.mul(i).dataSync()]).toEqual([1, 4, 9]);
    expect(i.add(0.5).dtype).toBe('float32');
    expect(i.div(2).dtype).toBe('float32');
    expect([...i.div(2).dataSync()]).toEqual([0.5, 1, 1.5]);
    expect(i.add(ds.tensor([0.25])).dtype).toBe('float32');
  });

  test('comparisons give float32 masks and match the reference', () => {
    const r = rng(11);
    for (const name of ['eq', 'ne', 'lt', 'le', 'gt', 'ge']) {
      // Few distinct values so that equality happens.
      const a = randNd(r, [4, 5]).map((v) => Math.round(v * 2));
      const b = randNd(r, [5]).map((v) => Math.round(v * 2));
      const out = (ds as unknown as Record<string, (a: ds.Tensor, b: ds.Tensor) => ds.Tensor>)[name](toTensor(a), toTensor(b));
      expect(out.dtype).toBe('float32');
      expectClose(out, ref.binary(name, a, b), 0);
    }
  });

  test('where broadcasts condition and both branches, gradients go to the chosen side', () => {
    const r = rng(5);
    const cond = randNd(r, [3, 1]).map((v) => (v > 0 ? 1 : 0));
    gradcheck({
      f: (a, b) => ds.where(toTensor(cond), a, b),
      ref: (a, b) => ref.where(cond, a, b),
      inputs: [randNd(r, [3, 4]), randNd(r, [4])],
      fwdTol: 0,
      bwdTol: BWD,
    });
  });

  test('NaN propagates through maximum and comparisons are false', () => {
    const a = ds.tensor([NaN, 1]);
    const m = ds.maximum(a, ds.tensor([0, 2])).dataSync();
    expect(Number.isNaN(m[0])).toBe(true);
    expect(m[1]).toBe(2);
    expect([...ds.eq(a, a).dataSync()]).toEqual([0, 1]);
  });
});

describe('elementwise edge cases', () => {
  test('empty tensors', () => {
    const e = ds.zeros([0, 3]);
    expect(e.add(1).shape).toEqual([0, 3]);
    expect(e.relu().size).toBe(0);
  });

  test('a long chain matches the reference', () => {
    const x = randNd(rng(9), [33, 17]);
    const y = ds.tanh(ds.exp(toTensor(x)).mul(0.3).sub(ds.sigmoid(toTensor(x))));
    expectClose(y, x.map((v) => Math.tanh(Math.exp(v) * 0.3 - 1 / (1 + Math.exp(-v)))), 1e-6);
  });

  test('Nd reference sanity', () => {
    expect(Nd.numel([2, 3])).toBe(6);
  });
});

import * as ds from '../../src';
import { reduce } from '../reference/reduce';
import { expectClose, gradcheck, randNd, rng, toTensor } from '../helpers';
import { Nd } from '../reference/nd';

// Tolerances: the native sums accumulate in double and round once to float32, so forward errors are a
// single rounding (2^-24 ≈ 6e-8) of the output scale: 1e-6. Backward of sum/mean/var is a broadcast and a
// few float32 products: 1e-5 against central differences.
const FWD = 1e-6;
const BWD = 1e-5;

const axesCases: (number | number[] | undefined)[] = [undefined, 0, -1, 1, [0, 2], [1, 2], [0, 1, 2], [2, 0]];

describe('reductions', () => {
  for (const kind of ['sum', 'mean', 'max', 'min', 'var', 'logsumexp'] as const) {
    test(`${kind}: every axis set, keepdim both ways, forward and backward`, () => {
      const r = rng(kind.length * 13);
      for (const axes of axesCases) {
        for (const keepdim of [false, true]) {
          const shape = [3, 5, 4];
          const f = (x: ds.Tensor) =>
            kind === 'var' ? ds.variance(x, axes, { keepdim }) : (ds[kind] as (x: ds.Tensor, d?: ds.Dims, k?: boolean) => ds.Tensor)(x, axes, keepdim);
          gradcheck({
            f,
            ref: (x) => reduce(kind, x, axes === undefined ? undefined : ([] as number[]).concat(axes), keepdim),
            inputs: [randNd(r, shape, -2, 2)],
            fwdTol: kind === 'logsumexp' ? 1e-5 : FWD,
            bwdTol: BWD,
          });
        }
      }
    });
  }

  test('var with correction 0 and std', () => {
    const x = randNd(rng(4), [6, 7]);
    expectClose(ds.variance(toTensor(x), 1, { correction: 0 }), reduce('var', x, [1], false, 0), FWD);
    expectClose(ds.std(toTensor(x), 0), reduce('var', x, [0]).map(Math.sqrt), FWD);
  });

  test('argmax / argmin along an axis and flattened, first occurrence wins', () => {
    const x = randNd(rng(5), [4, 6, 3]);
    for (const dim of [0, 1, 2, -1]) {
      const t = toTensor(x);
      const am = ds.argmax(t, dim);
      expect(am.dtype).toBe('int32');
      expectClose(am, reduce('argmax', x, [dim]), 0);
      expectClose(ds.argmin(t, dim, true), reduce('argmin', x, [dim], true), 0);
    }
    expect(ds.tensor([1, 3, 3, 2]).argmax().itemSync()).toBe(1);
    expect(ds.tensor([[5, 1], [0, 7]]).argmax().itemSync()).toBe(3);
  });

  test('max ties share the gradient', () => {
    const x = ds.tensor([1, 3, 3, 2], undefined, { requiresGrad: true });
    x.max().backward();
    expect([...x.grad!.dataSync()]).toEqual([0, 0.5, 0.5, 0]);
  });

  test('int32 sums stay int32; mean of int32 is float', () => {
    const i = ds.tensor([[1, 2], [3, 4]], undefined, { dtype: 'int32' });
    expect(i.sum().dtype).toBe('int32');
    expect(i.sum(0).dataSync()).toEqual(Int32Array.from([4, 6]));
    expect(i.mean().itemSync()).toBe(2.5);
  });

  test('a long sum is accurate and independent of the thread count', () => {
    const n = 1 << 20;
    const data = new Float32Array(n);
    const r = rng(2);
    for (let i = 0; i < n; i++) data[i] = r();
    let exact = 0;
    for (let i = 0; i < n; i++) exact += data[i];
    const t = ds.tensor(data);
    const prev = ds.getNumThreads();
    const a = t.sum().itemSync();
    ds.setNumThreads(1);
    const b = t.sum().itemSync();
    ds.setNumThreads(prev);
    expect(a).toBe(b);
    expect(Math.abs(a - exact) / exact).toBeLessThan(1e-7);
  });

  test('reducing an empty axis: sum is 0, max is an error', () => {
    expect([...ds.zeros([0, 3]).sum(0).dataSync()]).toEqual([0, 0, 0]);
    expect(() => ds.zeros([0, 3]).max(0)).toThrow(RangeError);
  });

  test('bad axes are RangeErrors naming the op and the rank', () => {
    const x = ds.zeros([2, 3]);
    expect(() => x.sum(2)).toThrow(/sum: 'dim' 2 is out of range for a 2-D tensor/);
    expect(() => x.mean([0, 0])).toThrow(/mean: 'dim' \[0,0\] repeats an axis/);
    expect(() => x.sum(0.5)).toThrow(TypeError);
  });

  test('Nd helpers', () => {
    expect(reduce('sum', Nd.from([1, 2, 3], [3])).data[0]).toBe(6);
  });
});

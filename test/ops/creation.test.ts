import * as ds from '../../src';

describe('creation', () => {
  test('tensor from nested arrays, typed arrays and scalars', () => {
    expect(ds.tensor([[1, 2, 3], [4, 5, 6]]).shape).toEqual([2, 3]);
    expect(ds.tensor(5).shape).toEqual([]);
    expect(ds.tensor(5).itemSync()).toBe(5);
    expect(ds.tensor(new Float32Array([1, 2, 3, 4]), [2, 2]).arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(ds.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(ds.tensor([1.7, -2.7], undefined, { dtype: 'int32' }).dataSync()).toEqual(Int32Array.from([1, -2]));
    expect(ds.tensor([[[]]]).shape).toEqual([1, 1, 0]);
  });

  test('ragged data, mismatched shapes and bad options are rejected clearly', () => {
    expect(() => ds.tensor([[1, 2], [3]])).toThrow(/tensor: ragged data: data\[1\] should be an array of length 2/);
    expect(() => ds.tensor([1, 2, 3], [2, 2])).toThrow(/tensor: shape \[2, 2\] holds 4 elements but data has 3/);
    expect(() => ds.tensor([1, 'a' as unknown as number])).toThrow(TypeError);
    expect(() => ds.tensor([1], undefined, { dtype: 'float64' as ds.DType })).toThrow(/unknown dtype "float64"/);
    expect(() => ds.tensor([1], undefined, { device: 'tpu' as ds.DeviceLike })).toThrow(/unknown device "tpu"/);
    expect(() => ds.tensor([1], undefined, { dtype: 'int32', requiresGrad: true })).toThrow(/only float32 tensors can require grad/);
    expect(() => ds.zeros([2, -1])).toThrow(RangeError);
    expect(() => ds.zeros([2.5])).toThrow(RangeError);
    expect(() => ds.zeros([1, 1, 1, 1, 1, 1, 1])).toThrow(/rank 7; at most 6/);
    expect(() => ds.zeros(3 as unknown as number[])).toThrow(TypeError);
  });

  test('absurd sizes are RangeErrors, not crashes', () => {
    expect(() => ds.zeros([1e6, 1e6, 1e6])).toThrow(/cannot allocate a tensor of shape \[1000000, 1000000, 1000000\]/);
    expect(() => ds.zeros([1e6, 1e6, 1e6])).toThrow(RangeError);
    expect(() => ds.zeros([2 ** 45])).toThrow(RangeError);
  });

  test('zeros, ones, full, *Like, eye, arange, linspace', () => {
    expect([...ds.zeros([3]).dataSync()]).toEqual([0, 0, 0]);
    expect([...ds.ones([2], { dtype: 'int32' }).dataSync()]).toEqual([1, 1]);
    expect([...ds.full([2], 7.5).dataSync()]).toEqual([7.5, 7.5]);
    const x = ds.tensor([[1, 2]], undefined, { dtype: 'int32' });
    expect(ds.zerosLike(x).dtype).toBe('int32');
    expect(ds.onesLike(x).shape).toEqual([1, 2]);
    expect([...ds.fullLike(x, 3).dataSync()]).toEqual([3, 3]);
    expect(ds.eye(2, 3).arraySync()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(ds.arange(5).dtype).toBe('int32');
    expect([...ds.arange(5).dataSync()]).toEqual([0, 1, 2, 3, 4]);
    expect([...ds.arange(1, 2, 0.25).dataSync()]).toEqual([1, 1.25, 1.5, 1.75]);
    expect([...ds.arange(5, 0, -2).dataSync()]).toEqual([5, 3, 1]);
    expect([...ds.linspace(0, 1, 5).dataSync()]).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(() => ds.arange(0, 1, 0)).toThrow(/step must be non-zero/);
  });

  test('random draws are reproducible from a seed, per generator and globally', () => {
    ds.manualSeed(123);
    const a = ds.randn([100]).dataSync();
    ds.manualSeed(123);
    const b = ds.randn([100]).dataSync();
    expect(b).toEqual(a);
    const c = ds.randn([100]).dataSync();
    expect(c).not.toEqual(a);
    const g1 = new ds.Generator(9);
    const g2 = new ds.Generator(9);
    expect(ds.rand([7], { generator: g1 }).dataSync()).toEqual(ds.rand([7], { generator: g2 }).dataSync());
    // Draw sizes compose: one draw of 8 equals two draws of 4 from the same seed.
    const one = ds.rand([8], { generator: new ds.Generator(5) }).dataSync();
    const g3 = new ds.Generator(5);
    const two = [...ds.rand([4], { generator: g3 }).dataSync(), ...ds.rand([4], { generator: g3 }).dataSync()];
    expect([...one]).toEqual(two);
  });

  test('random draws are independent of the thread count', () => {
    const prev = ds.getNumThreads();
    const a = ds.randn([100000], { generator: new ds.Generator(1) }).dataSync();
    ds.setNumThreads(1);
    const b = ds.randn([100000], { generator: new ds.Generator(1) }).dataSync();
    ds.setNumThreads(prev);
    expect(b).toEqual(a);
  });

  test('distributions have the right moments (5-sigma bounds on 200k draws)', () => {
    const n = 200000;
    const moments = (d: ArrayLike<number>) => {
      let m = 0;
      for (let i = 0; i < n; i++) m += d[i];
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (d[i] - m) ** 2;
      return { mean: m, var: v / (n - 1) };
    };
    const u = ds.uniform([n], 2, 5, { generator: new ds.Generator(3) }).dataSync() as Float32Array;
    const mu = moments(u);
    // Uniform(2, 5): mean 3.5, variance 0.75; the mean's standard error is sqrt(0.75 / n).
    expect(Math.abs(mu.mean - 3.5)).toBeLessThan(5 * Math.sqrt(0.75 / n));
    expect(Math.abs(mu.var - 0.75)).toBeLessThan(0.01);
    expect(u.reduce((a, b) => Math.min(a, b), Infinity)).toBeGreaterThanOrEqual(2);
    expect(u.reduce((a, b) => Math.max(a, b), -Infinity)).toBeLessThan(5);
    const z = moments(ds.normal([n], 1, 2, { generator: new ds.Generator(4) }).dataSync());
    expect(Math.abs(z.mean - 1)).toBeLessThan(5 * Math.sqrt(4 / n));
    expect(Math.abs(z.var - 4)).toBeLessThan(0.06);
    const bern = moments(ds.bernoulli([n], 0.3, { generator: new ds.Generator(6) }).dataSync());
    expect(Math.abs(bern.mean - 0.3)).toBeLessThan(5 * Math.sqrt(0.21 / n));
    expect(() => ds.bernoulli([2], 1.5)).toThrow(RangeError);
    expect(() => ds.manualSeed(-1)).toThrow(RangeError);
  });

  test('cast, float, int, clone, copyFromArray', () => {
    const x = ds.tensor([1.9, -1.9, 1e10, NaN]);
    expect([...x.int().dataSync()]).toEqual([1, -1, 2147483647, 0]);
    expect(ds.tensor([3], undefined, { dtype: 'int32' }).float().dtype).toBe('float32');
    const y = ds.tensor([1, 2], undefined, { requiresGrad: true });
    const c = y.clone();
    c.mul(3).sum().backward();
    expect([...y.grad!.dataSync()]).toEqual([3, 3]);
    const w = ds.zeros([2, 2]);
    w.copyFromArray([1, 2, 3, 4]);
    expect(w.arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(() => w.copyFromArray([1])).toThrow(/copyFromArray: 1 values for a tensor of shape \[2, 2\]/);
  });

  test('to(cpu) is the same tensor; cuda without a device is a clear error', () => {
    const x = ds.ones([2]);
    expect(x.to('cpu')).toBe(x);
    if (!ds.cuda.available()) {
      expect(() => x.to('cuda')).toThrow(/CUDA is not available|not available in this build|no allocator/);
    }
  });
});

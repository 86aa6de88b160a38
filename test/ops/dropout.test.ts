import * as ds from '../../src';

const list = (t: ds.Tensor): number[] => [...t.dataSync()];

describe('dropout', () => {
  test('seeded masks are reproducible; different seeds differ', () => {
    const x = ds.randn([64, 33], { generator: new ds.Generator(3) });
    const a = list(ds.dropout(x, 0.4, { generator: new ds.Generator(11) }));
    const b = list(ds.dropout(x, 0.4, { generator: new ds.Generator(11) }));
    const c = list(ds.dropout(x, 0.4, { generator: new ds.Generator(12) }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // The global generator: manualSeed restarts it.
    ds.manualSeed(5);
    const d = list(ds.dropout(x, 0.4));
    ds.manualSeed(5);
    expect(list(ds.dropout(x, 0.4))).toEqual(d);
  });

  test('kept values are scaled by 1/(1 - p); the kept fraction is within a binomial bound of 1 - p', () => {
    const n = 1 << 20;
    for (const p of [0.1, 0.5, 0.8]) {
      const y = list(ds.dropout(ds.ones([n]), p, { generator: new ds.Generator(Math.round(p * 100)) }));
      const scale = Math.fround(1 / (1 - p));
      let kept = 0;
      let wrong = 0; // counted, not expect()ed per element: a million expect calls take minutes
      for (const v of y) {
        if (v !== 0) {
          kept++;
          if (v !== scale) wrong++;
        }
      }
      expect(wrong).toBe(0);
      // kept ~ Binomial(n, 1 - p): six standard deviations, sqrt(n·p·(1 − p)), bound a false failure by ~2e-9.
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * (1 - p))).toBeLessThan(6 * sd);
    }
  });

  test('the gradient is the mask scale (the same mask as the forward)', () => {
    const x = ds.uniform([40, 50], 0.5, 1.5, { generator: new ds.Generator(1), requiresGrad: true });
    const y = ds.dropout(x, 0.3, { generator: new ds.Generator(2) });
    y.sum().backward();
    const g = list(x.grad!);
    const yv = list(y);
    const scale = Math.fround(1 / 0.7);
    g.forEach((v, i) => expect(v).toBe(yv[i] === 0 ? 0 : scale));
  });

  test('eval and p = 0 are the identity; p = 1 gives zeros and a zero gradient', () => {
    const x = ds.randn([5, 6], { requiresGrad: true });
    expect(ds.dropout(x, 0.5, { training: false })).toBe(x);
    expect(ds.dropout(x, 0)).toBe(x);
    const z = ds.dropout(x, 1);
    expect(list(z).every((v) => v === 0)).toBe(true);
    z.sum().backward();
    expect(list(x.grad!).every((v) => v === 0)).toBe(true);
  });

  test('argument errors', () => {
    const x = ds.zeros([2, 3]);
    expect(() => ds.dropout(x, 1.5)).toThrow(new RangeError("dropout: 'p' must be in [0, 1], got 1.5 (input shape [2, 3])"));
    expect(() => ds.dropout(x, -0.1)).toThrow(RangeError);
    expect(() => ds.dropout(x, '0.5' as unknown as number)).toThrow(new TypeError("dropout: 'p' must be a number, got string"));
    expect(() => ds.dropout([1] as unknown as ds.Tensor)).toThrow(new TypeError("dropout: argument 'input' must be a Tensor, got an array"));
    expect(() => ds.dropout(ds.zeros([2], { dtype: 'int32' }))).toThrow(TypeError);
    expect(() => ds.dropout(x, 0.5, { generator: {} as ds.Generator })).toThrow(new TypeError("dropout: 'generator' must be a Generator"));
    expect(() => ds.dropout2d(x, 0.5)).toThrow(/dropout2d: argument 'input' must be 3 or 4-D .*got shape \[2, 3\]/);
    expect(() => ds.dropout2d(ds.zeros([1, 2, 2, 2]), 2)).toThrow(RangeError);
  });
});

describe('dropout2d', () => {
  test('drops whole channels; the kept fraction is within a binomial bound', () => {
    const [n, c] = [64, 256];
    const y = ds.dropout2d(ds.ones([n, c, 3, 2]), 0.25, { generator: new ds.Generator(9) });
    const v = list(y);
    let kept = 0;
    let wrong = 0;
    for (let ch = 0; ch < n * c; ch++) {
      const plane = v.slice(ch * 6, ch * 6 + 6);
      if (new Set(plane).size !== 1) wrong++; // a channel is kept or dropped as a whole
      if (plane[0] !== 0) {
        if (plane[0] !== Math.fround(1 / 0.75)) wrong++;
        kept++;
      }
    }
    expect(wrong).toBe(0);
    const total = n * c;
    expect(Math.abs(kept - total * 0.75)).toBeLessThan(6 * Math.sqrt(total * 0.25 * 0.75));
  });

  test('unbatched [C, H, W] input, gradient through the mask, eval identity', () => {
    const x = ds.uniform([30, 4, 4], 0.5, 1, { generator: new ds.Generator(4), requiresGrad: true });
    const y = ds.dropout2d(x, 0.5, { generator: new ds.Generator(8) });
    expect(y.shape).toEqual([30, 4, 4]);
    y.sum().backward();
    const g = list(x.grad!);
    const yv = list(y);
    g.forEach((v, i) => expect(v).toBe(yv[i] === 0 ? 0 : 2));
    expect(ds.dropout2d(x, 0.5, { training: false })).toBe(x);
  });
});

test('functional namespace exports the layer functions', () => {
  const F = ds.nn.functional;
  for (const f of [F.maxPool2d, F.avgPool2d, F.adaptiveAvgPool2d, F.adaptiveMaxPool2d, F.batchNorm, F.localResponseNorm, F.interpolate, F.upsample, F.dropout, F.dropout2d]) {
    expect(typeof f).toBe('function');
  }
});

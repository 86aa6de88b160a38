/**
 * nn.init: statistics of large draws against the theoretical values (5-sigma bounds of the estimators),
 * orthogonality, the Dirac and delta-orthogonal structures and their errors, reproducibility from seeds.
 */
import * as ds from '../../src';
import { nn, Tensor } from '../../src';
import { expectError, settledMemory } from '../helpers';

const { init } = nn;

function stats(t: Tensor): { mean: number; std: number; min: number; max: number; n: number } {
  const d = t.dataSync();
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of d) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / d.length;
  let q = 0;
  for (const v of d) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / d.length), min, max, n: d.length };
}

// Checks a normal draw of standard deviation `std`: the sample mean within 5 standard errors (std/√n) of
// 0, the sample standard deviation within 5 of its standard errors (≈ std/√(2n)) of `std`.
function expectNormal(t: Tensor, std: number): void {
  const s = stats(t);
  expect(Math.abs(s.mean)).toBeLessThan((5 * std) / Math.sqrt(s.n));
  expect(Math.abs(s.std - std)).toBeLessThan((5 * std) / Math.sqrt(2 * s.n));
}

// Checks a uniform draw on [−b, b]: every value inside; the mean within 5 standard errors of 0 (σ = b/√3);
// the sample variance within 5 standard errors of b²/3 (the variance of the sample variance of a uniform
// is (μ4 − σ⁴)/n = (b⁴/5 − b⁴/9)/n); the extremes within 1% of ±b (n ≥ 10⁴: missing by 1% has
// probability 0.995ⁿ < 1e-21).
function expectUniform(t: Tensor, b: number): void {
  const s = stats(t);
  expect(s.min).toBeGreaterThanOrEqual(-b);
  expect(s.max).toBeLessThanOrEqual(b);
  expect(s.max).toBeGreaterThan(0.99 * b);
  expect(s.min).toBeLessThan(-0.99 * b);
  expect(Math.abs(s.mean)).toBeLessThan((5 * b) / Math.sqrt(3 * s.n));
  expect(Math.abs(s.std ** 2 - (b * b) / 3)).toBeLessThan(5 * b * b * Math.sqrt((1 / 5 - 1 / 9) / s.n));
}

// Gram matrix A·Aᵀ (rows) or Aᵀ·A (columns) of a row-major rows×cols matrix, in float64.
function gram(d: ArrayLike<number>, rows: number, cols: number, of: 'rows' | 'cols'): Float64Array {
  const n = of === 'rows' ? rows : cols;
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (of === 'rows') for (let k = 0; k < cols; k++) s += d[i * cols + k] * d[j * cols + k];
      else for (let k = 0; k < rows; k++) s += d[k * cols + i] * d[k * cols + j];
      g[i * n + j] = s;
    }
  return g;
}

function maxDevFromScaledIdentity(g: Float64Array, n: number, scale: number): number {
  let e = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) e = Math.max(e, Math.abs(g[i * n + j] - (i === j ? scale : 0)));
  return e;
}

let startTensors = 0;
beforeAll(async () => {
  startTensors = (await settledMemory()).tensors;
});
afterAll(async () => {
  expect((await settledMemory()).tensors).toBe(startTensors);
});

describe('gains and fans', () => {
  test('calculateGain follows PyTorch', () => {
    for (const n of ['linear', 'conv2d', 'conv_transpose2d', 'convTranspose2d', 'sigmoid'] as const) expect(init.calculateGain(n)).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(init.calculateGain('leakyRelu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    expect(init.calculateGain('selu')).toBe(0.75);
    expectError(() => init.calculateGain('swish' as nn.init.Nonlinearity), RangeError, 'unsupported nonlinearity "swish"');
  });

  test('fans of linear, conv and transposed-conv weights; errors below rank 2', () => {
    ds.tidy(() => {
      expect(init.calculateFanInAndFanOut(ds.zeros([10, 784]))).toEqual([784, 10]);
      expect(init.calculateFanInAndFanOut(ds.zeros([64, 3, 7, 7]))).toEqual([147, 3136]);
      expect(init.calculateFanInAndFanOut(ds.zeros([16, 8, 4, 4]))).toEqual([128, 256]);
      expectError(() => init.calculateFanInAndFanOut(ds.zeros([5])), RangeError, 'fewer than 2 dimensions', '[5]');
      expectError(() => init.kaimingNormal_(ds.zeros([5])), RangeError, 'fewer than 2 dimensions');
    });
  });
});

describe('distributions of large draws', () => {
  test('kaimingNormal_: std √2/√fanIn (or fanOut), mean 0', () => {
    ds.tidy(() => {
      const w = ds.zeros([256, 64, 3, 3]); // 147,456 values; fanIn 576, fanOut 2304
      expect(init.kaimingNormal_(w, { nonlinearity: 'relu' })).toBe(w);
      expectNormal(w, Math.sqrt(2 / 576));
      init.kaimingNormal_(w, { mode: 'fanOut', nonlinearity: 'relu' });
      expectNormal(w, Math.sqrt(2 / 2304));
      init.kaimingNormal_(w, { a: 0.2 }); // leaky_relu by default
      expectNormal(w, Math.sqrt(2 / 1.04) / Math.sqrt(576));
    });
  });

  test('kaimingUniform_: bound gain·√(3/fan); with a = √5 it is 1/√fanIn', () => {
    ds.tidy(() => {
      const w = ds.zeros([200, 300]);
      init.kaimingUniform_(w, { nonlinearity: 'relu' });
      expectUniform(w, Math.sqrt(6 / 300));
      init.kaimingUniform_(w, { a: Math.sqrt(5) });
      expectUniform(w, 1 / Math.sqrt(300));
      init.kaimingUniform_(w, { mode: 'fanOut', nonlinearity: 'tanh' });
      expectUniform(w, (5 / 3) * Math.sqrt(3 / 200));
      expectError(() => init.kaimingUniform_(w, { mode: 'fan_in' as 'fanIn' }), RangeError, "'mode' must be 'fanIn' or 'fanOut'");
    });
  });

  test('xavierUniform_ and xavierNormal_ with gain', () => {
    ds.tidy(() => {
      const w = ds.zeros([128, 64, 3, 3]); // fanIn 576, fanOut 1152
      init.xavierUniform_(w);
      expectUniform(w, Math.sqrt(6 / (576 + 1152)));
      init.xavierNormal_(w, { gain: init.calculateGain('tanh') });
      expectNormal(w, (5 / 3) * Math.sqrt(2 / (576 + 1152)));
    });
  });

  test('uniform_, normal_, constant_, zeros_, ones_', () => {
    ds.tidy(() => {
      const w = ds.zeros([100000]);
      init.uniform_(w, -0.5, 0.5);
      expectUniform(w, 0.5);
      init.normal_(w, 0, 0.02);
      expectNormal(w, 0.02);
      init.normal_(w, 3, 2);
      const s = stats(w);
      expect(Math.abs(s.mean - 3)).toBeLessThan((5 * 2) / Math.sqrt(s.n));
      expect([...init.constant_(ds.zeros([3]), 0.25).dataSync()]).toEqual([0.25, 0.25, 0.25]);
      expect([...init.ones_(ds.zeros([2])).dataSync()]).toEqual([1, 1]);
      expect([...init.zeros_(ds.ones([2])).dataSync()]).toEqual([0, 0]);
      expect([...init.constant_(ds.zeros([2], { dtype: 'int32' }), 7).dataSync()]).toEqual([7, 7]);
      expectError(() => init.uniform_(ds.zeros([2], { dtype: 'int32' })), TypeError, "'tensor' must be float32");
      expectError(() => init.uniform_(w, 1, 0), RangeError, "'b' must be >= 1");
      expectError(() => init.normal_(w, 0, -1), RangeError, "'std' must be >= 0");
    });
  });
});

describe('orthogonal_', () => {
  test.each([
    [[64, 32], 1],
    [[32, 64], 1],
    [[16, 4, 3, 3], 1],
    [[40, 40], 2],
  ])('shape %j, gain %d: WᵀW (tall) or WWᵀ (wide) = gain²·I to 1e-5', (shape, gain) => {
    ds.tidy(() => {
      const w = init.orthogonal_(ds.zeros(shape as number[]), { gain, generator: new ds.Generator(5) });
      const rows = shape[0];
      const cols = w.size / rows;
      const of = rows < cols ? 'rows' : 'cols';
      // Entries are float32 (relative rounding 6e-8); a Gram entry sums ≤ 64 products: ≲ 1e-6 · gain².
      expect(maxDevFromScaledIdentity(gram(w.dataSync(), rows, cols, of), Math.min(rows, cols), gain * gain)).toBeLessThan(1e-5 * gain * gain);
    });
  });

  test('sign correction: equals Gram–Schmidt of the same Gaussian draw (the unique QR with R_ii > 0)', () => {
    ds.tidy(() => {
      const [m, n] = [12, 5];
      const a = Float64Array.from(ds.randn([m, n], { generator: new ds.Generator(11) }).dataSync());
      // Modified Gram–Schmidt on the columns, float64.
      const q = Float64Array.from(a);
      for (let j = 0; j < n; j++) {
        for (let k = 0; k < j; k++) {
          let dot = 0;
          for (let i = 0; i < m; i++) dot += q[i * n + k] * q[i * n + j];
          for (let i = 0; i < m; i++) q[i * n + j] -= dot * q[i * n + k];
        }
        let norm = 0;
        for (let i = 0; i < m; i++) norm += q[i * n + j] ** 2;
        for (let i = 0; i < m; i++) q[i * n + j] /= Math.sqrt(norm);
      }
      const w = init.orthogonal_(ds.zeros([m, n]), { generator: new ds.Generator(11) }).dataSync();
      let err = 0;
      for (let i = 0; i < m * n; i++) err = Math.max(err, Math.abs(w[i] - q[i]));
      expect(err).toBeLessThan(1e-6); // float32 rounding of entries ≤ 1
    });
  });

  test('errors', () => {
    ds.tidy(() => {
      expectError(() => init.orthogonal_(ds.zeros([4])), RangeError, 'orthogonal_', '2 or more dimensions', '[4]');
    });
  });
});

describe('dirac_ and deltaOrthogonal_', () => {
  test('dirac_: ones at [g·outPerGroup + d, d, centre], zeros elsewhere; a padded conv with it is the identity', () => {
    ds.tidy(() => {
      const w = init.dirac_(ds.randn([6, 4, 3, 3]));
      const d = w.dataSync();
      for (let o = 0; o < 6; o++)
        for (let i = 0; i < 4; i++)
          for (let k = 0; k < 9; k++) expect([o, i, k, d[((o * 4 + i) * 9) + k]]).toEqual([o, i, k, o === i && k === 4 ? 1 : 0]);
      const g = init.dirac_(ds.randn([6, 2, 3, 2]), { groups: 2 }).dataSync(); // 3 outputs per group, 2 inputs
      const ones: number[][] = [];
      for (let o = 0; o < 6; o++) for (let i = 0; i < 2; i++) for (let k = 0; k < 6; k++) if (g[(o * 2 + i) * 6 + k] !== 0) ones.push([o, i, k]);
      expect(ones).toEqual([
        [0, 0, 3], // centre of a 3x2 kernel: (1, 1) -> 1·2 + 1
        [1, 1, 3],
        [3, 0, 3],
        [4, 1, 3],
      ]);
      const x = ds.randn([2, 5, 6, 7]);
      const id = init.dirac_(ds.zeros([5, 5, 3, 3]));
      expect([...ds.conv2d(x, id, null, { padding: 1 }).dataSync()]).toEqual([...x.dataSync()]);
      expectError(() => init.dirac_(ds.zeros([3, 3])), RangeError, 'dirac_', '3-, 4- or 5-D', '[3, 3]');
      expectError(() => init.dirac_(ds.zeros([5, 2, 3, 3]), { groups: 2 }), RangeError, 'not divisible by groups 2', '[5, 2, 3, 3]');
    });
  });

  test('deltaOrthogonal_: zero except an orthogonal centre tap (times gain); RangeError when in > out', () => {
    ds.tidy(() => {
      const gain = Math.SQRT2;
      const w = init.deltaOrthogonal_(ds.randn([8, 5, 3, 3]), { gain, generator: new ds.Generator(2) });
      const d = w.dataSync();
      const centre = new Float64Array(8 * 5);
      for (let o = 0; o < 8; o++)
        for (let i = 0; i < 5; i++)
          for (let k = 0; k < 9; k++) {
            const v = d[(o * 5 + i) * 9 + k];
            if (k === 4) centre[o * 5 + i] = v;
            else expect(v).toBe(0);
          }
      expect(maxDevFromScaledIdentity(gram(centre, 8, 5, 'cols'), 5, gain * gain)).toBeLessThan(1e-5 * gain * gain);
      // Square case: the centre tap is a full orthogonal matrix, so the convolution preserves norms at
      // each pixel when padded (a 1x1-like isometry).
      const sq = init.deltaOrthogonal_(ds.zeros([6, 6, 3, 3]));
      const x = ds.randn([1, 6, 5, 5]);
      const y = ds.conv2d(x, sq, null, { padding: 1 });
      expect(y.square().sum().itemSync()).toBeCloseTo(x.square().sum().itemSync(), 3);
      expectError(() => init.deltaOrthogonal_(ds.zeros([4, 8, 3, 3])), RangeError, 'weight [4, 8, 3, 3]', '8 input channels > 4 output channels');
      expectError(() => init.deltaOrthogonal_(ds.zeros([4, 4])), RangeError, '3-, 4- or 5-D', '[4, 4]');
    });
  });
});

describe('reproducibility', () => {
  test('each random scheme repeats from the same generator seed and differs across seeds', () => {
    const schemes: [string, (t: Tensor, g: ds.Generator) => Tensor][] = [
      ['uniform_', (t, g) => init.uniform_(t, -1, 1, { generator: g })],
      ['normal_', (t, g) => init.normal_(t, 0, 1, { generator: g })],
      ['xavierUniform_', (t, g) => init.xavierUniform_(t, { generator: g })],
      ['xavierNormal_', (t, g) => init.xavierNormal_(t, { generator: g })],
      ['kaimingUniform_', (t, g) => init.kaimingUniform_(t, { generator: g })],
      ['kaimingNormal_', (t, g) => init.kaimingNormal_(t, { generator: g })],
      ['orthogonal_', (t, g) => init.orthogonal_(t, { generator: g })],
      ['deltaOrthogonal_', (t, g) => init.deltaOrthogonal_(t, { generator: g })],
    ];
    ds.tidy(() => {
      for (const [name, f] of schemes) {
        const a = [...f(ds.zeros([6, 4, 3, 3]), new ds.Generator(9)).dataSync()];
        const b = [...f(ds.zeros([6, 4, 3, 3]), new ds.Generator(9)).dataSync()];
        const c = [...f(ds.zeros([6, 4, 3, 3]), new ds.Generator(10)).dataSync()];
        expect([name, a]).toEqual([name, b]);
        expect([name, a.some((v, i) => v !== c[i])]).toEqual([name, true]);
      }
    });
  });

  test("manualSeed makes a model's initial weights reproducible; a layer's generator option too", () => {
    const build = () =>
      new nn.Sequential(new nn.Conv2d(3, 4, 3), new nn.BatchNorm2d(4), new nn.ConvTranspose2d(4, 2, 2, { stride: 2 }), new nn.Flatten(), new nn.Linear(8, 3));
    const values = (m: nn.Module) => m.parameters().map((p) => [...p.dataSync()]);
    ds.manualSeed(0);
    const a = build();
    ds.manualSeed(0);
    const b = build();
    ds.manualSeed(1);
    const c = build();
    expect(values(a)).toEqual(values(b));
    expect(values(a)[0]).not.toEqual(values(c)[0]);
    const l1 = new nn.Linear(5, 5, { generator: new ds.Generator(4) });
    const l2 = new nn.Linear(5, 5, { generator: new ds.Generator(4) });
    expect(values(l1)).toEqual(values(l2));
    for (const m of [a, b, c, l1, l2]) m.dispose();
  });
});

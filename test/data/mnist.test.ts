/**
 * data.mnist(): the 10,000 digits of the mnist package, the fixed stratified split, shapes, dtypes,
 * normalisation, padding, and checksums that pin the data and the split.
 */
import * as ds from '../../src';
import { loadMnistRaw, mnistSplit, testQuotas } from '../../src/data/mnist';

const { mnist, MNIST_MEAN, MNIST_STD } = ds.data;

const sum = (a: ArrayLike<number>, from = 0, to = a.length) => {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i];
  return s;
};

function counts(labels: ArrayLike<number>): number[] {
  const c = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]]++;
  return c;
}

describe('data.mnist', () => {
  let raw: ds.data.Mnist;
  beforeAll(() => {
    raw = mnist({ normalize: false });
  });
  afterAll(() => {
    raw.train.dispose();
    raw.test.dispose();
  });

  test('counts, shapes, dtypes, classes', () => {
    const [x, y] = raw.train.tensors;
    const [xt, yt] = raw.test.tensors;
    expect(raw.train.length).toBe(8000);
    expect(raw.test.length).toBe(2000);
    expect(x.shape).toEqual([8000, 1, 28, 28]);
    expect(xt.shape).toEqual([2000, 1, 28, 28]);
    expect(y.shape).toEqual([8000]);
    expect(yt.shape).toEqual([2000]);
    expect([x.dtype, xt.dtype, y.dtype, yt.dtype]).toEqual(['float32', 'float32', 'int32', 'int32']);
    expect(raw.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  test('pixels in [0, 1], labels in 0..9, stratified per-class counts', () => {
    const x = raw.train.tensors[0].dataSync();
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of x) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    const y = raw.train.tensors[1].dataSync();
    const yt = raw.test.tensors[1].dataSync();
    expect(Math.min(...y, ...yt)).toBe(0);
    expect(Math.max(...y, ...yt)).toBe(9);
    const all = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]; // digits per class in the package
    const testCounts = [200, 225, 198, 206, 196, 173, 203, 214, 189, 196]; // 20% each, largest remainder
    expect(counts(yt)).toEqual(testCounts);
    expect(counts(y)).toEqual(all.map((n, d) => n - testCounts[d]));
    expect(testQuotas(loadMnistRaw().labels)).toEqual(testCounts);
  });

  test('the split is fixed, disjoint and covers every digit; another seed gives another split', () => {
    const a = mnistSplit(0);
    const b = mnistSplit(0);
    expect(Array.from(a.train)).toEqual(Array.from(b.train));
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    const seen = new Set<number>([...a.train, ...a.test]);
    expect(seen.size).toBe(10000);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(9999);
    const c = mnistSplit(1);
    const testA = new Set(a.test);
    const overlap = [...c.test].filter((k) => testA.has(k)).length;
    expect(overlap).toBeGreaterThan(250); // ~20% of 2000 by chance
    expect(overlap).toBeLessThan(550);
  });

  test('two loads give the same tensors', () => {
    const again = mnist({ normalize: false });
    try {
      expect(again.train.tensors[1].dataSync()).toEqual(raw.train.tensors[1].dataSync());
      expect(again.test.tensors[1].dataSync()).toEqual(raw.test.tensors[1].dataSync());
      expect(sum(again.test.tensors[0].dataSync())).toBe(sum(raw.test.tensors[0].dataSync()));
    } finally {
      again.train.dispose();
      again.test.dispose();
    }
  });

  test('checksums pin the data and the split', () => {
    const x = raw.train.tensors[0].dataSync();
    const xt = raw.test.tensors[0].dataSync();
    expect(Array.from(raw.train.tensors[1].dataSync().slice(0, 12))).toEqual([2, 6, 6, 6, 4, 0, 3, 7, 2, 5, 4, 9]);
    expect(Array.from(raw.test.tensors[1].dataSync().slice(0, 12))).toEqual([0, 2, 0, 1, 2, 4, 1, 6, 2, 4, 7, 9]);
    expect(sum(x, 0, 784)).toBeCloseTo(97.228, 3); // first training digit
    expect(sum(x, 7999 * 784, 8000 * 784)).toBeCloseTo(80.653, 3);
    expect(sum(xt, 0, 784)).toBeCloseTo(178.319, 3);
    expect(sum(xt, 1999 * 784, 2000 * 784)).toBeCloseTo(33.039, 3);
    expect(sum(x)).toBeCloseTo(823499.747, 1);
    expect(sum(xt)).toBeCloseTo(204449.742, 1);
    let w = 0;
    for (let i = 0; i < x.length; i++) w += x[i] * ((i % 997) + 1); // position-sensitive
    expect(w).toBeCloseTo(412026409.04, 0);
    // Row 14 of the first training digit, as the package stores it (3 decimals).
    const row = Array.from(x.slice(14 * 28, 15 * 28), (v) => Math.round(v * 1000) / 1000);
    expect(row).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0.353, 0.835, 0.835, 0.835, 0.608, 0.165, 0, 0.196, 0.957, 0.855, 0.059, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  test('the parser reads the same values as JSON.parse', () => {
    const path = require.resolve('mnist/src/digits/5.json');
    const fromJson: number[] = JSON.parse(require('fs').readFileSync(path, 'utf8')).data;
    const { images, labels } = loadMnistRaw();
    const start = labels.indexOf(5) * 784;
    expect(fromJson.length).toBe(863 * 784);
    let bad = 0;
    for (let i = 0; i < fromJson.length; i++) if (Math.fround(fromJson[i]) !== images[start + i]) bad++;
    expect(bad).toBe(0);
  });

  test('normalised training set has mean ≈ 0 and std ≈ 1 (within 0.01)', () => {
    const m = mnist();
    try {
      const x = m.train.tensors[0].dataSync();
      const mean = sum(x) / x.length;
      let v = 0;
      for (const a of x) v += (a - mean) ** 2;
      const std = Math.sqrt(v / x.length);
      expect(Math.abs(mean)).toBeLessThan(0.01); // 0.0019 for seed 0
      expect(Math.abs(std - 1)).toBeLessThan(0.01); // 1.0026
      const r = raw.train.tensors[0].dataSync();
      for (const i of [0, 100, 5000, x.length - 1]) expect(x[i]).toBeCloseTo((r[i] - MNIST_MEAN) / MNIST_STD, 5);
    } finally {
      m.train.dispose();
      m.test.dispose();
    }
  });

  test('padTo32 shifts each digit by 2 and fills the border with background', () => {
    for (const normalize of [false, true]) {
      const p = mnist({ padTo32: true, normalize });
      try {
        expect(p.train.tensors[0].shape).toEqual([8000, 1, 32, 32]);
        expect(p.test.tensors[0].shape).toEqual([2000, 1, 32, 32]);
        const bg = normalize ? -MNIST_MEAN / MNIST_STD : 0;
        const x = p.test.tensors[0].dataSync();
        const r = raw.test.tensors[0].dataSync();
        for (const n of [0, 1, 1999]) {
          for (let i = 0; i < 32; i++) {
            for (let j = 0; j < 32; j++) {
              const v = x[n * 1024 + i * 32 + j];
              const inside = i >= 2 && i < 30 && j >= 2 && j < 30;
              const want = inside ? r[n * 784 + (i - 2) * 28 + (j - 2)] : 0;
              expect(v).toBeCloseTo(normalize ? (want - MNIST_MEAN) / MNIST_STD : want, 5);
              if (!inside) expect(v).toBeCloseTo(bg, 6);
            }
          }
        }
        expect(p.test.tensors[1].dataSync()).toEqual(raw.test.tensors[1].dataSync());
      } finally {
        p.train.dispose();
        p.test.dispose();
      }
    }
  });

  test('bad options', () => {
    expect(() => mnist({ seed: -1 })).toThrow(RangeError);
    expect(() => mnist({ seed: 1.5 })).toThrow(/seed/);
  });
});

import * as path from 'path';
import { spawnSync } from 'child_process';
import * as ds from '../../src';
import { Nd } from '../reference/nd';
import * as ref from '../reference/matmul';
import { conv2d as convRef } from '../reference/conv';
import { expectClose, gradcheck, normError, randNd, randint, rng, toTensor, expectError } from '../helpers';
import { cases as matmulCases } from '../backend/cases/matmul';

// Tolerances (normalised error: max abs error / max |expected|).
// Forward: each output is a sum of K float32 products; the rounding error of such a sum grows like
// sqrt(K)·2^-24 relative to the size of the terms (worst case K·2^-24), and cancellation makes it larger
// relative to the result. For the K <= 500 used here, 1e-5 holds with margin (measured: ~2e-6 at K = 301).
const FWD = 1e-5;
// Backward: the native gradients are float32 GEMMs of the same kind (same sqrt(K) growth), compared with
// central differences of the float64 reference (truncation ~eps²·f''' = 0 for a bilinear map, rounding
// ~1e-16/eps = 1e-10): 1e-5.
const BWD = 1e-5;

const BINARY = path.resolve(__dirname, '../../build/Release/deepscope.node');

interface MmCase {
  a: number[];
  b: number[];
  transA?: boolean;
  transB?: boolean;
}

// Every rank combination, vector promotion, broadcast batch dims (both ways), both transposes, odd sizes.
const mmCases: MmCase[] = [
  { a: [5], b: [5] },
  { a: [1], b: [1] },
  { a: [4], b: [4, 3] },
  { a: [3, 4], b: [4] },
  { a: [3, 4], b: [4, 5] },
  { a: [1, 7], b: [7, 1] },
  { a: [4], b: [2, 4, 3] },
  { a: [2, 3, 4], b: [4] },
  { a: [2, 3, 4], b: [4, 5] },
  { a: [3, 4], b: [2, 4, 5] },
  { a: [2, 3, 4], b: [2, 4, 5] },
  { a: [1, 3, 4], b: [3, 4, 2] },
  { a: [2, 1, 3, 4], b: [3, 4, 2] },
  { a: [2, 1, 3, 2], b: [1, 3, 2, 3] },
  { a: [1, 1, 2, 3, 2], b: [2, 2, 1] },
  { a: [4, 3], b: [4, 5], transA: true },
  { a: [3, 4], b: [5, 4], transB: true },
  { a: [4, 3], b: [5, 4], transA: true, transB: true },
  { a: [2, 3, 5], b: [3, 4], transA: true },
  { a: [2, 3, 5], b: [2, 4, 5], transB: true },
  { a: [3, 5], b: [2, 1, 4, 3], transA: true, transB: true },
  { a: [2, 3, 4], b: [5, 4], transB: true },
  { a: [4], b: [2, 5, 4], transB: true },
  { a: [2, 4, 3], b: [4], transA: true },
];

describe('matmul forward and backward (gradcheck)', () => {
  for (const c of mmCases) {
    const name = `${JSON.stringify(c.a)}${c.transA ? 'ᵀ' : ''} · ${JSON.stringify(c.b)}${c.transB ? 'ᵀ' : ''}`;
    test(name, () => {
      const r = rng(c.a.length * 31 + c.b.length * 7 + (c.transA ? 3 : 0) + (c.transB ? 5 : 0) + c.a[0] * 11);
      const opts = { transA: c.transA, transB: c.transB };
      gradcheck({
        f: (a, b) => ds.matmul(a, b, opts),
        ref: (a, b) => ref.matmul(a, b, c.transA, c.transB),
        inputs: [randNd(r, c.a), randNd(r, c.b)],
        fwdTol: FWD,
        bwdTol: BWD,
      });
    });
  }

  test('random shapes: 2-D and batched, odd sizes, all transposes', () => {
    const r = rng(4242);
    for (let t = 0; t < 12; t++) {
      const [m, k, n] = [randint(r, 1, 9), randint(r, 1, 9), randint(r, 1, 9)];
      const batchA = r() < 0.5 ? [] : [randint(r, 1, 3)];
      const batchB = batchA.length && r() < 0.5 ? [r() < 0.5 ? 1 : batchA[0]] : [];
      const transA = r() < 0.5;
      const transB = r() < 0.5;
      const a = [...batchA, ...(transA ? [k, m] : [m, k])];
      const b = [...batchB, ...(transB ? [n, k] : [k, n])];
      gradcheck({
        f: (x, y) => ds.matmul(x, y, { transA, transB }),
        ref: (x, y) => ref.matmul(x, y, transA, transB),
        inputs: [randNd(r, a), randNd(r, b)],
        fwdTol: FWD,
        bwdTol: BWD,
        seed: t,
      });
    }
  });

  test('methods matmul, mm, bmm and 1-D results', () => {
    const r = rng(5);
    gradcheck({ f: (a, b) => a.mm(b), ref: (a, b) => ref.matmul(a, b), inputs: [randNd(r, [3, 6]), randNd(r, [6, 2])], fwdTol: FWD, bwdTol: BWD });
    gradcheck({ f: (a, b) => a.bmm(b), ref: (a, b) => ref.matmul(a, b), inputs: [randNd(r, [2, 3, 6]), randNd(r, [2, 6, 4])], fwdTol: FWD, bwdTol: BWD });
    gradcheck({ f: (a, b) => a.matmul(b, { transB: true }), ref: (a, b) => ref.matmul(a, b, false, true), inputs: [randNd(r, [3, 6]), randNd(r, [2, 6])], fwdTol: FWD, bwdTol: BWD });
    ds.tidy(() => {
      const d = ds.matmul(ds.tensor([1, 2, 3]), ds.tensor([4, 5, 6]));
      expect(d.shape).toEqual([]);
      expect(d.itemSync()).toBe(32);
      expect(ds.matmul(ds.tensor([1, 2]), ds.tensor([[1, 2, 3], [4, 5, 6]])).shape).toEqual([3]);
    });
  });

  test('zero-sized dims: K = 0 gives zeros, M = 0 gives an empty result', () => {
    ds.tidy(() => {
      const z = ds.matmul(ds.zeros([3, 0]), ds.zeros([0, 4]));
      expect(z.shape).toEqual([3, 4]);
      expect([...z.dataSync()].every((v) => v === 0)).toBe(true);
      expect(ds.matmul(ds.zeros([0, 3]), ds.zeros([3, 4])).shape).toEqual([0, 4]);
    });
  });
});

describe('linear', () => {
  const shapes: { x: number[]; out: number; bias: boolean }[] = [
    { x: [4, 5], out: 3, bias: true },
    { x: [1, 7], out: 2, bias: false },
    { x: [6], out: 4, bias: true },
    { x: [2, 3, 5], out: 3, bias: true },
    { x: [2, 1, 2, 3], out: 1, bias: false },
  ];
  for (const s of shapes) {
    test(`x ${JSON.stringify(s.x)}, out ${s.out}, bias ${s.bias}`, () => {
      const r = rng(s.x.length * 13 + s.out);
      const nIn = s.x[s.x.length - 1];
      const inputs = [randNd(r, s.x), randNd(r, [s.out, nIn])];
      if (s.bias) inputs.push(randNd(r, [s.out]));
      gradcheck({
        f: (x, w, b) => ds.linear(x, w, b),
        ref: (x, w, b) => ref.linear(x, w, b),
        inputs,
        fwdTol: FWD,
        bwdTol: BWD,
      });
    });
  }

  test('is exported from nn.functional', () => {
    expect(ds.nn.functional.linear).toBe(ds.linear);
  });
});

describe('GEMM blocking and threading (packed path)', () => {
  // Sizes cross the micro-tile (6/12 x 8/16/32), the cache blocks (MC = 144, KC = 256) and the
  // small-product threshold, so packing of edges, K split over blocks and beta = 1 steps all run.
  test('257 x 301 x 199 and friends, all transposes, against the float64 reference (tol 1e-5)', () => {
    const r = rng(99);
    const shapes = [
      [257, 301, 199],
      [67, 73, 300],
      [4, 1000, 37],
      [150, 5, 270],
      [33, 17, 513],
    ];
    for (const [m, n, k] of shapes) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
        if (m * n * k > 3e6 && (ta || tb)) continue; // the reference costs m·n·k in JS: only the plain layout for the largest
        const a = randNd(r, ta ? [k, m] : [m, k]);
        const b = randNd(r, tb ? [n, k] : [k, n]);
        ds.tidy(() => {
          const y = ds.matmul(toTensor(a), toTensor(b), { transA: ta, transB: tb });
          expectClose(y, ref.matmul(a, b, ta, tb), FWD, `[${m}x${n}x${k}] transA=${ta} transB=${tb}`);
        });
      }
    }
  });

  test('batched products with a shared matrix, both ways of parallelising', () => {
    const r = rng(3);
    for (const [a, b] of [
      [[64, 5, 7], [7, 9]],
      [[3, 40, 60], [3, 60, 50]],
      [[2, 3, 30, 20], [3, 20, 40]],
    ]) {
      const x = randNd(r, a);
      const y = randNd(r, b);
      ds.tidy(() => expectClose(ds.matmul(toTensor(x), toTensor(y)), ref.matmul(x, y), FWD));
    }
  });

  test('results are bitwise identical with 1 and 2 threads', () => {
    const r = rng(17);
    const a = randNd(r, [130, 270]);
    const b = randNd(r, [270, 301]);
    const bat = randNd(r, [5, 30, 40]);
    const bw = randNd(r, [40, 20]);
    const before = ds.getNumThreads();
    const runAll = () =>
      ds.tidy(() => {
        const ta = toTensor(a, { requiresGrad: true });
        const tb = toTensor(b, { requiresGrad: true });
        const y = ds.matmul(ta, tb);
        y.backward(ds.onesLike(y));
        const z = ds.matmul(toTensor(bat), toTensor(bw));
        const l = ds.linear(toTensor(a), toTensor(b.reshape([301, 270])));
        return [y, ta.grad!, tb.grad!, z, l].map((t) => Array.from(t.dataSync()));
      });
    try {
      ds.setNumThreads(1);
      const one = runAll();
      ds.setNumThreads(2);
      const two = runAll();
      for (let i = 0; i < one.length; i++) expect(Buffer.from(Float32Array.from(two[i]).buffer).equals(Buffer.from(Float32Array.from(one[i]).buffer))).toBe(true);
    } finally {
      ds.setNumThreads(before);
    }
  });
});

describe('ISA fallback', () => {
  // Each child process loads the binary directly with DEEPSCOPE_ISA forced, runs GEMM-backed ops (packed
  // path: all transposes, linear, a conv) on inputs computed from a formula, and prints the results.
  const script = `
    const n = require(${JSON.stringify(BINARY)});
    const f32 = (len, s) => { const d = new Float32Array(len); for (let i = 0; i < len; i++) d[i] = Math.sin(i * s + 0.3) ; return d; };
    const t = (shape, s) => n.fromData(f32(shape.reduce((a, b) => a * b, 1), s), 'float32', shape, 'cpu', 0);
    const go = (op, ins, shape, attrs) => { const o = n.empty('float32', shape, 'cpu', 0); n.run(op, ins, [o], attrs); return Array.from(new Float32Array(n.readSync(o))); };
    const res = {
      isa: n.cpuIsa(),
      nn: go('matmul', [t([67, 91], 0.37), t([91, 73], 0.11)], [67, 73], {}),
      tt: go('matmul', [t([91, 67], 0.37), t([73, 91], 0.11)], [67, 73], { transA: true, transB: true }),
      lin: go('linear', [t([40, 300], 0.07), t([50, 300], 0.13), t([50], 0.5)], [40, 50], {}),
      conv: go('conv2d', [t([2, 8, 13, 11], 0.21), t([16, 8, 3, 3], 0.05), null], [2, 16, 13, 11], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 }),
    };
    process.stdout.write(JSON.stringify(res));
  `;
  const f32 = (shape: number[], s: number) => {
    const len = shape.reduce((a, b) => a * b, 1);
    const d = new Float32Array(len);
    for (let i = 0; i < len; i++) d[i] = Math.sin(i * s + 0.3);
    return Nd.from(d, shape);
  };
  const expected = {
    nn: ref.matmul(f32([67, 91], 0.37), f32([91, 73], 0.11)),
    tt: ref.matmul(f32([91, 67], 0.37), f32([73, 91], 0.11), true, true),
    lin: ref.linear(f32([40, 300], 0.07), f32([50, 300], 0.13), f32([50], 0.5)),
    conv: convRef(f32([2, 8, 13, 11], 0.21), f32([16, 8, 3, 3], 0.05), null, { pad: [1, 1, 1, 1] }),
  };
  const rank: Record<string, number> = { generic: 0, avx2: 1, avx512: 2 };
  const detected = ds.cpuInfo().detected;

  test.each(['generic', 'avx2', 'avx512'])('DEEPSCOPE_ISA=%s: active ISA and results within 1e-5 of the reference and of the others', (isa) => {
    if (rank[isa] > rank[detected]) {
      console.warn(`skipping ${isa}: the CPU supports up to ${detected}`);
      return;
    }
    const runIsa = (which: string) => {
      const p = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, DEEPSCOPE_ISA: which }, encoding: 'utf8', maxBuffer: 1 << 26 });
      if (p.status !== 0) throw new Error(`child (${which}) failed: ${p.stderr}`);
      return JSON.parse(p.stdout) as { isa: { active: string; detected: string } } & Record<keyof typeof expected, number[]>;
    };
    const res = runIsa(isa);
    expect(res.isa.active).toBe(isa);
    const base = isa === 'generic' ? null : runIsa('generic');
    for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
      // Same float32 sums in a different order / with FMA: the forward tolerance applies (K <= 300).
      expect(normError(res[key], expected[key])).toBeLessThanOrEqual(FWD);
      if (base) expect(normError(res[key], Nd.from(base[key], expected[key].shape))).toBeLessThanOrEqual(FWD);
    }
  });
});

describe('matmul, mm, bmm, linear: argument errors', () => {
  const t = (shape: number[]) => ds.zeros(shape);

  test('non-tensors and wrong dtypes are TypeErrors', () => {
    expectError(() => ds.matmul([1, 2] as unknown as ds.Tensor, t([2])), TypeError, 'matmul', "'a'");
    expectError(() => ds.matmul(t([2]), null as unknown as ds.Tensor), TypeError, 'matmul', "'b'");
    expectError(() => ds.matmul(ds.zeros([2, 2], { dtype: 'int32' }), t([2, 2])), TypeError, 'matmul', 'float32', '[2, 2]');
    expectError(() => ds.linear(t([2, 3]), ds.zeros([4, 3], { dtype: 'int32' })), TypeError, 'linear', 'weight');
    expectError(() => ds.matmul(t([2, 2]), t([2, 2]), { transA: 1 as unknown as boolean }), TypeError, 'matmul', 'transA');
  });

  test('inner-dimension mismatch names op and shapes', () => {
    expectError(() => ds.matmul(t([3, 4]), t([5, 6])), RangeError, 'matmul', '[3, 4]', '[5, 6]', 'inner');
    expectError(() => ds.matmul(t([3, 4]), t([5, 4]), { transA: true }), RangeError, 'matmul', '[3, 4]', '[5, 4]');
    expectError(() => ds.matmul(t([4]), t([5])), RangeError, 'matmul', '[4]', '[5]');
    expectError(() => ds.mm(t([2, 3]), t([2, 3])), RangeError, 'mm', '[2, 3]');
  });

  test('non-broadcastable batch dims', () => {
    expectError(() => ds.matmul(t([2, 3, 4]), t([3, 4, 5])), RangeError, 'matmul', '[2, 3, 4]', '[3, 4, 5]', 'broadcast');
  });

  test('wrong ranks', () => {
    expectError(() => ds.matmul(t([]), t([3])), RangeError, 'matmul', '[]');
    expectError(() => ds.matmul(t([3]), t([3, 2]), { transA: true }), RangeError, 'matmul', 'transA', '[3]');
    expectError(() => ds.mm(t([2, 3, 4]), t([4, 2])), RangeError, 'mm', '2-D', '[2, 3, 4]');
    expectError(() => ds.bmm(t([3, 4]), t([2, 4, 2])), RangeError, 'bmm', '3-D', '[3, 4]');
    expectError(() => ds.bmm(t([2, 3, 4]), t([3, 4, 2])), RangeError, 'bmm', 'batch', '[2, 3, 4]', '[3, 4, 2]');
    expectError(() => ds.linear(t([2, 3]), t([4, 3, 1])), RangeError, 'linear', 'weight', '[4, 3, 1]');
    expectError(() => ds.linear(t([2, 5]), t([4, 3])), RangeError, 'linear', '[2, 5]', '[4, 3]');
    expectError(() => ds.linear(t([2, 3]), t([4, 3]), t([3])), RangeError, 'linear', 'bias', '[3]');
  });
});

describe('backend cases (matmul)', () => {
  test('every case runs on the CPU and gives finite results', () => {
    for (const c of matmulCases) {
      ds.tidy(() => {
        const outs = c.run(ds.CPU);
        expect(outs.length).toBeGreaterThan(0);
        for (const o of outs) expect([...o.dataSync()].every(Number.isFinite)).toBe(true);
      });
    }
    const registered = new Set(ds.opTable().map((r) => r.name));
    for (const op of ['matmul', 'linear']) {
      expect(registered.has(op)).toBe(true);
      expect(matmulCases.some((c) => c.ops.includes(op))).toBe(true);
    }
  });
});

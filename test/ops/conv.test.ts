import { execFileSync } from 'child_process';
import * as path from 'path';
import * as ds from '../../src';
import * as ref from '../reference/conv';
import { expectClose, gradcheck, randNd, rng, toTensor, expectError } from '../helpers';
import { cases as convCases } from '../backend/cases/conv';
import { ensureBuilt } from '../cli/helpers';

// Tolerances (normalised error: max abs error / max |expected|).
// Forward: every output is a float32 sum of K = C_in/groups·kH·kW products (K <= 300 here); its rounding
// error grows like sqrt(K)·2^-24 relative to the terms, so 1e-5 (typical for K <= 500) holds with margin.
const FWD = 1e-5;
// Backward: the native gradients are float32 GEMM sums of the same kind (K = C_out/groups·kH·kW for the
// input, N·H_out·W_out for the weight) compared with central differences of the float64 reference, which
// are exact up to ~1e-10 for this bilinear map: 1e-5.
const BWD = 1e-5;

type Pad = ds.Conv2dPadding;

// The [top, bottom, left, right] padding the reference needs, from the public option.
function refPad(p: Pad | undefined, w: number[], dil: [number, number]): [number, number, number, number] {
  if (p === undefined || p === 'valid') return [0, 0, 0, 0];
  if (p === 'same') {
    const th = dil[0] * (w[2] - 1);
    const tw = dil[1] * (w[3] - 1);
    return [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  }
  if (typeof p === 'number') return [p, p, p, p];
  if (p.length === 2) return [p[0], p[0], p[1], p[1]];
  return [p[0], p[1], p[2], p[3]];
}

const pair = (v: ds.Size2 | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function refOptions(o: ds.Conv2dOptions, w: number[]): ref.ConvRefOptions {
  const dilation = pair(o.dilation, 1);
  return { stride: pair(o.stride, 1), dilation, groups: o.groups ?? 1, pad: refPad(o.padding, w, dilation) };
}

interface ConvCase {
  x: number[];
  w: number[];
  o: ds.Conv2dOptions;
  bias?: boolean;
}

const convCases2d: ConvCase[] = [
  { x: [1, 1, 5, 5], w: [1, 1, 3, 3], o: {}, bias: true },
  { x: [2, 3, 7, 6], w: [4, 3, 3, 3], o: { padding: 1 }, bias: true },
  { x: [1, 4, 6, 7], w: [6, 2, 3, 3], o: { groups: 2, stride: 2, padding: 1 } },
  { x: [1, 6, 5, 6], w: [3, 2, 2, 3], o: { groups: 3, padding: [1, 0] }, bias: true },
  { x: [2, 4, 6, 5], w: [4, 1, 3, 3], o: { groups: 4, padding: 'same' }, bias: true },
  { x: [1, 3, 7, 7], w: [6, 1, 3, 3], o: { groups: 3, stride: 2, dilation: 2, padding: 2 } },
  { x: [2, 5, 4, 3], w: [3, 5, 1, 1], o: {}, bias: true },
  { x: [1, 4, 5, 7], w: [2, 4, 1, 1], o: { stride: 2 } },
  { x: [1, 2, 9, 8], w: [3, 2, 5, 3], o: { padding: [2, 1, 0, 1], stride: [1, 2] }, bias: true },
  { x: [1, 2, 6, 7], w: [2, 2, 4, 2], o: { padding: 'same', dilation: [1, 2] } },
  { x: [1, 2, 11, 10], w: [3, 2, 3, 3], o: { stride: 3, dilation: 2, padding: [1, 2] }, bias: true },
  { x: [1, 3, 4, 9], w: [2, 3, 3, 5], o: { padding: 'valid' } },
  { x: [1, 2, 7, 8], w: [2, 2, 1, 1], o: { stride: 3, padding: 1 } },
  { x: [1, 2, 3, 3], w: [2, 2, 5, 5], o: { padding: 1 }, bias: true },
  { x: [3, 2, 4, 4], w: [4, 2, 2, 2], o: { stride: [2, 1], padding: [0, 1, 1, 0], dilation: [2, 1] } },
];

describe('conv2d forward and backward (gradcheck)', () => {
  convCases2d.forEach((c, k) => {
    test(`x ${JSON.stringify(c.x)} w ${JSON.stringify(c.w)} ${JSON.stringify(c.o)}${c.bias ? ' +bias' : ''}`, () => {
      const r = rng(100 + k);
      const inputs = [randNd(r, c.x), randNd(r, c.w)];
      if (c.bias) inputs.push(randNd(r, [c.w[0]]));
      const ro = refOptions(c.o, c.w);
      gradcheck({
        f: (x, w, b) => ds.conv2d(x, w, b, c.o),
        ref: (x, w, b) => ref.conv2d(x, w, b ?? null, ro),
        inputs,
        fwdTol: FWD,
        bwdTol: BWD,
        seed: k,
      });
    });
  });

  test('is exported from nn.functional', () => {
    expect(ds.nn.functional.conv2d).toBe(ds.conv2d);
    expect(ds.nn.functional.convTranspose2d).toBe(ds.convTranspose2d);
  });
});

// Winograd F(4×4, 3×3) (3×3, stride 1, one group, >= 16 channels each way, outputs >= 8×8). Its transforms
// multiply float32 rounding by their coefficients (up to 8·5·... in the output/input transforms), about
// 10-30x the direct sum's error of 1e-6-1e-5 here: 1e-4 bounds it with margin, and an indexing or
// padding mistake would give errors of order 1.
const WINOGRAD = 1e-4;

const winogradCases: ConvCase[] = [
  { x: [1, 16, 8, 8], w: [16, 16, 3, 3], o: { padding: 1 }, bias: true },
  { x: [2, 17, 11, 13], w: [19, 17, 3, 3], o: {} },
  { x: [1, 24, 9, 10], w: [16, 24, 3, 3], o: { padding: [2, 0, 1, 2] }, bias: true },
  { x: [3, 16, 15, 14], w: [32, 16, 3, 3], o: { padding: 'same' } },
  { x: [1, 33, 30, 29], w: [20, 33, 3, 3], o: { padding: 1 }, bias: true },
];

describe('conv2d on the Winograd path', () => {
  // The path is opt-in; the native side reads the variable on every call.
  beforeAll(() => { process.env.DEEPSCOPE_CONV_WINOGRAD = '1'; });
  afterAll(() => { delete process.env.DEEPSCOPE_CONV_WINOGRAD; });
  winogradCases.forEach((c, k) => {
    test(`x ${JSON.stringify(c.x)} w ${JSON.stringify(c.w)} ${JSON.stringify(c.o)}${c.bias ? ' +bias' : ''}`, () => {
      const r = rng(300 + k);
      const x = randNd(r, c.x);
      const w = randNd(r, c.w);
      const b = c.bias ? randNd(r, [c.w[0]]) : null;
      ds.tidy(() => {
        const y = ds.conv2d(toTensor(x), toTensor(w), b ? toTensor(b) : null, c.o);
        expectClose(y, ref.conv2d(x, w, b, refOptions(c.o, c.w)), WINOGRAD, 'forward');
      });
    });
  });

  test('is a different path from the GEMM one (DEEPSCOPE_CONV_WINOGRAD=1 turns it on)', () => {
    // Same operands in a child process with the path off: equal within the tolerance, not bit for bit.
    ensureBuilt();
    const script = `
      const ds = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib'))});
      const x = ds.linspace(-1, 1, 2 * 16 * 12 * 12).reshape([2, 16, 12, 12]);
      const w = ds.linspace(1, -1, 16 * 16 * 9).reshape([16, 16, 3, 3]).mul(0.1);
      process.stdout.write(JSON.stringify(Array.from(ds.conv2d(x, w, null, { padding: 1 }).dataSync())));`;
    const run = (env: Record<string, string>) =>
      JSON.parse(
        execFileSync(process.execPath, ['-e', script], {
          env: { ...process.env, ...env },
          encoding: 'utf8',
        }),
      ) as number[];
    const fast = run({ DEEPSCOPE_CONV_WINOGRAD: '1' });
    const plain = run({ DEEPSCOPE_CONV_WINOGRAD: '0' });
    const maxAbs = Math.max(...plain.map(Math.abs));
    const err = Math.max(...fast.map((v, i) => Math.abs(v - plain[i]))) / maxAbs;
    expect(err).toBeLessThan(WINOGRAD);
    expect(err).toBeGreaterThan(0);
  }, 60_000);
});

interface ConvTCase {
  x: number[];
  w: number[];
  o: ds.ConvTranspose2dOptions;
  bias?: boolean;
}

const convTCases: ConvTCase[] = [
  { x: [1, 2, 3, 4], w: [2, 3, 3, 3], o: {}, bias: true },
  { x: [2, 4, 3, 3], w: [4, 2, 3, 3], o: { stride: 2, padding: 1, outputPadding: 1, groups: 2 }, bias: true },
  { x: [1, 3, 4, 3], w: [3, 2, 2, 3], o: { stride: [2, 3], outputPadding: [1, 2], groups: 3 } },
  { x: [1, 2, 4, 4], w: [2, 2, 3, 3], o: { dilation: 2, outputPadding: 1 }, bias: true },
  { x: [1, 4, 4, 5], w: [4, 1, 3, 3], o: { groups: 4, stride: 2, padding: 1 } },
  { x: [2, 3, 3, 4], w: [3, 5, 1, 1], o: {}, bias: true },
  { x: [1, 2, 5, 5], w: [2, 3, 5, 3], o: { padding: [2, 1], stride: 2 } },
  { x: [1, 1, 2, 3], w: [1, 2, 3, 2], o: { stride: 3, dilation: [1, 2], padding: [1, 0], outputPadding: [2, 1] } },
];

describe('convTranspose2d forward and backward (gradcheck)', () => {
  convTCases.forEach((c, k) => {
    test(`x ${JSON.stringify(c.x)} w ${JSON.stringify(c.w)} ${JSON.stringify(c.o)}${c.bias ? ' +bias' : ''}`, () => {
      const r = rng(200 + k);
      const groups = c.o.groups ?? 1;
      const inputs = [randNd(r, c.x), randNd(r, c.w)];
      if (c.bias) inputs.push(randNd(r, [c.w[1] * groups]));
      const ro: ref.ConvTransposeRefOptions = {
        stride: pair(c.o.stride, 1),
        padding: pair(c.o.padding, 0),
        outputPadding: pair(c.o.outputPadding, 0),
        dilation: pair(c.o.dilation, 1),
        groups,
      };
      gradcheck({
        f: (x, w, b) => ds.convTranspose2d(x, w, b, c.o),
        ref: (x, w, b) => ref.convTranspose2d(x, w, b ?? null, ro),
        inputs,
        fwdTol: FWD,
        bwdTol: BWD,
        seed: k,
      });
    });
  });

  test('convTranspose2d inverts the shape of a strided conv2d', () => {
    ds.tidy(() => {
      const x = ds.randn([2, 3, 9, 8]);
      const w = ds.randn([5, 3, 3, 3]);
      const y = ds.conv2d(x, w, null, { stride: 2, padding: 1 });
      expect(y.shape).toEqual([2, 5, 5, 4]);
      const back = ds.convTranspose2d(y, w, null, { stride: 2, padding: 1, outputPadding: [0, 1] });
      expect(back.shape).toEqual([2, 3, 9, 8]);
    });
  });
});

describe('larger convolutions (im2col segments, packed GEMM, threads)', () => {
  // K = 16·9 = 144 (or 8·25 = 200) products per output (forward), 32·9 = 288 (input gradient); the weight
  // gradient sums N·H_out·W_out <= 9600 products: sqrt(9600)·2^-24 ≈ 6e-6 relative to the terms, and the
  // sums of random-sign terms do not cancel much relative to the largest one, so 1e-5 still applies.
  const big: { x: number[]; w: number[]; o: ds.Conv2dOptions }[] = [
    { x: [2, 16, 31, 29], w: [32, 16, 3, 3], o: { padding: 1 } },
    { x: [2, 16, 31, 29], w: [32, 8, 3, 3], o: { stride: 2, groups: 2, padding: [1, 0, 2, 1] } },
    { x: [2, 16, 31, 29], w: [32, 16, 1, 1], o: {} },
    // im2col in 4 segments (K = 200 rows x 9600 columns > the 2^19-float budget), boundaries mid-row.
    { x: [1, 8, 96, 100], w: [4, 8, 5, 5], o: { padding: 2 } },
  ];
  for (const c of big) {
    test(`x ${JSON.stringify(c.x)} w ${JSON.stringify(c.w)} ${JSON.stringify(c.o)}: forward, input and weight gradients vs reference`, () => {
      const r = rng(7);
      const x = randNd(r, c.x);
      const w = randNd(r, c.w);
      const b = randNd(r, [c.w[0]]);
      const ro = refOptions(c.o, c.w);
      ds.tidy(() => {
        const tx = toTensor(x, { requiresGrad: true });
        const tw = toTensor(w, { requiresGrad: true });
        const y = ds.conv2d(tx, tw, toTensor(b), c.o);
        const expected = ref.conv2d(x, w, b, ro);
        expectClose(y, expected, FWD, 'forward');
        const gy = randNd(r, [...y.shape]);
        y.backward(toTensor(gy));
        expectClose(tx.grad!, ref.conv2dGradInput(gy, w, c.x, ro), BWD, 'input gradient');
        expectClose(tw.grad!, ref.conv2dGradWeight(x, gy, c.w, ro), BWD, 'weight gradient');
      });
    });
  }

  test('conv2d and convTranspose2d results are bitwise identical with 1 and 2 threads', () => {
    const before = ds.getNumThreads();
    const r = rng(11);
    const x = randNd(r, [3, 8, 21, 19]);
    const w = randNd(r, [12, 4, 3, 3]);
    const wt = randNd(r, [8, 6, 3, 3]);
    const runAll = () =>
      ds.tidy(() => {
        const tx = toTensor(x, { requiresGrad: true });
        const tw = toTensor(w, { requiresGrad: true });
        const twt = toTensor(wt, { requiresGrad: true });
        const y = ds.conv2d(tx, tw, null, { groups: 2, padding: 1, stride: [1, 2] });
        const z = ds.convTranspose2d(tx, twt, null, { stride: 2, padding: 1 });
        y.backward(ds.onesLike(y));
        z.backward(ds.onesLike(z));
        return [y, z, tx.grad!, tw.grad!, twt.grad!].map((t) => Buffer.from(Float32Array.from(t.dataSync()).buffer));
      });
    try {
      ds.setNumThreads(1);
      const one = runAll();
      ds.setNumThreads(2);
      const two = runAll();
      one.forEach((b, i) => expect(two[i].equals(b)).toBe(true));
    } finally {
      ds.setNumThreads(before);
    }
  });
});

describe('small outputs and small groups (full-kernel, batched and direct paths)', () => {
  // Batch 64-sized shapes that take the kernel's three small-shape paths (chosen from the shape alone):
  //  full     the kernel covers the unpadded input (1x1 output): one GEMM over the whole batch per group;
  //  batched  fewer than 256 outputs per sample and more than 8 filters per group (or stride > 1):
  //           im2col of several samples side by side in one GEMM;
  //  direct   stride 1, at most 8 filters per group, N·groups >= 8: long "wide row" loops, no im2col.
  // Tolerances (normalised error, see the top of the file): the forward sums K = C_in/groups·kH·kW <= 400
  // products per output, the input gradient C_out/groups·kH·kW <= 200, both well inside 1e-5; the weight
  // gradient sums N·H_out·W_out <= 64·784 products per element, in float32 partial sums (vector lanes,
  // per-sample dots, chunks of samples) whose rounding error stays near sqrt(n)·2^-24 relative to the
  // result, so 1e-5 still holds with margin. Every path is also checked bitwise between 1 and 2 threads.
  const cases: { name: string; x: number[]; w: number[]; o: ds.Conv2dOptions }[] = [
    { name: 'full: C5 of LeNet-5 (1x1 output)', x: [64, 16, 5, 5], w: [24, 16, 5, 5], o: {} },
    { name: 'full, grouped', x: [64, 8, 3, 3], w: [12, 4, 3, 3], o: { groups: 2 } },
    { name: 'batched: 2x2 outputs', x: [64, 8, 4, 4], w: [16, 8, 3, 3], o: {} },
    { name: 'batched: 1x1 output with padding', x: [64, 4, 3, 3], w: [10, 4, 5, 5], o: { padding: 1 } },
    { name: 'batched: strided, grouped', x: [64, 6, 7, 7], w: [12, 3, 3, 3], o: { groups: 2, stride: 2, padding: 1 } },
    { name: 'batched: 1x1 kernel on 3x3 maps', x: [64, 12, 3, 3], w: [20, 12, 1, 1], o: {} },
    { name: 'direct: C3 of LeNet-5, 1 filter per group', x: [64, 18, 14, 14], w: [6, 3, 5, 5], o: { groups: 6 } },
    { name: 'direct: 2 filters per group, padding same', x: [16, 4, 10, 9], w: [8, 1, 3, 3], o: { groups: 4, padding: 'same' } },
    { name: 'direct: asymmetric padding, dilation', x: [16, 6, 9, 11], w: [6, 2, 3, 3], o: { groups: 3, padding: [1, 2, 0, 1], dilation: [2, 1] } },
    { name: 'direct: C1 of LeNet-5', x: [64, 1, 32, 32], w: [6, 1, 5, 5], o: {} },
  ];
  for (const c of cases) {
    test(`${c.name}: x ${JSON.stringify(c.x)} w ${JSON.stringify(c.w)} ${JSON.stringify(c.o)}`, () => {
      const r = rng(31);
      const x = randNd(r, c.x);
      const w = randNd(r, c.w);
      const b = randNd(r, [c.w[0]]);
      const ro = refOptions(c.o, c.w);
      ds.tidy(() => {
        const tx = toTensor(x, { requiresGrad: true });
        const tw = toTensor(w, { requiresGrad: true });
        const y = ds.conv2d(tx, tw, toTensor(b), c.o);
        expectClose(y, ref.conv2d(x, w, b, ro), FWD, 'forward');
        const gy = randNd(r, [...y.shape]);
        y.backward(toTensor(gy));
        expectClose(tx.grad!, ref.conv2dGradInput(gy, w, c.x, ro), BWD, 'input gradient');
        expectClose(tw.grad!, ref.conv2dGradWeight(x, gy, c.w, ro), BWD, 'weight gradient');
      });
    });
  }

  // convTranspose2d's forward is conv2d_backward_data: a 1x1 input is the full-kernel path, a stride-1
  // grouped one the direct path. Its input gradient is conv2d of the cotangent, its weight gradient
  // conv2d's weight gradient with the roles of input and cotangent swapped.
  const tcases: { name: string; x: number[]; w: number[]; o: ds.ConvTranspose2dOptions }[] = [
    { name: 'full: 1x1 input', x: [32, 6, 1, 1], w: [6, 4, 5, 5], o: {} },
    { name: 'direct: stride 1, grouped, padding', x: [16, 4, 6, 7], w: [4, 2, 3, 3], o: { groups: 2, padding: 1 } },
  ];
  for (const c of tcases) {
    test(`convTranspose2d ${c.name}: x ${JSON.stringify(c.x)} w ${JSON.stringify(c.w)} ${JSON.stringify(c.o)}`, () => {
      const r = rng(37);
      const x = randNd(r, c.x);
      const w = randNd(r, c.w);
      const b = randNd(r, [c.w[1] * (c.o.groups ?? 1)]);
      const groups = c.o.groups ?? 1;
      const p = pair(c.o.padding, 0);
      const rt: ref.ConvTransposeRefOptions = { stride: [1, 1], padding: p, outputPadding: [0, 0], dilation: [1, 1], groups };
      const rc: ref.ConvRefOptions = { stride: [1, 1], dilation: [1, 1], groups, pad: [p[0], p[0], p[1], p[1]] };
      ds.tidy(() => {
        const tx = toTensor(x, { requiresGrad: true });
        const tw = toTensor(w, { requiresGrad: true });
        const y = ds.convTranspose2d(tx, tw, toTensor(b), c.o);
        expectClose(y, ref.convTranspose2d(x, w, b, rt), FWD, 'forward');
        const gy = randNd(r, [...y.shape]);
        y.backward(toTensor(gy));
        expectClose(tx.grad!, ref.conv2d(gy, w, null, rc), BWD, 'input gradient');
        expectClose(tw.grad!, ref.conv2dGradWeight(gy, x, c.w, rc), BWD, 'weight gradient');
      });
    });
  }

  test('every small-shape path gives bitwise identical results with 1 and 2 threads', () => {
    const before = ds.getNumThreads();
    const r = rng(41);
    const runs = [...cases.slice(0, 9), { name: 'direct, 3 filters per group', x: [64, 12, 14, 14], w: [9, 4, 5, 5], o: { groups: 3 } as ds.Conv2dOptions }].map((c) => ({
      c,
      x: randNd(r, c.x),
      w: randNd(r, c.w),
      b: randNd(r, [c.w[0]]),
    }));
    const tr = { x: randNd(r, [16, 4, 6, 7]), w: randNd(r, [4, 2, 3, 3]) };
    const runAll = () =>
      ds.tidy(() => {
        const out: Buffer[] = [];
        const bytes = (t: ds.Tensor) => Buffer.from(Float32Array.from(t.dataSync()).buffer);
        for (const { c, x, w, b } of runs) {
          const tx = toTensor(x, { requiresGrad: true });
          const tw = toTensor(w, { requiresGrad: true });
          const y = ds.conv2d(tx, tw, toTensor(b), c.o);
          y.backward(ds.sin(y));
          out.push(bytes(y), bytes(tx.grad!), bytes(tw.grad!));
        }
        const tx = toTensor(tr.x, { requiresGrad: true });
        const tw = toTensor(tr.w, { requiresGrad: true });
        const z = ds.convTranspose2d(tx, tw, null, { groups: 2, padding: 1 });
        z.backward(ds.cos(z));
        out.push(bytes(z), bytes(tx.grad!), bytes(tw.grad!));
        return out;
      });
    try {
      ds.setNumThreads(1);
      const one = runAll();
      ds.setNumThreads(2);
      const two = runAll();
      expect(two.length).toBe(one.length);
      one.forEach((b, i) => expect(two[i].equals(b)).toBe(true));
    } finally {
      ds.setNumThreads(before);
    }
  });
});

describe('conv2d, convTranspose2d: argument errors', () => {
  const t = (shape: number[]) => ds.zeros(shape);

  test('non-tensors, wrong dtypes and bad option types are TypeErrors', () => {
    expectError(() => ds.conv2d({} as ds.Tensor, t([1, 1, 1, 1])), TypeError, 'conv2d', "'input'");
    expectError(() => ds.conv2d(t([1, 1, 3, 3]), 3 as unknown as ds.Tensor), TypeError, 'conv2d', "'weight'");
    expectError(() => ds.conv2d(t([1, 1, 3, 3]), t([1, 1, 1, 1]), [1] as unknown as ds.Tensor), TypeError, 'conv2d', "'bias'");
    expectError(() => ds.conv2d(ds.zeros([1, 1, 3, 3], { dtype: 'int32' }), t([1, 1, 1, 1])), TypeError, 'conv2d', 'float32');
    expectError(() => ds.convTranspose2d(t([1, 1, 3, 3]), ds.zeros([1, 1, 1, 1], { dtype: 'int32' })), TypeError, 'convTranspose2d', 'weight');
    expectError(() => ds.conv2d(t([1, 1, 3, 3]), t([1, 1, 1, 1]), null, { stride: 1.5 }), TypeError, 'conv2d', 'stride');
    expectError(() => ds.conv2d(t([1, 1, 3, 3]), t([1, 1, 1, 1]), null, { padding: 'full' as Pad }), TypeError, 'conv2d', 'padding');
  });

  test('wrong ranks and bias size', () => {
    expectError(() => ds.conv2d(t([1, 3, 3]), t([1, 1, 1, 1])), RangeError, 'conv2d', "'input'", '4-D', '[1, 3, 3]');
    expectError(() => ds.conv2d(t([1, 1, 3, 3]), t([3, 3])), RangeError, 'conv2d', "'weight'", '4-D', '[3, 3]');
    expectError(() => ds.conv2d(t([1, 1, 3, 3]), t([2, 1, 1, 1]), t([3])), RangeError, 'conv2d', 'bias', '[3]', '[2, 1, 1, 1]');
    expectError(() => ds.convTranspose2d(t([1, 2, 3]), t([2, 1, 1, 1])), RangeError, 'convTranspose2d', '[1, 2, 3]');
  });

  test('channel mismatch and groups', () => {
    expectError(() => ds.conv2d(t([1, 3, 5, 5]), t([8, 4, 3, 3])), RangeError, 'conv2d: input has 3 channels but weight [8, 4, 3, 3] with groups 1 expects 4');
    expectError(() => ds.conv2d(t([1, 4, 5, 5]), t([6, 2, 3, 3]), null, { groups: 3 }), RangeError, 'conv2d', 'groups 3', '4 input channels', '[1, 4, 5, 5]');
    expectError(() => ds.conv2d(t([1, 4, 5, 5]), t([5, 2, 3, 3]), null, { groups: 2 }), RangeError, 'conv2d', 'groups 2', '5 output channels', '[5, 2, 3, 3]');
    expectError(() => ds.conv2d(t([1, 4, 5, 5]), t([4, 2, 3, 3]), null, { groups: 0 }), RangeError, 'conv2d', 'groups');
    expectError(() => ds.convTranspose2d(t([1, 3, 5, 5]), t([4, 2, 3, 3])), RangeError, 'convTranspose2d: input has 3 channels but weight [4, 2, 3, 3] expects 4');
    expectError(() => ds.convTranspose2d(t([1, 4, 5, 5]), t([4, 2, 3, 3]), null, { groups: 3 }), RangeError, 'convTranspose2d', 'groups 3');
  });

  test('kernel larger than the padded input', () => {
    expectError(() => ds.conv2d(t([1, 1, 3, 4]), t([1, 1, 5, 3])), RangeError, 'conv2d', 'kernel 5x3', 'padded input 3x4', '[1, 1, 3, 4]');
    expectError(() => ds.conv2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), null, { dilation: 3 }), RangeError, 'conv2d', 'effective 7x7', '[1, 1, 5, 5]');
  });

  test('stride, dilation and padding values', () => {
    expectError(() => ds.conv2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), null, { stride: 0 }), RangeError, 'conv2d', "'stride'", 'positive');
    expectError(() => ds.conv2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), null, { dilation: [1, -1] }), RangeError, 'conv2d', "'dilation'");
    expectError(() => ds.conv2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), null, { padding: -1 }), RangeError, 'conv2d', "'padding'", 'non-negative');
    expectError(() => ds.conv2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), null, { padding: [0, 0, -1, 0] }), RangeError, 'conv2d', "'padding'");
    expectError(() => ds.conv2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), null, { padding: 'same', stride: 2 }), RangeError, 'conv2d', "'same'", 'stride');
    expectError(() => ds.convTranspose2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), null, { stride: [1, 0] }), RangeError, 'convTranspose2d', "'stride'");
    expectError(() => ds.convTranspose2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), null, { padding: -2 }), RangeError, 'convTranspose2d', "'padding'");
  });

  test('convTranspose2d outputPadding and output size', () => {
    expectError(() => ds.convTranspose2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), null, { stride: 2, outputPadding: 2 }), RangeError, 'convTranspose2d', 'outputPadding', 'stride', 'dilation');
    expectError(() => ds.convTranspose2d(t([1, 1, 5, 5]), t([1, 1, 3, 3]), null, { outputPadding: 1 }), RangeError, 'convTranspose2d', 'outputPadding');
    expectError(() => ds.convTranspose2d(t([1, 1, 1, 1]), t([1, 1, 1, 1]), null, { padding: 1 }), RangeError, 'convTranspose2d', 'output size', 'not positive', '[1, 1, 1, 1]');
  });
});

describe('backend cases (conv)', () => {
  test('every case runs on the CPU and gives finite results; every conv op is covered', () => {
    for (const c of convCases) {
      ds.tidy(() => {
        const outs = c.run(ds.CPU);
        for (const o of outs) expect([...o.dataSync()].every(Number.isFinite)).toBe(true);
      });
    }
    const registered = new Set(ds.opTable().map((r) => r.name));
    for (const op of ['conv2d', 'conv2d_backward_data', 'conv2d_backward_weight']) {
      expect(registered.has(op)).toBe(true);
      expect(convCases.some((c) => c.ops.includes(op))).toBe(true);
    }
  });
});

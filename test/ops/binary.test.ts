import * as path from 'path';
import { spawnSync } from 'child_process';
import * as ds from '../../src';
import { Nd } from '../reference/nd';
import * as ref from '../reference/binary';
import { ConvRefOptions } from '../reference/conv';
import { expectClose, expectError, gradcheck, normError, randNd, randint, rng, toTensor } from '../helpers';

// Tolerances (normalised error, see helpers.normError).
// - The unscaled binary convolution and matmul are integer sums of ±1 products (|sum| ≤ 2^24): exact, 0.
// - With α and K: the exact integer times two float32 factors, each product rounded once: relative
//   error ≤ 2·2^-24 ≈ 1.2e-7 per element, the reference computing in float64: 1e-6.
// - filterScale / xnorScale forward: float32 means of at most a few hundred |x| and a box convolution of
//   at most 9 terms: relative error ≲ 300·2^-24 ≈ 2e-5 of the magnitudes, which are all positive, so
//   the normalised error is bounded by the same: 1e-4 would hide nothing; 2e-5 is used.
// - Their backward: sums of at most a few hundred float32 terms against a central difference of a
//   function that is linear in every coordinate (|x| is linear away from 0; the inputs stay ≥ 1e-3 away
//   from 0 below), so the reference has only roundoff ≈ 1e-16/1e-6: 1e-4.
const EXACT = 0;
const SCALED = 1e-6;
const SCALE_FWD = 2e-5;
const SCALE_BWD = 1e-4;

const BINARY = process.env.DEEPSCOPE_BINARY ?? path.resolve(__dirname, '../../build/Release/deepscope.node');

// Inputs away from 0 by at least 1e-3, so sign is unambiguous and |x| is smooth under the FD step.
function awayFromZero(r: () => number, shape: number[]): Nd {
  const x = randNd(r, shape);
  for (let i = 0; i < x.size; i++) x.data[i] = Math.fround((x.data[i] >= 0 ? 1 : -1) * (0.001 + Math.abs(x.data[i])));
  return x;
}

describe('bitpack / bitunpack', () => {
  test.each([1, 5, 63, 64, 65, 130, 200])('C = %i: the documented bit layout, zero padding bits, exact round trip', (c) => {
    const r = rng(c);
    const x = awayFromZero(r, [2, c, 3, 2]);
    x.data[0] = 0; // x = 0 packs as +1
    const t = toTensor(x);
    const p = ds.bitpack(t);
    const words = Math.ceil(c / 64);
    expect(p.bits.shape).toEqual([2, 3, 2, 2 * words]);
    expect(p.shape).toEqual([2, c, 3, 2]);
    const bits = p.bits.dataSync();
    for (let n = 0; n < 2; n++)
      for (let pix = 0; pix < 6; pix++)
        for (let ch = 0; ch < words * 64; ch++) {
          const i32 = bits[(n * 6 + pix) * 2 * words + Math.floor(ch / 32)];
          const bit = (i32 >>> ch % 32) & 1;
          const want = ch < c ? (x.data[(n * c + ch) * 6 + pix] >= 0 ? 1 : 0) : 0;
          if (bit !== want) throw new Error(`n ${n} pixel ${pix} channel ${ch}: bit ${bit}, expected ${want}`);
        }
    expectClose(ds.bitunpack(p), ref.sign(x), EXACT);
  });

  test('matrices pack along K as [M, 1, 1, 2·words]; NaN packs as −1; the storage is 32× smaller', () => {
    const p = ds.bitpack(ds.tensor([[0.5, -1, NaN, 0]]));
    expect(p.bits.shape).toEqual([1, 1, 1, 2]);
    expect([...ds.bitunpack(p).dataSync()]).toEqual([1, -1, -1, 1]);
    const big = ds.bitpack(ds.randn([16, 512, 7, 7]));
    expect((16 * 512 * 49 * 4) / (big.bits.numel() * 4)).toBe(32);
  });
});

interface ConvCase {
  n: number;
  c: number;
  o: number;
  hw: [number, number];
  k: [number, number];
  stride?: [number, number];
  pad?: [number, number, number, number];
  dilation?: [number, number];
}

const convCases: ConvCase[] = [
  { n: 1, c: 1, o: 1, hw: [3, 3], k: [1, 1] },
  { n: 2, c: 3, o: 5, hw: [7, 6], k: [3, 3], pad: [1, 1, 1, 1] },
  { n: 1, c: 63, o: 7, hw: [5, 9], k: [3, 2], stride: [2, 1], pad: [0, 2, 1, 0] },
  { n: 3, c: 64, o: 9, hw: [6, 6], k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
  { n: 1, c: 65, o: 6, hw: [8, 7], k: [3, 3], dilation: [2, 2], pad: [2, 2, 2, 2] },
  { n: 2, c: 130, o: 11, hw: [5, 5], k: [5, 5], pad: [2, 2, 2, 2] },
  { n: 1, c: 200, o: 4, hw: [9, 6], k: [1, 3], stride: [3, 1], dilation: [1, 2] },
  { n: 1, c: 17, o: 3, hw: [2, 2], k: [3, 3], pad: [2, 2, 2, 2] }, // some outputs see only padding
];

const show = (c: ConvCase) => `N${c.n} C${c.c}→${c.o} ${c.hw.join('x')} k${c.k.join('x')} s${c.stride ?? [1, 1]} p${c.pad ?? [0, 0, 0, 0]} d${c.dilation ?? [1, 1]}`;

describe('binaryConv2d', () => {
  test.each(convCases.map((c) => [show(c), c] as const))('%s: equals the ±1 convolution exactly; with α and K as the reference', (_, cc) => {
    const r = rng(cc.c * 31 + cc.o);
    const x = awayFromZero(r, [cc.n, cc.c, ...cc.hw]);
    const w = awayFromZero(r, [cc.o, cc.c, ...cc.k]);
    const o: ConvRefOptions = { stride: cc.stride, pad: cc.pad, dilation: cc.dilation };
    const opts = { stride: cc.stride, padding: cc.pad, dilation: cc.dilation };
    ds.tidy(() => {
      const tx = toTensor(x);
      const tw = toTensor(w);
      expectClose(ds.binaryConv2d(tx, tw, opts), ref.binaryConv2d(x, w, o, null, null), EXACT, 'unscaled, float operands');
      const px = ds.bitpack(tx);
      const pw = ds.bitpack(tw);
      expectClose(ds.binaryConv2d(px, pw, opts), ref.binaryConv2d(x, w, o, null, null), EXACT, 'unscaled, packed operands');
      const alpha = ds.filterScale(tw);
      const scale = ds.xnorScale(tx, cc.k, opts);
      const want = ref.binaryConv2d(x, w, o, ref.filterScale(w), ref.xnorScale(x, cc.k, o));
      expectClose(ds.binaryConv2d(px, pw, { ...opts, alpha, scale }), want, SCALED, 'scaled');
    });
  });

  test("padding 'same' and 'valid' resolve as conv2d's", () => {
    const x = ds.randn([1, 70, 6, 5]);
    const w = ds.randn([3, 70, 3, 3]);
    const same = ds.binaryConv2d(x, w, { padding: 'same' });
    expect(same.shape).toEqual([1, 3, 6, 5]);
    expect([...same.dataSync()]).toEqual([...ds.binaryConv2d(x, w, { padding: 1 }).dataSync()]);
    expect(ds.binaryConv2d(x, w, { padding: 'valid' }).shape).toEqual([1, 3, 4, 3]);
  });
});

describe('binaryMatmul', () => {
  test.each([1, 31, 64, 65, 300])('K = %i: ±1 products exactly; α and row scales as the reference', (k) => {
    const r = rng(k + 5);
    const a = awayFromZero(r, [7, k]);
    const b = awayFromZero(r, [5, k]);
    const alpha = randNd(r, [5], 0.1, 2);
    const scale = randNd(r, [7], 0.1, 2);
    ds.tidy(() => {
      expectClose(ds.binaryMatmul(toTensor(a), toTensor(b)), ref.binaryMatmul(a, b, null, null), EXACT);
      const y = ds.binaryMatmul(ds.bitpack(toTensor(a)), toTensor(b), { alpha: toTensor(alpha), scale: toTensor(scale) });
      expectClose(y, ref.binaryMatmul(a, b, alpha, scale), SCALED);
    });
  });
});

describe('binarize, α and K: forward and backward', () => {
  test('binarize: signs (0 → +1, NaN stays NaN) and the straight-through gradient, passed exactly where |x| ≤ 1', () => {
    const x = ds.tensor([-3, -1, -0.5, 0, 0.25, 1, 1.0001, NaN], undefined, { requiresGrad: true });
    const y = ds.binarize(x);
    expect([...y.dataSync()]).toEqual([-1, -1, -1, 1, 1, 1, 1, NaN]);
    y.backward(ds.tensor([1, 2, 3, 4, 5, 6, 7, 8]));
    expect([...x.grad!.dataSync()]).toEqual([0, 2, 3, 4, 5, 6, 0, 0]);
  });

  test('binarize on odd shapes matches the reference sign; gradient mask on random data', () => {
    const r = rng(3);
    for (const shape of [[1], [3, 5, 7], [2, 1, 4, 3]]) {
      const x = randNd(r, shape, -2, 2);
      const t = toTensor(x, { requiresGrad: true });
      const y = ds.binarize(t);
      expectClose(y, ref.sign(x), EXACT);
      const g = randNd(r, shape);
      y.backward(toTensor(g));
      const want = Nd.from(Array.from(x.data, (v, i) => (Math.abs(v) <= 1 ? g.data[i] : 0)), shape);
      expectClose(t.grad!, want, EXACT, 'STE gradient');
    }
  });

  test.each([
    [[4, 3, 2, 2]],
    [[7, 65]],
    [[1, 5, 3, 1]],
  ])('filterScale %j against the reference and finite differences', (shape) => {
    const r = rng(11);
    gradcheck({ f: (w) => ds.filterScale(w), ref: (w) => ref.filterScale(w), inputs: [awayFromZero(r, shape)], fwdTol: SCALE_FWD, bwdTol: SCALE_BWD });
  });

  test.each([
    { shape: [1, 3, 5, 4], k: [3, 3] as [number, number], pad: [1, 1, 1, 1] as [number, number, number, number], stride: [1, 1] as [number, number] },
    { shape: [2, 5, 6, 7], k: [2, 3] as [number, number], pad: [0, 1, 2, 0] as [number, number, number, number], stride: [2, 1] as [number, number] },
  ])('xnorScale $shape k$k against the reference and finite differences', ({ shape, k, pad, stride }) => {
    const r = rng(13);
    gradcheck({
      f: (x) => ds.xnorScale(x, k, { padding: pad, stride }),
      ref: (x) => ref.xnorScale(x, k, { pad, stride }),
      inputs: [awayFromZero(r, shape)],
      fwdTol: SCALE_FWD,
      bwdTol: SCALE_BWD,
    });
  });
});

describe('binary ops: argument errors', () => {
  const x = () => ds.zeros([1, 70, 5, 5]);
  const w = () => ds.zeros([4, 70, 3, 3]);

  test('types and dtypes are TypeErrors naming op and argument', () => {
    expectError(() => ds.binarize([1] as unknown as ds.Tensor), TypeError, 'binarize', "'input'");
    expectError(() => ds.bitpack(ds.zeros([2, 3], { dtype: 'int32' })), TypeError, 'bitpack', 'float32', '[2, 3]');
    expectError(() => ds.bitunpack(ds.zeros([1, 1, 1, 2]) as unknown as ds.PackedTensor), TypeError, 'bitunpack', 'PackedTensor');
    expectError(() => ds.binaryConv2d(null as unknown as ds.Tensor, w()), TypeError, 'binaryConv2d', "'input'");
    expectError(() => ds.binaryConv2d(x(), w(), { alpha: ds.zeros([4], { dtype: 'int32' }) }), TypeError, 'binaryConv2d', 'alpha');
    expectError(() => ds.binaryConv2d(x(), w(), { stride: 1.5 }), TypeError, 'binaryConv2d', 'stride');
    expectError(() => ds.binaryMatmul(ds.zeros([2, 3]), 'b' as unknown as ds.Tensor), TypeError, 'binaryMatmul', "'b'");
  });

  test('asking for a gradient through the packed kernel is a TypeError, not a silently missing gradient', () => {
    expectError(() => ds.binaryConv2d(ds.zeros([1, 70, 5, 5], { requiresGrad: true }), w()), TypeError, 'binaryConv2d', 'requires grad', 'noGrad');
    expect(ds.noGrad(() => ds.binaryConv2d(ds.zeros([1, 70, 5, 5], { requiresGrad: true }), w())).shape).toEqual([1, 4, 3, 3]);
  });

  test('shapes and sizes are RangeErrors naming op and shapes', () => {
    expectError(() => ds.bitpack(ds.zeros([2, 3, 4])), RangeError, 'bitpack', '[2, 3, 4]');
    expectError(() => ds.bitpack(ds.zeros([2, 0])), RangeError, 'bitpack', '[2, 0]');
    expectError(() => ds.binaryConv2d(x(), ds.zeros([4, 69, 3, 3])), RangeError, 'binaryConv2d', '70 channels', '[4, 69, 3, 3]');
    expectError(() => ds.binaryConv2d(x(), ds.zeros([4, 70, 7, 7])), RangeError, 'binaryConv2d', 'larger than the padded input');
    expectError(() => ds.binaryConv2d(x(), w(), { alpha: ds.zeros([3]) }), RangeError, 'binaryConv2d', 'alpha', '[3]', '4 values');
    expectError(() => ds.binaryConv2d(x(), w(), { scale: ds.zeros([1, 1, 5, 5]) }), RangeError, 'binaryConv2d', 'scale', '[1, 1, 3, 3]');
    expectError(() => ds.binaryConv2d(ds.zeros([70, 5, 5]), w()), RangeError, 'binaryConv2d', '4-D', '[70, 5, 5]');
    expectError(() => ds.binaryMatmul(ds.zeros([2, 3]), ds.zeros([4, 5])), RangeError, 'binaryMatmul', '[2, 3]', '[4, 5]');
    expectError(() => ds.filterScale(ds.zeros([3])), RangeError, 'filterScale', '[3]');
    expectError(() => ds.xnorScale(ds.zeros([1, 2, 3]), 3), RangeError, 'xnorScale', '[1, 2, 3]');
    expectError(() => ds.xnorScale(x(), 0), RangeError, 'xnorScale', 'kernelSize');
    expectError(() => new ds.PackedTensor(ds.zeros([1, 5, 5, 2], { dtype: 'int32' }), [1, 70, 5, 5]), RangeError, 'PackedTensor', '[1, 5, 5, 4]');
  });
});

describe('ISA fallback', () => {
  // A child process per ISA loads the binary with DEEPSCOPE_ISA forced and runs the packed kernels on
  // inputs computed from a formula; every ISA must give the reference's integers exactly.
  const script = `
    const n = require(${JSON.stringify(BINARY)});
    const f32 = (len, s) => { const d = new Float32Array(len); for (let i = 0; i < len; i++) d[i] = Math.sin(i * s + 0.3); return d; };
    const t = (shape, s) => n.fromData(f32(shape.reduce((a, b) => a * b, 1), s), 'float32', shape, 'cpu', 0);
    const pack = (x, shape) => { const o = n.empty('int32', shape, 'cpu', 0); n.run('bitpack', [x], [o], {}); return o; };
    const go = (op, ins, shape, attrs) => { const o = n.empty('float32', shape, 'cpu', 0); n.run(op, ins, [o], attrs); return Array.from(new Float32Array(n.readSync(o))); };
    const res = {
      isa: n.cpuIsa(),
      conv: go('binary_conv2d', [pack(t([2, 130, 9, 8], 0.21), [2, 9, 8, 6]), pack(t([37, 130, 3, 3], 0.05), [37, 3, 3, 6]), null, null],
               [2, 37, 9, 8], { channels: 130, stride: [1, 1], padding: [1, 1], dilation: [1, 1] }),
      mm: go('binary_matmul', [pack(t([9, 515, 1, 1], 0.07), [9, 1, 1, 18]), pack(t([13, 515, 1, 1], 0.13), [13, 1, 1, 18]), null, null], [9, 13], { bits: 515 }),
    };
    process.stdout.write(JSON.stringify(res));
  `;
  const f32 = (shape: number[], s: number) => Nd.from(Float32Array.from({ length: Nd.numel(shape) }, (_, i) => Math.sin(i * s + 0.3)), shape);
  const expected = {
    conv: ref.binaryConv2d(f32([2, 130, 9, 8], 0.21), f32([37, 130, 3, 3], 0.05), { pad: [1, 1, 1, 1] }, null, null),
    mm: ref.binaryMatmul(f32([9, 515], 0.07), f32([13, 515], 0.13), null, null),
  };
  const rank: Record<string, number> = { generic: 0, avx2: 1, avx512: 2 };
  const detected = ds.cpuInfo().detected;

  test.each(['generic', 'avx2', 'avx512'])('DEEPSCOPE_ISA=%s: the active ISA gives the exact integers', (isa) => {
    if (rank[isa] > rank[detected]) {
      console.warn(`skipping ${isa}: the CPU supports up to ${detected}`);
      return;
    }
    const p = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, DEEPSCOPE_ISA: isa }, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (p.status !== 0) throw new Error(`child (${isa}) failed: ${p.stderr}`);
    const res = JSON.parse(p.stdout) as { isa: { active: string } } & Record<keyof typeof expected, number[]>;
    expect(res.isa.active).toBe(isa);
    for (const key of Object.keys(expected) as (keyof typeof expected)[]) expect(normError(res[key], expected[key])).toBe(EXACT);
  });
});

describe('random shapes', () => {
  test('twenty random convolutions: packed kernel equals the ±1 float convolution exactly', () => {
    const r = rng(99);
    for (let it = 0; it < 20; it++) {
      const c = randint(r, 1, 150);
      const k: [number, number] = [randint(r, 1, 3), randint(r, 1, 3)];
      const hw: [number, number] = [randint(r, k[0], 8), randint(r, k[1], 8)];
      const cc: ConvCase = {
        n: randint(r, 1, 2),
        c,
        o: randint(r, 1, 9),
        hw,
        k,
        stride: [randint(r, 1, 2), randint(r, 1, 2)],
        pad: [randint(r, 0, 2), randint(r, 0, 2), randint(r, 0, 2), randint(r, 0, 2)],
        dilation: [1, 1],
      };
      const x = awayFromZero(r, [cc.n, c, ...hw]);
      const w = awayFromZero(r, [cc.o, c, ...k]);
      ds.tidy(() => {
        const y = ds.binaryConv2d(toTensor(x), toTensor(w), { stride: cc.stride, padding: cc.pad });
        expectClose(y, ref.binaryConv2d(x, w, { stride: cc.stride, pad: cc.pad }, null, null), EXACT, show(cc));
      });
    }
  });
});

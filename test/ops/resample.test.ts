import * as ds from '../../src';
import * as ref from '../reference/resample';
import { gradcheck, randNd, rng, toTensor } from '../helpers';

// Tolerances (normalised error, see helpers.normError).
// - Nearest forward is exact (0): it copies float32 inputs, and the reference rounds its index
//   arithmetic to float32 where PyTorch does, so both pick the same pixels.
// - Bilinear forward: the kernel computes source coordinates and weights in float32 (as PyTorch), the
//   reference in float64; a coordinate of size ≲ 20 differs by ≈ 20·2^-24 ≈ 1e-6, which moves the result
//   by ≲ 1e-6·|x1 − x0| ≲ 2e-6 of the input scale: 1e-5.
// - Backward (both): the function is linear in x, so the central difference has no truncation error
//   (roundoff ≈ 1e-8); the native gradient sums a few float32 weighted cotangents per pixel (≈ 1e-6) with
//   the same float32 weights as above: 1e-5.
const NEAREST_FWD = 0;
const BILINEAR_FWD = 1e-5;
const BWD = 1e-5;

interface Case {
  input: number[];
  opts: ds.InterpolateOptions;
  /** Output size and the scales the reference uses for coordinates. */
  size: [number, number];
  scales?: [number, number];
}

const cases: Case[] = [
  { input: [2, 3, 4, 3], opts: { size: [7, 5] }, size: [7, 5] },
  { input: [1, 2, 3, 5], opts: { scaleFactor: 2 }, size: [6, 10], scales: [2, 2] },
  { input: [2, 1, 5, 4], opts: { scaleFactor: 1.7 }, size: [8, 6], scales: [1.7, 1.7] },
  { input: [1, 2, 7, 5], opts: { size: [3, 2] }, size: [3, 2] }, // downsampling
  { input: [1, 1, 6, 7], opts: { scaleFactor: [0.6, 1.3] }, size: [3, 9], scales: [0.6, 1.3] },
  { input: [1, 2, 5, 3], opts: { scaleFactor: 1.7, recomputeScaleFactor: true }, size: [8, 5] },
  { input: [1, 1, 5, 3], opts: { scaleFactor: 1.1 }, size: [5, 3], scales: [1.1, 1.1] }, // same size: PyTorch copies
  { input: [2, 2, 1, 4], opts: { size: [3, 4] }, size: [3, 4] }, // a single input row
];

function* variants(): Generator<{ name: string; c: Case; mode: ds.InterpolateMode; align?: boolean }> {
  for (const c of cases) {
    yield { name: `nearest ${JSON.stringify(c.input)} ${JSON.stringify(c.opts)}`, c, mode: 'nearest' };
    for (const align of [false, true]) {
      yield { name: `bilinear alignCorners=${align} ${JSON.stringify(c.input)} ${JSON.stringify(c.opts)}`, c, mode: 'bilinear', align };
    }
  }
}

describe('interpolate', () => {
  let seed = 0;
  for (const v of variants()) {
    const s = ++seed;
    test(v.name, () => {
      const r = rng(400 + s);
      const opts: ds.InterpolateOptions = { ...v.c.opts, mode: v.mode, ...(v.align === undefined ? {} : { alignCorners: v.align }) };
      const refOpts = { size: v.c.size, mode: v.mode, alignCorners: v.align, scales: v.c.scales };
      gradcheck({
        f: (x) => ds.interpolate(x, opts),
        ref: (x) => ref.interpolate(x, refOpts),
        inputs: [randNd(r, v.c.input)],
        fwdTol: v.mode === 'nearest' ? NEAREST_FWD : BILINEAR_FWD,
        bwdTol: BWD,
      });
    });
  }

  test('nearest uses 1/scaleFactor for the source index (PyTorch), not in/out', () => {
    // in 5, scale 1.7 → out 8. PyTorch: floor(o / 1.7) = 0 0 1 1 2 2 3 4; in/out (0.625) would give 0 0 1 1 2 3 3 4.
    const x = ds.arange(0, 5).float().reshape([1, 1, 1, 5]);
    expect([...ds.interpolate(x, { scaleFactor: [1, 1.7] }).dataSync()]).toEqual([0, 0, 1, 1, 2, 2, 3, 4]);
    expect([...ds.interpolate(x, { size: [1, 8] }).dataSync()]).toEqual([0, 0, 1, 1, 2, 3, 3, 4]);
  });

  test('bilinear values match PyTorch on a small example', () => {
    // F.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), scale_factor=2, mode='bilinear', align_corners=False)
    const x = ds.tensor([[[[1, 2], [3, 4]]]]);
    const a = [...ds.interpolate(x, { scaleFactor: 2, mode: 'bilinear' }).dataSync()];
    const expected = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4];
    a.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    // align_corners=True: corners map onto corners.
    const b = [...ds.interpolate(x, { size: 3, mode: 'bilinear', alignCorners: true }).dataSync()];
    [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4].forEach((v, i) => expect(b[i]).toBeCloseTo(v, 6));
  });

  test('upsample is an alias', () => {
    const x = toTensor(randNd(rng(1), [1, 2, 3, 3]));
    expect([...ds.upsample(x, { scaleFactor: 2, mode: 'bilinear' }).dataSync()]).toEqual([
      ...ds.interpolate(x, { scaleFactor: 2, mode: 'bilinear' }).dataSync(),
    ]);
  });

  describe('argument errors', () => {
    const x = ds.zeros([1, 2, 4, 4]);
    test('types and modes', () => {
      expect(() => ds.interpolate({} as ds.Tensor, { size: 2 })).toThrow(new TypeError("interpolate: argument 'input' must be a Tensor, got object"));
      expect(() => ds.interpolate(ds.zeros([1, 1, 2, 2], { dtype: 'int32' }), { size: 2 })).toThrow(TypeError);
      expect(() => ds.interpolate(x, { size: 2, mode: 'bicubic' as ds.InterpolateMode })).toThrow(
        new TypeError("interpolate: unknown mode \"bicubic\" (use 'nearest' or 'bilinear')"),
      );
      expect(() => ds.interpolate(x, { size: 2, alignCorners: true })).toThrow(/interpolate: 'alignCorners' can only be set with mode 'bilinear'/);
      expect(() => ds.interpolate(x, { size: 2.5 })).toThrow(TypeError);
    });
    test('rank, sizes and scales', () => {
      expect(() => ds.interpolate(ds.zeros([2, 4, 4]), { size: 2 })).toThrow(new RangeError("interpolate: argument 'input' must be 4-D ((N, C, H, W)), got shape [2, 4, 4]"));
      expect(() => ds.interpolate(x, {})).toThrow(new RangeError("interpolate: give exactly one of 'size' and 'scaleFactor' (got neither) for input [1, 2, 4, 4]"));
      expect(() => ds.interpolate(x, { size: 2, scaleFactor: 2 })).toThrow(/interpolate: give exactly one of 'size' and 'scaleFactor' \(got both\)/);
      expect(() => ds.interpolate(x, { size: [0, 3] })).toThrow(new RangeError('interpolate: output size [0, 3] must be positive (input shape [1, 2, 4, 4])'));
      expect(() => ds.interpolate(x, { scaleFactor: 0.2 })).toThrow(/interpolate: output size \[0, 0\] must be positive/);
      expect(() => ds.interpolate(x, { scaleFactor: -1 })).toThrow(/interpolate: 'scaleFactor' must be positive and finite, got -1/);
    });
  });
});

/**
 * data.transforms against torchvision 0.14's (fixtures from scripts/torchvision-fixtures.py, on a
 * 61×47 RGB PNG). The tensor path is the same arithmetic in float64 here and float32 in torchvision:
 * outputs agree to 1e-5 (a few float32 roundings of values of order 1; a wrong filter width, offset or
 * rounding rule gives errors of order 1e-2 and more). PIL's path resizes in 8 bits, rounding after each
 * of its two passes (rows, then columns), so the chain agrees with it to within those roundings (up to
 * 1/255 of a pixel, over the smallest std: 1/(255·0.224) = 0.0175).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ds from '../../src';
import { data, io } from '../../src';
import { FIXTURES, fixture, relError } from '../io/torchvision-helpers';

const T = data.transforms;
const cases = fixture<Record<string, { shape: number[]; values: number[] }>>('transforms.json');
const raw = io.decodeImage(fs.readFileSync(path.join(FIXTURES, 'image.png')));

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function check(name: string, y: ds.Tensor, tol = 1e-5): void {
  const c = cases[name];
  expect(y.shape).toEqual(c.shape);
  expect(maxAbs(y.dataSync(), c.values)).toBeLessThan(tol);
}

let x: ds.Tensor;
beforeAll(() => {
  x = T.toTensor(raw);
});
afterAll(() => x.dispose());

describe("torchvision's outputs", () => {
  test('ToTensor: the picture as [3, 47, 61] in [0, 1]', () => {
    expect(x.shape).toEqual([3, 47, 61]);
    expect(new T.ToTensor().apply(raw).dataSync()).toEqual(x.dataSync());
  });

  test.each([
    ['resize24', 24, true],
    ['resize24-noaa', 24, false],
    ['resize-30x17', [30, 17], true],
    ['resize60', 60, true],
  ] as const)('Resize %s', (name, size, antialias) => {
    ds.tidy(() => check(name, T.resize(x, size as ds.data.transforms.Size, { antialias })));
  });

  test('antialiasing matters when shrinking (the test can tell the two apart)', () => {
    const aa = cases['resize24'].values;
    const plain = cases['resize24-noaa'].values;
    expect(maxAbs(aa, plain)).toBeGreaterThan(0.05);
  });

  test.each([
    ['crop20', 20],
    ['crop-30x50', [30, 50]],
    ['crop-50x64', [50, 64]],
  ] as const)('CenterCrop %s (the last pads with zeros)', (name, size) => {
    ds.tidy(() => check(name, T.centerCrop(x, size as ds.data.transforms.Size)));
  });

  test('the ImageNet chain (Resize → CenterCrop → Normalize) on the tensor', () => {
    const chain = new T.Compose([new T.Resize(24), new T.CenterCrop(20), new T.Normalize(T.IMAGENET_MEAN, T.IMAGENET_STD)]);
    ds.tidy(() => check('chain', chain.apply(x)));
    // imagenet() from the 8-bit image, with the fixture's sizes.
    ds.tidy(() => check('chain', T.imagenet({ resizeSize: 24, cropSize: 20 }).apply(raw)));
  });

  test("the chain agrees with torchvision's PIL path to within PIL's 8-bit rounding", () => {
    const y = T.imagenet({ resizeSize: 24, cropSize: 20 }).apply(raw);
    const pil = cases['pil-chain'].values;
    const err = maxAbs(y.dataSync(), pil);
    expect(err).toBeLessThan(1 / (255 * 0.224));
    expect(relError(y.dataSync(), pil)).toBeLessThan(0.01);
    y.dispose();
  });
});

describe('shapes and batches', () => {
  test('a batch [N, C, H, W] transforms image by image', () => {
    ds.tidy(() => {
      const batch = ds.stack([x, x.mul(0.5)]);
      const y = T.resize(batch, 24);
      expect(y.shape).toEqual([2, 3, 24, 31]);
      expect(maxAbs(y.narrow(0, 0, 1).dataSync(), cases['resize24'].values)).toBeLessThan(1e-5);
      expect(maxAbs(y.narrow(0, 1, 1).dataSync(), cases['resize24'].values.map((v) => v / 2))).toBeLessThan(1e-5);
    });
  });

  test('resizedSize: the longer side truncated, maxSize caps it', () => {
    expect(T.resizedSize(47, 61, 24)).toEqual([24, 31]);
    expect(T.resizedSize(480, 640, 256)).toEqual([256, 341]);
    expect(T.resizedSize(640, 480, 256)).toEqual([341, 256]);
    expect(T.resizedSize(100, 1000, 50, 200)).toEqual([20, 200]);
    expect(T.resizedSize(5, 7, [3, 4])).toEqual([3, 4]);
  });

  test('resizing to the same size is the identity; a constant image stays constant', () => {
    ds.tidy(() => {
      expect(maxAbs(T.resize(x, [47, 61]).dataSync(), x.dataSync())).toBeLessThan(1e-6);
      const c = T.resize(ds.full([1, 30, 40], 0.25), [7, 11]).dataSync();
      expect(maxAbs(c, new Float32Array(c.length).fill(0.25))).toBeLessThan(1e-6);
    });
  });

  test('Compose disposes intermediates but not its input or output; plain functions work', () => {
    const before = ds.memory().cpu.tensors;
    const y = new T.Compose([new T.Resize(24), (t: ds.Tensor) => t.mul(2), new T.CenterCrop(10)]).apply(x);
    expect(ds.memory().cpu.tensors).toBe(before + 1);
    expect(x.isDisposed).toBe(false);
    expect(y.shape).toEqual([3, 10, 10]);
    y.dispose();
  });
});

describe('bad input', () => {
  test('errors name the op and the argument', () => {
    expect(() => T.resize(ds.zeros([5, 5]), 3)).toThrow(/resize: the image must be \[C, H, W\] or \[N, C, H, W\], got shape \[5, 5\]/);
    expect(() => T.resize(x, 0)).toThrow(/resize: size must be a positive integer or \[height, width\]/);
    expect(() => T.resize(x, [2, 3, 4] as unknown as ds.data.transforms.Size)).toThrow(TypeError);
    expect(() => T.resize(x, 24, { maxSize: 20 })).toThrow(/maxSize 20 must be larger than size 24/);
    expect(() => T.resize(ds.zeros([3, 4, 4], { dtype: 'int32' }), 2)).toThrow(/must be float32, got int32/);
    expect(() => T.centerCrop(x, -1)).toThrow(/centerCrop: size must be/);
    expect(() => T.normalize(x, [0.5, 0.5], [1, 1])).toThrow(/normalize: 'mean' must be 3 finite numbers .*\[3, 47, 61\]/);
    expect(() => T.normalize(x, [0.5], [0])).toThrow(/'std' has a zero/);
    expect(() => new T.Resize(2.5)).toThrow(/Resize: size must be/);
    expect(() => new T.Compose([42 as unknown as ds.data.transforms.TransformLike])).toThrow(/Compose: transform 0 must be a function/);
  });
});

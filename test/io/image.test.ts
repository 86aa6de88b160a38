/**
 * Image files: PNG round trips, JPEG decoding, format detection by magic bytes, clear errors for bad
 * files and shapes, and the grid layout.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import * as ds from '../../src';
import { expectError, rng } from '../helpers';

const { io } = ds;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepscope-image-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Values k/255 (exactly representable as 8-bit pixels), seeded. */
function pixels(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => Math.floor(r() * 256) / 255);
}

describe('PNG', () => {
  test('round trip: 1 and 3 channels, and [H, W]', async () => {
    for (const shape of [[1, 5, 7], [3, 4, 6], [9, 2]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = pixels(n, n);
      const t = ds.tensor(v, shape);
      const file = path.join(dir, `rt-${shape.join('x')}.png`);
      await io.writePng(file, t);
      const back = await io.readImage(file);
      expect(back.shape).toEqual(shape.length === 2 ? [1, ...shape] : shape);
      expect(back.dtype).toBe('float32');
      expect(back.dataSync()).toEqual(v);
      const sync = io.readImageSync(file);
      expect(sync.dataSync()).toEqual(v);
      ds.dispose([t, back, sync]);
    }
  });

  test('grayscale and RGB files; RGBA drops alpha; 16-bit is reduced to 8 bits', async () => {
    const t3 = ds.tensor(pixels(3 * 3 * 2, 1), [3, 3, 2]);
    io.writePngSync(path.join(dir, 'rgb.png'), t3);
    expect(PNG.sync.read(fs.readFileSync(path.join(dir, 'rgb.png'))).colorType).toBe(2);
    const t1 = ds.tensor(pixels(6, 2), [1, 2, 3]);
    io.writePngSync(path.join(dir, 'gray.png'), t1);
    expect(PNG.sync.read(fs.readFileSync(path.join(dir, 'gray.png'))).colorType).toBe(0);

    const rgba = new PNG({ width: 2, height: 1, colorType: 6 });
    rgba.data = Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]);
    fs.writeFileSync(path.join(dir, 'rgba.png'), PNG.sync.write(rgba, { colorType: 6 }));
    const a = await io.readImage(path.join(dir, 'rgba.png'));
    expect(a.shape).toEqual([3, 1, 2]);
    expect(Array.from(a.dataSync(), (v) => Math.round(v * 255))).toEqual([10, 40, 20, 50, 30, 60]);

    const deep = new PNG({ width: 2, height: 1, colorType: 0, bitDepth: 16, inputColorType: 0 });
    deep.data = Buffer.from(new Uint16Array([0, 65535]).buffer);
    fs.writeFileSync(path.join(dir, 'gray16.png'), PNG.sync.write(deep, { colorType: 0, bitDepth: 16, inputColorType: 0 }));
    const d = await io.readImage(path.join(dir, 'gray16.png'));
    expect(d.shape).toEqual([1, 1, 2]);
    expect(Array.from(d.dataSync())).toEqual([0, 1]);
    ds.dispose([t3, t1, a, d]);
  });

  test('values are clamped, or min-max normalised', () => {
    const t = ds.tensor([[-0.5, 0, 0.5, 1, 1.5, NaN]]);
    const clamped = io.tensorToImage(t);
    expect(clamped.channels).toBe(1);
    expect(Array.from(clamped.data)).toEqual([0, 0, 128, 255, 255, 0]);
    const s = ds.tensor([[-1, 0, 1, 3]]);
    expect(Array.from(io.tensorToImage(s, { normalize: true }).data)).toEqual([0, 64, 128, 255]);
    const flat = ds.full([2, 2], 7);
    expect(Array.from(io.tensorToImage(flat, { normalize: true }).data)).toEqual([0, 0, 0, 0]);
    ds.dispose([t, s, flat]);
  });

  test('wrong ranks and channel counts are RangeErrors, thrown at once', () => {
    ds.tidy(() => {
      expectError(() => io.writePng(path.join(dir, 'x.png'), ds.zeros([2, 4, 4])), RangeError, '1 or 3 channels', '[2, 4, 4]');
      expectError(() => io.writePng(path.join(dir, 'x.png'), ds.zeros([1, 1, 4, 4])), RangeError, '[H, W], [1, H, W] or [3, H, W]');
      expectError(() => io.writePng(path.join(dir, 'x.png'), ds.zeros([4])), RangeError, 'writePng');
      expectError(() => io.tensorToImage(ds.zeros([4, 4, 4])), RangeError, 'tensorToImage');
      expectError(() => io.encodePng({ width: 1, height: 1, channels: 2 as 1, data: new Uint8Array(2) }), RangeError, 'channels');
    });
    expect(fs.existsSync(path.join(dir, 'x.png'))).toBe(false);
  });
});

describe('JPEG', () => {
  test('a JPEG made with jpeg-js decodes to about the same values', async () => {
    const w = 16;
    const h = 12;
    const rgba = Buffer.alloc(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = 4 * (y * w + x);
        rgba[o] = Math.round((255 * x) / (w - 1)); // smooth gradients: little JPEG loss
        rgba[o + 1] = Math.round((255 * y) / (h - 1));
        rgba[o + 2] = 128;
        rgba[o + 3] = 255;
      }
    }
    const file = path.join(dir, 'gradient.jpg');
    fs.writeFileSync(file, jpeg.encode({ width: w, height: h, data: rgba }, 95).data);
    const t = await io.readImage(file);
    expect(t.shape).toEqual([3, h, w]);
    const v = t.dataSync();
    let worst = 0;
    let total = 0;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < w * h; p++) {
        const e = Math.abs(v[c * w * h + p] - rgba[4 * p + c] / 255);
        worst = Math.max(worst, e);
        total += e;
      }
    }
    expect(total / (3 * w * h)).toBeLessThan(0.02);
    expect(worst).toBeLessThan(0.1);
    t.dispose();
  });

  test('the format comes from the bytes, not the file name', async () => {
    const t = ds.tensor(pixels(12, 3), [1, 3, 4]);
    const file = path.join(dir, 'actually-a-png.jpg');
    await io.writePng(file, t);
    const back = await io.readImage(file);
    expect(back.dataSync()).toEqual(t.dataSync());
    expect(io.imageFormat(fs.readFileSync(file))).toBe('png');
    expect(io.imageFormat(fs.readFileSync(path.join(dir, 'gradient.jpg')))).toBe('jpeg');
    expect(io.imageFormat(Buffer.from('GIF89a'))).toBeNull();
    ds.dispose([t, back]);
  });
});

describe('bad files reject with the path and the reason', () => {
  test('missing, empty, not an image, truncated PNG, truncated JPEG, a directory', async () => {
    const missing = path.join(dir, 'nope.png');
    await expect(io.readImage(missing)).rejects.toThrow(`readImage: cannot read '${missing}': no such file`);
    const empty = path.join(dir, 'empty.png');
    fs.writeFileSync(empty, '');
    await expect(io.readImage(empty)).rejects.toThrow(`'${empty}': empty file`);
    const text = path.join(dir, 'text.png');
    fs.writeFileSync(text, '<!DOCTYPE html>');
    await expect(io.readImage(text)).rejects.toThrow(/text\.png': not a PNG or JPEG file \(starts with bytes 3c 21 44 4f\)/);
    const png = fs.readFileSync(path.join(dir, 'rgb.png'));
    const cutPng = path.join(dir, 'cut.png');
    fs.writeFileSync(cutPng, png.subarray(0, 40));
    await expect(io.readImage(cutPng)).rejects.toThrow(/cut\.png': corrupt PNG: /);
    const badCrc = Buffer.from(png);
    badCrc[40] ^= 0xff;
    const crcFile = path.join(dir, 'crc.png');
    fs.writeFileSync(crcFile, badCrc);
    await expect(io.readImage(crcFile)).rejects.toThrow(/crc\.png': corrupt PNG/);
    const jpg = fs.readFileSync(path.join(dir, 'gradient.jpg'));
    const cutJpg = path.join(dir, 'cut.jpg');
    fs.writeFileSync(cutJpg, jpg.subarray(0, Math.floor(jpg.length / 3)));
    await expect(io.readImage(cutJpg)).rejects.toThrow(/cut\.jpg': corrupt JPEG: /);
    await expect(io.readImage(dir)).rejects.toThrow(`'${dir}': is a directory`);
    expect(() => io.readImageSync(cutPng)).toThrow(/cut\.png': corrupt PNG/);
  });
});

describe('toImageGrid', () => {
  /** torchvision's make_grid layout, in plain JS (channels kept). */
  function reference(x: Float32Array, [n, c, h, w]: number[], nrow: number, p: number, padValue: number) {
    const cols = Math.min(nrow, n);
    const rows = Math.ceil(n / cols);
    const H = rows * (h + p) + p;
    const W = cols * (w + p) + p;
    const out = new Float32Array(c * H * W).fill(padValue);
    for (let k = 0; k < n; k++) {
      const y0 = Math.floor(k / cols) * (h + p) + p;
      const x0 = (k % cols) * (w + p) + p;
      for (let ch = 0; ch < c; ch++) {
        for (let i = 0; i < h; i++) {
          for (let j = 0; j < w; j++) out[ch * H * W + (y0 + i) * W + x0 + j] = x[((k * c + ch) * h + i) * w + j];
        }
      }
    }
    return { data: out, shape: [c, H, W] };
  }

  test.each([
    [[5, 1, 2, 3], 3, 1, -1],
    [[5, 3, 2, 3], 2, 2, 0.5],
    [[4, 1, 3, 3], 8, 0, 0],
    [[7, 3, 4, 2], 7, 3, 1],
    [[1, 1, 2, 2], 8, 2, 0],
  ])('shape %j, nrow %d, padding %d, padValue %d', (shape, nrow, padding, padValue) => {
    ds.tidy(() => {
      const v = pixels(shape.reduce((a, b) => a * b, 1), 5);
      const g = io.toImageGrid(ds.tensor(v, shape), { nrow, padding, padValue });
      const ref = reference(v, shape, nrow, padding, padValue);
      expect(g.shape).toEqual(ref.shape);
      expect(g.dataSync()).toEqual(ref.data);
    });
  });

  test('defaults (nrow 8, padding 2), one [C, H, W] image, memory and errors', () => {
    const before = ds.memory().cpu.tensors;
    const x = ds.rand([10, 1, 4, 4]);
    const g = io.toImageGrid(x);
    expect(g.shape).toEqual([1, 2 * 6 + 2, 8 * 6 + 2]);
    const z = ds.zeros([3, 5, 5]);
    const one = io.toImageGrid(z);
    expect(one.shape).toEqual([3, 9, 9]);
    expect(ds.memory().cpu.tensors).toBe(before + 4); // x, g, z and one: no intermediates left
    ds.dispose([x, g, z, one]);
    ds.tidy(() => {
      expectError(() => io.toImageGrid(ds.zeros([4, 4])), RangeError, '[N, C, H, W]');
      expectError(() => io.toImageGrid(ds.zeros([0, 1, 2, 2])), RangeError, 'no images');
      expectError(() => io.toImageGrid(ds.zeros([1, 1, 2, 2]), { nrow: 0 }), RangeError, 'nrow');
    });
  });

  test('a grid of MNIST digits writes as a PNG', async () => {
    const { train, test } = ds.data.mnist({ normalize: false });
    const file = path.join(dir, 'digits.png');
    await ds.tidy(async () => {
      const grid = io.toImageGrid(train.tensors[0].narrow(0, 0, 16), { nrow: 8 });
      await io.writePng(file, grid);
    });
    const back = await io.readImage(file);
    expect(back.shape).toEqual([1, 2 * 30 + 2, 8 * 30 + 2]);
    ds.dispose([train.tensors, test.tensors, back]);
  });
});

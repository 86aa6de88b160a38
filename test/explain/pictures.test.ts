/**
 * Pictures of explanations: colour maps (knots exact, jet's formula, rising lightness of the perceptual
 * maps), applyColormap against the scalar maps, overlay against a direct computation, labelled grids
 * (layout sizes, pixels in place), PNG files, argument errors and memory.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ds from '../../src';
import { decodeImage } from '../../src/io/image';
import { GLYPH, textWidth } from '../../src/util/font';
import { expectError, rng, settledMemory } from '../helpers';

const { explain } = ds;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepscope-pictures-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const hex = (h: string) => [1, 3, 5].map((o) => parseInt(h.slice(o, o + 2), 16));
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
const INFERNO = ['#000004', '#1b0c41', '#4a0c6b', '#781c6d', '#a52c60', '#cf4446', '#ed6925', '#fb9b06', '#f7d13d', '#fcffa4'];
// Rec. 709 luma of gamma-encoded RGB: linear in the components, so monotone along each linear segment
// exactly when it rises between the segment's ends.
const luma = ([r, g, b]: readonly number[]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

function random(seed: number, shape: number[], lo = 0, hi = 1): ds.Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return ds.tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * r()), shape);
}

describe('colormap', () => {
  test('viridis and inferno pass exactly through their ten matplotlib anchors, ends included', () => {
    for (const [name, anchors] of [['viridis', VIRIDIS], ['inferno', INFERNO]] as const) {
      const f = explain.colormap(name);
      anchors.forEach((h, k) => expect(f(k / 9)).toEqual(hex(h)));
      expect(f(0)).toEqual(hex(anchors[0]));
      expect(f(1)).toEqual(hex(anchors[9]));
      // Halfway between two anchors: their rounded mean.
      expect(f(0.5 / 9)).toEqual(hex(anchors[0]).map((c, i) => Math.round((c + hex(anchors[1])[i]) / 2)));
    }
  });

  test('jet: 0 is dark blue (0, 0, 128), 0.5 greenish (128, 255, 128), 1 dark red (128, 0, 0); the continuous formula everywhere', () => {
    const jet = explain.colormap('jet');
    expect(jet(0)).toEqual([0, 0, 128]);
    expect(jet(1 / 8)).toEqual([0, 0, 255]);
    expect(jet(3 / 8)).toEqual([0, 255, 255]);
    expect(jet(0.5)).toEqual([128, 255, 128]);
    expect(jet(5 / 8)).toEqual([255, 255, 0]);
    expect(jet(7 / 8)).toEqual([255, 0, 0]);
    expect(jet(1)).toEqual([128, 0, 0]);
    const clamp = (v: number) => Math.min(1, Math.max(0, v));
    for (let i = 0; i <= 1000; i++) {
      const v = i / 1000;
      const want = [3, 2, 1].map((o) => 255 * clamp(1.5 - Math.abs(4 * v - o)));
      jet(v).forEach((c, k) => expect(Math.abs(c - want[k])).toBeLessThanOrEqual(0.5 + 1e-9));
    }
  });

  test('gray; values outside [0, 1] clamp and NaN reads as 0', () => {
    const gray = explain.colormap('gray');
    expect(gray(0)).toEqual([0, 0, 0]);
    expect(gray(1)).toEqual([255, 255, 255]);
    expect(gray(0.5)).toEqual([128, 128, 128]);
    const viridis = explain.colormap('viridis');
    expect(viridis(-3)).toEqual(viridis(0));
    expect(viridis(7)).toEqual(viridis(1));
    expect(viridis(NaN)).toEqual(viridis(0));
  });

  test('the lightness of viridis and inferno rises monotonically (anchors strictly, samples never fall)', () => {
    for (const [name, anchors] of [['viridis', VIRIDIS], ['inferno', INFERNO]] as const) {
      const l = anchors.map((h) => luma(hex(h)));
      for (let k = 1; k < l.length; k++) expect(l[k]).toBeGreaterThan(l[k - 1]);
      const v = ds.linspace(0, 1, 2001).reshape([1, 2001]);
      const rgb = explain.applyColormap(v, name).dataSync(); // [3, 1, 2001]
      let prev = -Infinity;
      for (let i = 0; i < 2001; i++) {
        const y = luma([rgb[i], rgb[2001 + i], rgb[4002 + i]]);
        expect(y).toBeGreaterThanOrEqual(prev - 1e-6);
        prev = y;
      }
    }
  });

  test('applyColormap: [H, W] → [3, H, W] and [N, H, W] → [N, 3, H, W], the unrounded colormap / 255', () => {
    const m = random(1, [2, 3, 4], -0.2, 1.2);
    const values = m.dataSync();
    for (const name of ['jet', 'viridis', 'inferno', 'gray'] as const) {
      const f = explain.colormap(name);
      const out = explain.applyColormap(m, name);
      expect(out.dtype).toBe('float32');
      expect([...out.shape]).toEqual([2, 3, 3, 4]);
      const d = out.dataSync();
      for (let n = 0; n < 2; n++) {
        for (let p = 0; p < 12; p++) {
          const want = f(values[n * 12 + p]);
          for (let k = 0; k < 3; k++) expect(Math.abs(d[(n * 3 + k) * 12 + p] * 255 - want[k])).toBeLessThanOrEqual(0.5 + 1e-3);
        }
      }
      const single = explain.applyColormap(m.narrow(0, 1, 1).reshape([3, 4]), name);
      expect([...single.shape]).toEqual([3, 3, 4]);
      expect(Array.from(single.dataSync())).toEqual(Array.from(d.subarray(36, 72)));
    }
    // At the knots the tensor path gives the anchors themselves.
    const knots = explain.applyColormap(ds.tensor(Float32Array.from({ length: 10 }, (_, k) => k / 9), [1, 10]), 'viridis').dataSync();
    VIRIDIS.forEach((h, k) => hex(h).forEach((c, ch) => expect(knots[ch * 10 + k]).toBeCloseTo(c / 255, 5)));
  });

  test('errors name the op and the argument', () => {
    expectError(() => explain.colormap('plasma' as never), TypeError, /colormap: unknown colormap "plasma"/, /'viridis'/);
    expectError(() => explain.applyColormap(ds.zeros([2, 2]), 'hot' as never), TypeError, /applyColormap: unknown colormap "hot"/);
    expectError(() => explain.applyColormap(ds.zeros([1, 1, 2, 2]), 'jet'), TypeError, /applyColormap: argument 'map'.*\[1, 1, 2, 2\]/);
    expectError(() => explain.applyColormap(ds.zeros([2, 2], { dtype: 'int32' }), 'jet'), TypeError, /applyColormap: argument 'map'.*int32/);
    expectError(() => explain.applyColormap([1, 2] as never, 'jet'), TypeError, /applyColormap.*'map'/);
  });
});

describe('overlay', () => {
  test('(1 − alpha)·image + alpha·colour(map) on one RGB image, the default jet at alpha 0.5', () => {
    const img = random(2, [3, 5, 6]);
    const map = random(3, [5, 6]);
    const expected = (alpha: number, name: 'jet' | 'inferno') => {
      const x = img.dataSync();
      const c = explain.applyColormap(map, name).dataSync();
      return Array.from(x, (v, i) => (1 - alpha) * v + alpha * c[i]);
    };
    const out = explain.overlay(img, map);
    expect([...out.shape]).toEqual([3, 5, 6]);
    const want = expected(0.5, 'jet');
    Array.from(out.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    const out2 = explain.overlay(img, map, { colormap: 'inferno', alpha: 0.3 });
    const want2 = expected(0.3, 'inferno');
    Array.from(out2.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want2[i], 6));
    expect(Array.from(explain.overlay(img, map, { alpha: 0 }).dataSync())).toEqual(Array.from(img.dataSync()));
  });

  test('a gray image is repeated into RGB', () => {
    const gray = random(4, [1, 4, 4]);
    const map = random(5, [1, 4, 4]);
    const out = explain.overlay(gray, map, { alpha: 0.25, colormap: 'viridis' }).dataSync();
    const g = gray.dataSync();
    const c = explain.applyColormap(map, 'viridis').dataSync();
    for (let k = 0; k < 3; k++) for (let p = 0; p < 16; p++) expect(out[k * 16 + p]).toBeCloseTo(0.75 * g[p] + 0.25 * c[k * 16 + p], 6);
  });

  test('a batch with smaller maps: each map resized bilinearly to its image; a shared [H, W] map', () => {
    const imgs = random(6, [2, 3, 8, 8]);
    const maps = random(7, [2, 2, 2]);
    const out = explain.overlay(imgs, maps, { alpha: 0.6 });
    expect([...out.shape]).toEqual([2, 3, 8, 8]);
    const resized = ds.interpolate(maps.reshape([2, 1, 2, 2]), { size: [8, 8], mode: 'bilinear' }).reshape([2, 8, 8]);
    const c = explain.applyColormap(resized, 'jet').dataSync();
    const x = imgs.dataSync();
    Array.from(out.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(0.4 * x[i] + 0.6 * c[i], 6));
    const shared = explain.overlay(imgs, resized.narrow(0, 1, 1).reshape([8, 8]), { alpha: 0.6 }).dataSync();
    Array.from(shared.subarray(192)).forEach((v, i) => expect(v).toBeCloseTo(out.dataSync()[192 + i], 6));
  });

  test('path writes the PNG: one image at its size, a batch as a grid of 8 per row', () => {
    const img = random(8, [3, 5, 7]);
    const map = random(9, [5, 7]);
    const file = path.join(dir, 'overlay.png');
    const out = explain.overlay(img, map, { path: file });
    const png = decodeImage(fs.readFileSync(file));
    expect([png.width, png.height, png.channels]).toEqual([7, 5, 3]);
    const d = out.dataSync();
    for (let p = 0; p < 35; p++) for (let k = 0; k < 3; k++) expect(png.data[p * 3 + k]).toBe(Math.round(Math.min(1, Math.max(0, d[k * 35 + p])) * 255));
    const batchFile = path.join(dir, 'overlay-batch.png');
    explain.overlay(random(10, [3, 1, 5, 7]), random(11, [3, 5, 7]), { path: batchFile });
    const grid = decodeImage(fs.readFileSync(batchFile));
    expect([grid.width, grid.height]).toEqual([3 * (7 + 2) + 2, 5 + 4]); // io.toImageGrid's padding of 2
  });

  test('errors name the op and the argument', () => {
    const img = ds.zeros([3, 4, 4]);
    const map = ds.zeros([4, 4]);
    expectError(() => explain.overlay(ds.zeros([2, 4, 4]), map), RangeError, /overlay: argument 'image' must have 1 or 3 channels/);
    expectError(() => explain.overlay(ds.zeros([4, 4]), map), TypeError, /overlay: argument 'image'/);
    expectError(() => explain.overlay(img, ds.zeros([1, 1, 4, 4])), TypeError, /overlay: argument 'map'/);
    expectError(() => explain.overlay(img, ds.zeros([2, 4, 4])), RangeError, /overlay: argument 'map' \[2, 4, 4\].*1 image/);
    expectError(() => explain.overlay(ds.zeros([3, 3, 4, 4]), ds.zeros([2, 4, 4])), RangeError, /overlay: argument 'map'/);
    expectError(() => explain.overlay(img, map, { alpha: 1.5 }), RangeError, /overlay: 'alpha' must be <= 1/);
    expectError(() => explain.overlay(img, map, { alpha: -0.1 }), RangeError, /overlay: 'alpha' must be >= 0/);
    expectError(() => explain.overlay(img, map, { alpha: '0.5' as never }), TypeError, /overlay: 'alpha' must be a number/);
    expectError(() => explain.overlay(img, map, { colormap: 'rainbow' as never }), TypeError, /overlay: unknown colormap "rainbow"/);
    expectError(() => explain.overlay(img, map, { path: 3 as never }), TypeError, /overlay: 'path' must be a string/);
  });
});

describe('grid', () => {
  const ink = [34, 34, 34];

  test('cells as large as the largest panel or caption, panels centred, captions under them', () => {
    const a = ds.full([3, 4, 6], 0.2);
    const b = ds.full([1, 5, 3], 0.6);
    const c = ds.full([3, 2, 2], 1);
    const file = path.join(dir, 'grid.png');
    const out = explain.grid(
      [
        { image: a, label: 'input' },
        { image: b, label: 'Grad-CAM++' },
        { image: c },
      ],
      { columns: 2, padding: 3, scale: 2, path: file },
    );
    const cellW = Math.max(12, textWidth('Grad-CAM++'));
    const cellH = 10;
    const captionH = GLYPH.height + 4;
    const width = 2 * cellW + 3 * 3;
    const height = 2 * (cellH + captionH) + 3 * 3;
    expect([...out.shape]).toEqual([3, height, width]);
    const png = decodeImage(fs.readFileSync(file));
    expect([png.width, png.height, png.channels]).toEqual([width, height, 3]);
    const px = (x: number, y: number) => [0, 1, 2].map((k) => png.data[(y * width + x) * 3 + k]);
    // Panel a (12×8 after scaling) centred in the first cell; gray panel b repeated into RGB.
    const ax = 3 + Math.floor((cellW - 12) / 2);
    const ay = 3 + 1;
    expect(px(ax, ay)).toEqual([51, 51, 51]);
    expect(px(ax + 11, ay + 7)).toEqual([51, 51, 51]);
    expect(px(ax - 1, ay)).toEqual([255, 255, 255]);
    expect(px(ax, ay - 1)).toEqual([255, 255, 255]);
    const bx = 3 + cellW + 3 + Math.floor((cellW - 6) / 2);
    expect(px(bx, 3)).toEqual([153, 153, 153]);
    expect(px(bx + 5, 3 + 9)).toEqual([153, 153, 153]);
    // The third panel starts the second row.
    const cy = 3 + cellH + captionH + 3 + Math.floor((cellH - 4) / 2);
    expect(px(3 + Math.floor((cellW - 4) / 2), cy)).toEqual([255, 255, 255]);
    // Captions: ink in the caption band of the first row only (the third panel has none).
    const inkIn = (y0: number, y1: number) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = 0; x < width; x++) if (px(x, y).every((v, k) => v === ink[k])) n++;
      return n;
    };
    expect(inkIn(3 + cellH, 3 + cellH + captionH)).toBeGreaterThan(20);
    expect(inkIn(0, 3 + cellH)).toBe(0);
    expect(inkIn(3 + cellH + captionH, height)).toBe(0);
  });

  test('defaults: one row, padding 4, white; no caption band without labels; a dark background gets light captions', () => {
    const panels = [0, 1, 2].map((i) => ({ image: ds.full([3, 3, 5], i / 2) }));
    expect([...explain.grid(panels).shape]).toEqual([3, 3 + 8, 3 * 5 + 4 * 4]);
    const dark = explain.grid([{ image: ds.zeros([1, 4, 4]), label: 'x' }], { background: '#000', padding: 0, textScale: 2 });
    expect([...dark.shape]).toEqual([3, 4 + 2 * GLYPH.height + 4, Math.max(4, textWidth('x', 2))]);
    const d = dark.dataSync();
    expect(Math.max(...Array.from(d))).toBeCloseTo(240 / 255, 6);
    const nine = Array.from({ length: 9 }, () => ({ image: ds.zeros([2, 2]) }));
    expect([...explain.grid(nine, { padding: 1 }).shape]).toEqual([3, 2 * 2 + 3, 8 * 2 + 9]);
  });

  test('errors name the op and the argument', () => {
    const p = { image: ds.zeros([3, 2, 2]) };
    expectError(() => explain.grid([]), TypeError, /grid: argument 'panels' must be a non-empty array/);
    expectError(() => explain.grid([p, { image: ds.zeros([2, 2, 2]) }]), TypeError, /grid: panels\[1\]\.image must be a float32 \[C, H, W\]/);
    expectError(() => explain.grid([{ image: 'x' as never }]), TypeError, /grid: panels\[0\]\.image must be a Tensor/);
    expectError(() => explain.grid([{ image: ds.zeros([2, 2]), label: 3 as never }]), TypeError, /grid: panels\[0\]\.label must be a string/);
    expectError(() => explain.grid([p], { columns: 0 }), RangeError, /grid: 'columns' must be >= 1/);
    expectError(() => explain.grid([p], { scale: 1.5 }), TypeError, /grid: 'scale' must be an integer/);
    expectError(() => explain.grid([p], { padding: -1 }), RangeError, /grid: 'padding' must be >= 0/);
    expectError(() => explain.grid([p], { background: 'white' }), TypeError, /grid: 'background'.*"white"/);
  });
});

test('no tensors leak from repeated colouring, overlays and grids', async () => {
  const img = random(12, [2, 3, 6, 6]);
  const map = random(13, [2, 3, 3]);
  const file = path.join(dir, 'leak.png');
  const round = () => {
    const c = explain.applyColormap(map, 'inferno');
    const o = explain.overlay(img, map, { path: file });
    const views = [o.narrow(0, 0, 1), c.narrow(0, 1, 1)];
    const panels = [views[0].reshape([3, 6, 6]), views[1].reshape([3, 3, 3])];
    const g = explain.grid([{ image: panels[0], label: 'a' }, { image: panels[1] }]);
    ds.dispose([c, o, g, views, panels]);
  };
  round();
  const before = (await settledMemory()).tensors;
  for (let i = 0; i < 3; i++) round();
  expect((await settledMemory()).tensors).toBe(before);
});

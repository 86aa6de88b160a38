/**
 * plotLines: a PNG of the requested size with the series colours, text, ticks and legend; tick
 * arithmetic; argument errors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import * as ds from '../../src';
import { formatTick, niceTicks, renderLines } from '../../src/io/plot';
import { glyph, textWidth } from '../../src/util/font';

const { io } = ds;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepscope-plot-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Number of pixels of exactly this colour. */
function count(img: { data: Uint8Array | Buffer; channels?: number }, [r, g, b]: number[], step = 3): number {
  let n = 0;
  for (let o = 0; o < img.data.length; o += step) if (img.data[o] === r && img.data[o + 1] === g && img.data[o + 2] === b) n++;
  return n;
}

const loss = Array.from({ length: 12 }, (_, i) => 2.3 * Math.exp(-i / 3) + 0.05);
const acc = Array.from({ length: 12 }, (_, i) => 1 - 0.9 * Math.exp(-i / 3));

describe('plotLines', () => {
  test('writes a PNG of the requested size whose pixels include the series colours', async () => {
    const file = path.join(dir, 'curves.png');
    await io.plotLines(
      file,
      [
        { name: 'train loss', values: loss },
        { name: 'test loss', values: loss.map((v) => v * 1.1), color: '#d62728' },
        { name: 'custom', values: acc, color: [10, 200, 30] },
      ],
      { title: 'Training', xLabel: 'epoch', yLabel: 'loss', width: 500, height: 300 },
    );
    const png = PNG.sync.read(fs.readFileSync(file));
    expect([png.width, png.height]).toEqual([500, 300]);
    expect(png.colorType).toBe(2); // RGB
    for (const c of [[0x1f, 0x77, 0xb4], [0xd6, 0x27, 0x28], [10, 200, 30]]) expect(count(png, c, 4)).toBeGreaterThan(50);
    const t = await io.readImage(file);
    expect(t.shape).toEqual([3, 300, 500]);
    t.dispose();
  });

  test('default size 640×400, white background, dark text in the title strip', () => {
    const img = renderLines([{ name: 'a', values: [3, 1, 2] }], { title: 'Loss' });
    expect([img.width, img.height, img.channels]).toEqual([640, 400, 3]);
    expect(img.data[0]).toBe(255); // top-left corner is background
    let dark = 0;
    for (let y = 0; y < 30; y++) for (let x = 0; x < 640; x++) if (img.data[3 * (y * 640 + x)] < 80) dark++;
    expect(dark).toBeGreaterThan(40); // the title
    // No title: the strip stays white.
    const plain = renderLines([{ name: 'a', values: [3, 1, 2] }]);
    let ink = 0;
    for (let y = 0; y < 10; y++) for (let x = 0; x < 640; x++) if (plain.data[3 * (y * 640 + x)] < 200) ink++;
    expect(ink).toBe(0);
  });

  test('the legend shows every series, also one without finite values; legend none hides it', () => {
    const series = [
      { name: 'ok', values: [1, 2, 3], color: '#00f' },
      { name: 'nan', values: [NaN, NaN], color: '#0f0' },
    ];
    expect(count(renderLines(series), [0, 255, 0])).toBeGreaterThan(10); // its legend swatch
    expect(count(renderLines(series, { legend: 'none' }), [0, 255, 0])).toBe(0);
    expect(count(renderLines(series, { legend: 'bottom-left' }), [0, 0, 255])).toBeGreaterThan(30);
  });

  test('gaps, single points, explicit x, fixed ranges, many points, empty charts', () => {
    expect(() => renderLines([{ name: 'gappy', values: [1, NaN, 3, Infinity, 2, 1] }])).not.toThrow();
    expect(count(renderLines([{ name: 'one', values: [5], color: '#f00' }]), [255, 0, 0])).toBeGreaterThan(5);
    expect(() => renderLines([{ name: 'xy', values: [1, 4, 9], x: [0.5, 1, 1.5] }], { yRange: [0, 10], xRange: [0, 2] })).not.toThrow();
    const long = Array.from({ length: 5000 }, (_, i) => Math.sin(i / 100));
    expect(count(renderLines([{ name: 'long', values: long, color: '#f0f' }]), [255, 0, 255])).toBeGreaterThan(500);
    expect(() => renderLines([])).not.toThrow();
    expect(() => renderLines([{ name: 'flat', values: [2, 2, 2] }])).not.toThrow();
  });

  test('argument errors', () => {
    expect(() => renderLines([{ name: 'a', values: [1], color: 'red' }])).toThrow(TypeError);
    expect(() => renderLines([{ name: 'a', values: [1, 2], x: [1] }])).toThrow(RangeError);
    expect(() => renderLines([{ name: 'a', values: [1] }], { width: 50 })).toThrow(RangeError);
    expect(() => renderLines([{ name: 'a', values: [1] }], { yRange: [2, 1] })).toThrow(/yRange/);
    expect(() => renderLines([{ values: [1] } as unknown as ds.io.PlotSeries])).toThrow(/name/);
  });
});

describe('ticks and text', () => {
  test('nice ticks', () => {
    expect(niceTicks(0, 1, 5).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.05, 2.35, 5)).toMatchObject({ lo: 0, hi: 2.5, step: 0.5 });
    expect(niceTicks(1, 20, 7, true).ticks).toEqual([0, 5, 10, 15, 20]);
    expect(niceTicks(1, 3, 7, true).ticks).toEqual([1, 2, 3]);
    expect(niceTicks(0, 10, 4).step).toBe(2.5);
    expect(niceTicks(5, 5, 4).ticks.length).toBeGreaterThan(1); // a flat range is widened
  });

  test('tick labels use the decimals the step needs', () => {
    expect([0, 0.5, 1].map((v) => formatTick(v, 0.5))).toEqual(['0.0', '0.5', '1.0']);
    expect(formatTick(2.5, 2.5)).toBe('2.5');
    expect(formatTick(0.25, 0.25)).toBe('0.25');
    expect(formatTick(10, 5)).toBe('10');
    expect(formatTick(0.002, 0.001)).toBe('0.002');
    expect(formatTick(2e6, 1e6)).toBe('2e6');
    expect(formatTick(3e-5, 1e-5)).toBe('3e-5');
  });

  test('the bitmap font covers printable ASCII with distinct glyphs', () => {
    const seen = new Set<string>();
    for (let c = 33; c < 127; c++) {
      const g = glyph(String.fromCharCode(c));
      expect(g.some((row) => row !== 0)).toBe(true);
      seen.add(Array.from(g).join(','));
    }
    expect(seen.size).toBe(94);
    expect(glyph('é')).toEqual(glyph('?'));
    expect(textWidth('abc')).toBe(17);
    expect(textWidth('abc', 2)).toBe(34);
  });
});

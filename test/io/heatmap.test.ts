/**
 * Heat maps of grid surfaces: PNG size and colours where the values are known (a paraboloid's minimum
 * in the centre, its maximum in the corners), contour lines of a plane in the SVG (straight lines at the
 * levels' positions), the colour bar, CSV text, the file written, and argument errors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ds from '../../src';
import { decodeImage } from '../../src/io/image';

const { io, explain } = ds;

function grid(n: number, f: (x: number, y: number) => number): ds.io.GridSurface {
  const x = Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
  const z: number[] = [];
  for (const yy of x) for (const xx of x) z.push(f(xx, yy));
  return { x, y: x, z };
}

describe('heat maps', () => {
  test('PNG: the paraboloid is dark at its minimum and bright at the corners (viridis, no contours)', () => {
    const img = io.renderHeatmap(grid(21, (x, y) => x * x + y * y), { contours: 0, width: 300, height: 240 });
    expect([img.width, img.height, img.channels]).toEqual([300, 240, 3]);
    // Find the plot area: the first and last columns of the middle row whose colour is not white/grey.
    const row = 120;
    const px = (x: number, y: number) => Array.from(img.data.subarray(3 * (y * 300 + x), 3 * (y * 300 + x) + 3));
    const coloured = Array.from({ length: 300 }, (_, x) => x).filter((x) => {
      const [r, g, b] = px(x, row);
      return !(r === g && g === b);
    });
    const left = coloured[0];
    const right = coloured.filter((x) => x < 240).pop()!; // the colour bar sits to the right
    const centre = px(Math.round((left + right) / 2), row);
    const low = explain.colormap('viridis')(0);
    const high = explain.colormap('viridis')(1);
    // Bilinear interpolation near the minimum: within a few levels of the map's start.
    centre.forEach((c, k) => expect(Math.abs(c - low[k])).toBeLessThan(12));
    // x = ±1 on the middle row has z = 1, half of the maximum 2: the colour of 0.5.
    const half = explain.colormap('viridis')(0.5);
    px(left + 1, row).forEach((c, k) => expect(Math.abs(c - half[k])).toBeLessThan(16));
    expect(high).not.toEqual(low);
  });

  test('SVG: contours of the plane z = x are vertical lines at the levels; CSV lists every point', () => {
    const s = grid(5, (x) => x);
    const svg = io.heatmapSvg(s, { contours: 3, width: 400, height: 300, title: 'a <plane>' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('a &lt;plane&gt;');
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]);
    expect(paths).toHaveLength(3); // levels −0.5, 0, 0.5
    const xs = paths.map((d) => {
      const nums = [...d.matchAll(/[ML]([-\d.]+) ([-\d.]+)/g)].map((m) => Number(m[1]));
      expect(Math.max(...nums) - Math.min(...nums)).toBeLessThan(0.02); // a vertical line
      return nums[0];
    });
    // Levels at ¼, ½ and ¾ of the range: equally spaced across the plot.
    expect(Math.abs(xs[1] - xs[0] - (xs[2] - xs[1]))).toBeLessThan(0.05);
    const csv = io.surfaceCsv(s, 'loss').trim().split('\n');
    expect(csv[0]).toBe('x,y,loss');
    expect(csv).toHaveLength(26);
    expect(csv[2]).toBe('-0.5,-1,-0.5');
  });

  test('writeHeatmap writes a PNG; log colouring and a path are accepted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepscope-heatmap-'));
    try {
      const file = path.join(dir, 'h.png');
      await io.writeHeatmap(file, grid(9, (x, y) => 0.01 + x * x + 3 * y * y), { log: true, path: [[0.5, 0.5], [0, 0]], title: 'loss', xLabel: 'a', yLabel: 'b', zLabel: 'z' });
      const img = decodeImage(fs.readFileSync(file));
      expect([img.width, img.height]).toEqual([560, 480]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('errors name the function and the problem', () => {
    expect(() => io.renderHeatmap({ x: [0, 1], y: [0, 1], z: [1, 2, 3] })).toThrow(/renderHeatmap: z has 3 values for a 2×2 grid/);
    expect(() => io.renderHeatmap({ x: [0], y: [0, 1], z: [1, 2] })).toThrow(/at least 2×2 points/);
    expect(() => io.renderHeatmap({ x: [1, 0], y: [0, 1], z: [1, 2, 3, 4] })).toThrow(/x must be finite and increasing/);
    expect(() => io.heatmapSvg(grid(3, (x) => x), { colormap: 'rainbow' as 'jet' })).toThrow(/heatmapSvg: unknown colormap "rainbow"/);
    expect(() => io.renderHeatmap(grid(3, (x) => x), { width: 50 })).toThrow(/width and height must be integers/);
    expect(() => io.renderHeatmap(grid(3, (x) => x), { contours: -1 })).toThrow(/contours must be an integer from 0 to 200/);
  });
});

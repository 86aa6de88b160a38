/**
 * Heat maps with contour lines of a function sampled on a grid (loss surfaces): a PNG drawn with the
 * line charts' canvas, font and ticks (`io/plot`) and the colour maps of `explain.colormap`, an SVG of
 * the same picture, and CSV text of the samples.
 *
 * Between grid points the values are interpolated bilinearly; contour lines are found by marching
 * squares on the grid (saddle cells resolved by the cell's mean) at evenly spaced levels.
 * @module
 */
import * as fs from 'fs';
import { GLYPH, textWidth } from '../util/font';
import { colormap, knotsOf, type ColormapName } from '../explain/colormap';
import { encodePng, type RawImage } from './image';
import { Canvas, FRAME, INK, MUTED, Mask, type RGB, formatTick, niceTicks } from './plot';

/** Values on a grid: `z[j·x.length + i]` at (x[i], y[j]); `x` and `y` increasing. */
export interface GridSurface {
  /** Coordinates of the columns. */
  x: readonly number[];
  /** Coordinates of the rows. */
  y: readonly number[];
  /** Values, row-major (one row per y). */
  z: ArrayLike<number>;
}

/** Options of {@link renderHeatmap}, {@link writeHeatmap} and {@link heatmapSvg}. */
export interface HeatmapOptions {
  /** Title above the plot. */
  title?: string;
  /** Label under the x axis. */
  xLabel?: string;
  /** Label left of the y axis. */
  yLabel?: string;
  /** Colour map. Default `'viridis'`. */
  colormap?: ColormapName;
  /** Number of contour levels, evenly spaced over the colour range (0: none). Default 15. */
  contours?: number;
  /** Colour by log10 of the values (loss surfaces span decades). Default false. */
  log?: boolean;
  /** Values mapped to the ends of the colour map (clipped beyond); default the data's range. */
  zRange?: readonly [number, number];
  /** Label of the colour bar. */
  zLabel?: string;
  /** A path to draw over the map, in data coordinates (a training trajectory), with a dot at each point. */
  path?: readonly (readonly [number, number])[];
  /** Image width in pixels. Default 560. */
  width?: number;
  /** Image height in pixels. Default 480. */
  height?: number;
}

interface Prepared {
  nx: number;
  ny: number;
  x: readonly number[];
  y: readonly number[];
  v: Float64Array; // values as coloured (log10 when asked)
  lo: number;
  hi: number;
  levels: number[];
}

function prepare(op: string, s: GridSurface, o: HeatmapOptions): Prepared {
  if (typeof s !== 'object' || s === null || !Array.isArray(s.x) || !Array.isArray(s.y) || s.z === undefined) {
    throw new TypeError(`${op}: the surface must be { x, y, z } with arrays x and y`);
  }
  const nx = s.x.length;
  const ny = s.y.length;
  if (nx < 2 || ny < 2) throw new RangeError(`${op}: the grid needs at least 2×2 points, got ${nx}×${ny}`);
  if (s.z.length !== nx * ny) throw new RangeError(`${op}: z has ${s.z.length} values for a ${nx}×${ny} grid`);
  for (const [name, a] of [['x', s.x], ['y', s.y]] as const) {
    for (let i = 1; i < a.length; i++) if (!(a[i] > a[i - 1])) throw new RangeError(`${op}: ${name} must be finite and increasing`);
  }
  const v = Float64Array.from({ length: nx * ny }, (_, k) => {
    const z = Number(s.z[k]);
    return o.log ? (z > 0 ? Math.log10(z) : NaN) : z;
  });
  let lo = Infinity;
  let hi = -Infinity;
  for (const z of v) if (Number.isFinite(z)) [lo, hi] = [Math.min(lo, z), Math.max(hi, z)];
  if (o.zRange) {
    const [a, b] = o.zRange;
    if (!Number.isFinite(a) || !Number.isFinite(b) || !(b > a) || (o.log && a <= 0)) throw new RangeError(`${op}: zRange must be [min, max] with min < max${o.log ? ', min > 0 with log' : ''}`);
    [lo, hi] = o.log ? [Math.log10(a), Math.log10(b)] : [a, b];
  }
  if (!(lo <= hi)) [lo, hi] = [0, 1];
  if (hi === lo) hi = lo + 1;
  const n = o.contours ?? 15;
  if (!Number.isInteger(n) || n < 0 || n > 200) throw new RangeError(`${op}: contours must be an integer from 0 to 200, got ${n}`);
  const levels = Array.from({ length: n }, (_, k) => lo + ((hi - lo) * (k + 1)) / (n + 1));
  return { nx, ny, x: s.x, y: s.y, v, lo, hi, levels };
}

/** Contour segments at `level` in grid-index coordinates (i along x, j along y), by marching squares. */
function contourSegments(p: Prepared, level: number): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  const at = (i: number, j: number) => p.v[j * p.nx + i];
  for (let j = 0; j < p.ny - 1; j++) {
    for (let i = 0; i < p.nx - 1; i++) {
      const c = [at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)];
      if (!c.every(Number.isFinite)) continue;
      const corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]];
      const pts: [number, number][] = [];
      for (let e = 0; e < 4; e++) {
        const a = c[e];
        const b = c[(e + 1) % 4];
        if ((a < level) === (b < level)) continue;
        const t = (level - a) / (b - a);
        const [ax, ay] = corners[e];
        const [bx, by] = corners[(e + 1) % 4];
        pts.push([ax + t * (bx - ax), ay + t * (by - ay)]);
      }
      if (pts.length === 2) out.push([pts[0][0], pts[0][1], pts[1][0], pts[1][1]]);
      else if (pts.length === 4) {
        // A saddle: join the crossings around the corners on the same side as the cell's mean.
        const centreBelow = (c[0] + c[1] + c[2] + c[3]) / 4 < level;
        const pair = centreBelow === (c[0] < level) ? [[0, 1], [2, 3]] : [[0, 3], [1, 2]];
        for (const [a, b] of pair) out.push([pts[a][0], pts[a][1], pts[b][0], pts[b][1]]);
      }
    }
  }
  return out;
}

/** Fractional grid index of a data coordinate along an increasing axis. */
function indexOf(a: readonly number[], t: number): number {
  if (t <= a[0]) return (t - a[0]) / (a[1] - a[0]);
  for (let k = 1; k < a.length; k++) if (t <= a[k]) return k - 1 + (t - a[k - 1]) / (a[k] - a[k - 1]);
  const n = a.length - 1;
  return n + (t - a[n]) / (a[n] - a[n - 1]);
}

/** Data coordinate of a fractional grid index. */
function coordOf(a: readonly number[], f: number): number {
  const k = Math.max(0, Math.min(a.length - 2, Math.floor(f)));
  return a[k] + (f - k) * (a[k + 1] - a[k]);
}

function bilinear(p: Prepared, fi: number, fj: number): number {
  const i = Math.max(0, Math.min(p.nx - 2, Math.floor(fi)));
  const j = Math.max(0, Math.min(p.ny - 2, Math.floor(fj)));
  const u = Math.max(0, Math.min(1, fi - i));
  const w = Math.max(0, Math.min(1, fj - j));
  const z00 = p.v[j * p.nx + i];
  const z10 = p.v[j * p.nx + i + 1];
  const z01 = p.v[(j + 1) * p.nx + i];
  const z11 = p.v[(j + 1) * p.nx + i + 1];
  return (1 - w) * ((1 - u) * z00 + u * z10) + w * ((1 - u) * z01 + u * z11);
}

interface Layout {
  px0: number;
  py0: number;
  px1: number;
  py1: number;
  bar: number; // left edge of the colour bar
  xt: ReturnType<typeof niceTicks>;
  yt: ReturnType<typeof niceTicks>;
  zt: ReturnType<typeof niceTicks>;
}

function layout(op: string, p: Prepared, o: HeatmapOptions, width: number, height: number): Layout {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 200 || height < 160 || width > 8192 || height > 8192) {
    throw new RangeError(`${op}: width and height must be integers from 200×160 to 8192×8192, got ${width}×${height}`);
  }
  const xt = niceTicks(p.x[0], p.x[p.nx - 1], Math.max(2, Math.round(width / 100)));
  const yt = niceTicks(p.y[0], p.y[p.ny - 1], Math.max(2, Math.round(height / 80)));
  const zt = niceTicks(p.lo, p.hi, Math.max(2, Math.round(height / 60)));
  const yLabels = yt.ticks.map((t) => formatTick(t, yt.step));
  const zLabels = zt.ticks.map((t) => formatTick(t, zt.step));
  const top = 12 + (o.title ? GLYPH.height * 2 + 10 : 0);
  const left = 10 + (o.yLabel ? GLYPH.height + 8 : 0) + Math.max(0, ...yLabels.map((l) => textWidth(l))) + 8;
  const bottom = 8 + GLYPH.height + 6 + (o.xLabel ? GLYPH.height + 8 : 0) + 4;
  const barSpace = 14 + 16 + 6 + Math.max(0, ...zLabels.map((l) => textWidth(l))) + (o.zLabel ? GLYPH.height + 10 : 0) + 8;
  const px1 = width - barSpace;
  const py1 = height - bottom;
  if (px1 - left < 60 || py1 - top < 60) throw new RangeError(`${op}: ${width}×${height} leaves no room for the plot`);
  return { px0: left, py0: top, px1, py1, bar: px1 + 14, xt, yt, zt };
}

/** What both renderers need: the checked surface, its layout, the colour map and the colour-bar labels. */
function setup(op: string, surface: GridSurface, options: HeatmapOptions) {
  const { width = 560, height = 480 } = options;
  knotsOf(op, options.colormap ?? 'viridis');
  const cmap = colormap(options.colormap ?? 'viridis');
  const p = prepare(op, surface, options);
  const L = layout(op, p, options, width, height);
  // With log colouring the bar's ticks are at log10 values; label them with the values themselves.
  const zTick = (t: number) => (options.log ? formatTick(10 ** t, 10 ** t / 10) : formatTick(t, L.zt.step));
  return { width, height, cmap, p, L, zTick };
}

/**
 * Draws a heat map of `surface` with contour lines, axes, ticks, a colour bar and an optional path
 * into 8-bit RGB pixels (what {@link writeHeatmap} writes).
 */
export function renderHeatmap(surface: GridSurface, options: HeatmapOptions = {}): RawImage {
  const { width, height, cmap, p, L, zTick } = setup('renderHeatmap', surface, options);
  const canvas = new Canvas(width, height);
  const { px0, py0, px1, py1 } = L;
  const [x0, x1, y0, y1] = [p.x[0], p.x[p.nx - 1], p.y[0], p.y[p.ny - 1]];
  const sx = (x: number) => px0 + ((x - x0) / (x1 - x0)) * (px1 - px0);
  const sy = (y: number) => py1 - ((y - y0) / (y1 - y0)) * (py1 - py0);
  const norm = (z: number) => (z - p.lo) / (p.hi - p.lo);

  for (let py = py0; py <= py1; py++) {
    const fj = indexOf(p.y, y0 + ((py1 - py) / (py1 - py0)) * (y1 - y0));
    for (let px = px0; px <= px1; px++) {
      const z = bilinear(p, indexOf(p.x, x0 + ((px - px0) / (px1 - px0)) * (x1 - x0)), fj);
      canvas.blend(px, py, Number.isFinite(z) ? cmap(norm(z)) : [255, 255, 255], 1);
    }
  }
  const clip = { x0: px0, y0: py0, x1: px1, y1: py1 };
  const lines = new Mask(width, height, clip);
  for (const level of p.levels) {
    for (const [ai, aj, bi, bj] of contourSegments(p, level)) {
      lines.segment(sx(coordOf(p.x, ai)), sy(coordOf(p.y, aj)), sx(coordOf(p.x, bi)), sy(coordOf(p.y, bj)), 1);
    }
  }
  lines.paint(canvas, [255, 255, 255]);
  if (options.path && options.path.length > 0) {
    const trail = new Mask(width, height, clip);
    options.path.forEach(([x, y], k) => {
      if (k > 0) trail.segment(sx(options.path![k - 1][0]), sy(options.path![k - 1][1]), sx(x), sy(y), 2);
      trail.disc(sx(x), sy(y), 2.5);
    });
    trail.paint(canvas, [220, 30, 30]);
  }

  canvas.strokeRect(px0 - 1, py0 - 1, px1 - px0 + 3, py1 - py0 + 3, FRAME);
  for (const t of L.xt.ticks.filter((t) => t >= x0 - 1e-9 && t <= x1 + 1e-9)) {
    const x = Math.round(sx(t));
    const label = formatTick(t, L.xt.step);
    canvas.fillRect(x, py1 + 2, 1, 4, FRAME);
    canvas.text(x - Math.floor(textWidth(label) / 2), py1 + 8, label, MUTED);
  }
  for (const t of L.yt.ticks.filter((t) => t >= y0 - 1e-9 && t <= y1 + 1e-9)) {
    const y = Math.round(sy(t));
    const label = formatTick(t, L.yt.step);
    canvas.fillRect(px0 - 5, y, 4, 1, FRAME);
    canvas.text(px0 - 8 - textWidth(label), y - 3, label, MUTED);
  }
  // The colour bar, with the contour levels marked.
  const bx = L.bar;
  const bw = 16;
  const bz = (z: number) => py1 - ((z - p.lo) / (p.hi - p.lo)) * (py1 - py0);
  for (let y = py0; y <= py1; y++) canvas.fillRect(bx, y, bw, 1, cmap((py1 - y) / (py1 - py0)));
  for (const level of p.levels) canvas.fillRect(bx, Math.round(bz(level)), bw, 1, [255, 255, 255]);
  canvas.strokeRect(bx - 1, py0 - 1, bw + 2, py1 - py0 + 3, FRAME);
  for (const t of L.zt.ticks.filter((t) => t >= p.lo - 1e-9 && t <= p.hi + 1e-9)) {
    const y = Math.round(bz(t));
    const label = zTick(t);
    canvas.fillRect(bx + bw + 1, y, 4, 1, FRAME);
    canvas.text(bx + bw + 7, y - 3, label, MUTED);
  }
  if (options.zLabel) canvas.text(width - 10 - GLYPH.height, Math.round((py0 + py1 + textWidth(options.zLabel)) / 2), options.zLabel, INK, 1, true);
  if (options.title) canvas.text(Math.round((px0 + px1 - textWidth(options.title, 2)) / 2), 12, options.title, INK, 2);
  if (options.xLabel) canvas.text(Math.round((px0 + px1 - textWidth(options.xLabel)) / 2), py1 + 8 + GLYPH.height + 8, options.xLabel, INK);
  if (options.yLabel) canvas.text(10, Math.round((py0 + py1 + textWidth(options.yLabel)) / 2), options.yLabel, INK, 1, true);
  return { width, height, channels: 3, data: canvas.data };
}

/**
 * Writes a PNG heat map of a surface with contour lines (see {@link renderHeatmap} and the module
 * description).
 * @example
 * const s = await analysis.landscape(model, ds.crossEntropy, [x, y], { steps: 21 });
 * await io.writeHeatmap('surface.png', { x: s.x, y: s.y!, z: s.loss }, { title: 'ResNet-20', log: true });
 */
export async function writeHeatmap(path: string, surface: GridSurface, options: HeatmapOptions = {}): Promise<void> {
  await fs.promises.writeFile(path, encodePng(renderHeatmap(surface, options)));
}

function hex([r, g, b]: RGB): string {
  return `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * The same picture as {@link renderHeatmap} as SVG text: one rectangle per grid cell (coloured by the
 * cell's mean), the contour lines as paths, axes with ticks, the colour bar and the path. Vector
 * contours stay sharp at any size; text uses the viewer's sans-serif font.
 * @example await fs.promises.writeFile('surface.svg', io.heatmapSvg({ x: s.x, y: s.y!, z: s.loss }));
 */
export function heatmapSvg(surface: GridSurface, options: HeatmapOptions = {}): string {
  const { width, height, cmap, p, L, zTick } = setup('heatmapSvg', surface, options);
  const { px0, py0, px1, py1 } = L;
  const gx = (fi: number) => px0 + (fi / (p.nx - 1)) * (px1 - px0);
  const gy = (fj: number) => py1 - (fj / (p.ny - 1)) * (py1 - py0);
  const norm = (z: number) => (z - p.lo) / (p.hi - p.lo);
  const f = (v: number) => Number(v.toFixed(2));
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`];
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  for (let j = 0; j < p.ny - 1; j++) {
    for (let i = 0; i < p.nx - 1; i++) {
      const z = (p.v[j * p.nx + i] + p.v[j * p.nx + i + 1] + p.v[(j + 1) * p.nx + i] + p.v[(j + 1) * p.nx + i + 1]) / 4;
      const colour = Number.isFinite(z) ? hex(cmap(norm(z))) : '#ffffff';
      parts.push(`<rect x="${f(gx(i))}" y="${f(gy(j + 1))}" width="${f(gx(i + 1) - gx(i) + 0.5)}" height="${f(gy(j) - gy(j + 1) + 0.5)}" fill="${colour}"/>`);
    }
  }
  for (const level of p.levels) {
    const d = contourSegments(p, level).map(([ai, aj, bi, bj]) => `M${f(gx(ai))} ${f(gy(aj))}L${f(gx(bi))} ${f(gy(bj))}`).join('');
    if (d) parts.push(`<path d="${d}" stroke="#ffffff" stroke-width="1" fill="none"/>`);
  }
  if (options.path && options.path.length > 0) {
    const pts = options.path.map(([x, y]) => [gx(indexOf(p.x, x)), gy(indexOf(p.y, y))]);
    parts.push(`<polyline points="${pts.map(([x, y]) => `${f(x)},${f(y)}`).join(' ')}" stroke="#dc1e1e" stroke-width="2" fill="none"/>`);
    for (const [x, y] of pts) parts.push(`<circle cx="${f(x)}" cy="${f(y)}" r="2.5" fill="#dc1e1e"/>`);
  }
  parts.push(`<rect x="${px0}" y="${py0}" width="${px1 - px0}" height="${py1 - py0}" fill="none" stroke="${hex(FRAME)}"/>`);
  const sx = (x: number) => px0 + ((x - p.x[0]) / (p.x[p.nx - 1] - p.x[0])) * (px1 - px0);
  const sy = (y: number) => py1 - ((y - p.y[0]) / (p.y[p.ny - 1] - p.y[0])) * (py1 - py0);
  for (const t of L.xt.ticks.filter((t) => t >= p.x[0] - 1e-9 && t <= p.x[p.nx - 1] + 1e-9)) {
    parts.push(`<text x="${f(sx(t))}" y="${py1 + 16}" text-anchor="middle" fill="${hex(MUTED)}">${formatTick(t, L.xt.step)}</text>`);
  }
  for (const t of L.yt.ticks.filter((t) => t >= p.y[0] - 1e-9 && t <= p.y[p.ny - 1] + 1e-9)) {
    parts.push(`<text x="${px0 - 6}" y="${f(sy(t) + 4)}" text-anchor="end" fill="${hex(MUTED)}">${formatTick(t, L.yt.step)}</text>`);
  }
  const stops = Array.from({ length: 11 }, (_, k) => `<stop offset="${k / 10}" stop-color="${hex(cmap(1 - k / 10))}"/>`).join('');
  parts.push(`<defs><linearGradient id="bar" x1="0" y1="0" x2="0" y2="1">${stops}</linearGradient></defs>`);
  parts.push(`<rect x="${L.bar}" y="${py0}" width="16" height="${py1 - py0}" fill="url(#bar)" stroke="${hex(FRAME)}"/>`);
  for (const t of L.zt.ticks.filter((t) => t >= p.lo - 1e-9 && t <= p.hi + 1e-9)) {
    const label = zTick(t);
    parts.push(`<text x="${L.bar + 22}" y="${f(py1 - norm(t) * (py1 - py0) + 4)}" fill="${hex(MUTED)}">${label}</text>`);
  }
  if (options.title) parts.push(`<text x="${f((px0 + px1) / 2)}" y="24" text-anchor="middle" font-size="15" fill="${hex(INK)}">${escapeXml(options.title)}</text>`);
  if (options.xLabel) parts.push(`<text x="${f((px0 + px1) / 2)}" y="${height - 6}" text-anchor="middle" fill="${hex(INK)}">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel) parts.push(`<text transform="translate(14 ${f((py0 + py1) / 2)}) rotate(-90)" text-anchor="middle" fill="${hex(INK)}">${escapeXml(options.yLabel)}</text>`);
  if (options.zLabel) parts.push(`<text transform="translate(${width - 8} ${f((py0 + py1) / 2)}) rotate(-90)" text-anchor="middle" fill="${hex(INK)}">${escapeXml(options.zLabel)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * The samples as CSV text: a header `x,y,<name>` and one line per grid point (x varying fastest).
 * @example fs.writeFileSync('surface.csv', io.surfaceCsv({ x: s.x, y: s.y!, z: s.loss }, 'loss'));
 */
export function surfaceCsv(surface: GridSurface, name = 'z'): string {
  const p = prepare('surfaceCsv', surface, { contours: 0 });
  const lines = [`x,y,${name}`];
  for (let j = 0; j < p.ny; j++) for (let i = 0; i < p.nx; i++) lines.push(`${surface.x[i]},${surface.y[j]},${surface.z[j * p.nx + i]}`);
  return `${lines.join('\n')}\n`;
}

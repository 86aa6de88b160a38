/**
 * PNG line charts (training curves) drawn in JavaScript: axes, ticks and tick labels, a grid, a legend
 * and text in a built-in bitmap font. No canvas library, no system fonts.
 * @module
 */
import * as fs from 'fs';
import { GLYPH, forEachInkedPixel, textWidth } from '../util/font';
import { RawImage, encodePng } from './image';

/** A colour: `'#rrggbb'`, `'#rgb'` or `[r, g, b]` with 0–255 components. */
export type Color = string | readonly [number, number, number];

/** One line of a chart. */
export interface PlotSeries {
  /** Legend entry. */
  name: string;
  /** The y values; NaN and infinite values leave a gap. */
  values: readonly number[];
  /** The x values, one per y value. Default 1, 2, 3, … (epochs). */
  x?: readonly number[];
  /** Line colour; by default the next of the ten matplotlib ("tab10") colours. */
  color?: Color;
}

/** Options of {@link plotLines}. */
export interface PlotOptions {
  /** Title above the chart. */
  title?: string;
  /** Label under the x axis. */
  xLabel?: string;
  /** Label left of the y axis (written upwards). */
  yLabel?: string;
  /** Image width in pixels. Default 640. */
  width?: number;
  /** Image height in pixels. Default 400. */
  height?: number;
  /** Fixed y range, e.g. [0, 1] for accuracy; by default the data's range rounded out to ticks. */
  yRange?: readonly [number, number];
  /** Fixed x range; by default the data's range. */
  xRange?: readonly [number, number];
  /**
   * Dots at the data points: `'auto'` (default) draws them when no series has more than 40 points.
   */
  markers?: boolean | 'auto';
  /** Legend corner, or `'auto'` (default): the corner that covers the fewest data points. `'none'` hides it. */
  legend?: 'auto' | 'none' | 'top-right' | 'top-left' | 'bottom-right' | 'bottom-left';
}

/** The ten matplotlib "tab10" colours, used in order for series without a colour. */
export const PALETTE: readonly string[] = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
];

/** @internal An [r, g, b] colour with 0–255 components. */
export type RGB = [number, number, number];

/** @internal A colour as [r, g, b]; TypeError for anything else. */
export function parseColor(c: Color): RGB {
  if (Array.isArray(c) && c.length === 3 && c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) return [c[0], c[1], c[2]];
  if (typeof c === 'string') {
    const m6 = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
    if (m6) return [parseInt(m6[1], 16), parseInt(m6[2], 16), parseInt(m6[3], 16)];
    const m3 = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(c);
    if (m3) return [parseInt(m3[1] + m3[1], 16), parseInt(m3[2] + m3[2], 16), parseInt(m3[3] + m3[3], 16)];
  }
  throw new TypeError(`plotLines: colour ${JSON.stringify(c)} is not '#rrggbb', '#rgb' or [r, g, b] with 0-255 components`);
}

/** @internal An RGB drawing surface with alpha blending (shared with the heat maps of `io/heatmap`). */
export class Canvas {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 3).fill(255);
  }

  blend(x: number, y: number, [r, g, b]: RGB, a: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || a <= 0) return;
    const o = 3 * (y * this.width + x);
    if (a >= 1) {
      this.data[o] = r;
      this.data[o + 1] = g;
      this.data[o + 2] = b;
      return;
    }
    this.data[o] = Math.round(this.data[o] + (r - this.data[o]) * a);
    this.data[o + 1] = Math.round(this.data[o + 1] + (g - this.data[o + 1]) * a);
    this.data[o + 2] = Math.round(this.data[o + 2] + (b - this.data[o + 2]) * a);
  }

  fillRect(x0: number, y0: number, w: number, h: number, color: RGB, a = 1): void {
    for (let y = Math.max(0, y0); y < Math.min(this.height, y0 + h); y++) {
      for (let x = Math.max(0, x0); x < Math.min(this.width, x0 + w); x++) this.blend(x, y, color, a);
    }
  }

  strokeRect(x0: number, y0: number, w: number, h: number, color: RGB): void {
    this.fillRect(x0, y0, w, 1, color);
    this.fillRect(x0, y0 + h - 1, w, 1, color);
    this.fillRect(x0, y0, 1, h, color);
    this.fillRect(x0 + w - 1, y0, 1, h, color);
  }

  /** Text with its top-left corner at (x, y); `up` writes it rotated a quarter turn counter-clockwise from (x, y) at the bottom-left. */
  text(x: number, y: number, s: string, color: RGB, scale = 1, up = false): void {
    forEachInkedPixel(s, (px, py) => {
      const gx = px * scale;
      const gy = py * scale;
      if (up) this.fillRect(x + gy, y - gx - scale + 1, scale, scale, color);
      else this.fillRect(x + gx, y + gy, scale, scale, color);
    });
  }
}

/** @internal Coverage of one series' strokes (max over segments, so joints are not drawn twice). */
export class Mask {
  readonly cover: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
    readonly clip: { x0: number; y0: number; x1: number; y1: number },
  ) {
    this.cover = new Float32Array(width * height);
  }

  private put(x: number, y: number, a: number): void {
    if (x < this.clip.x0 || y < this.clip.y0 || x > this.clip.x1 || y > this.clip.y1 || a <= 0) return;
    const i = y * this.width + x;
    if (a > this.cover[i]) this.cover[i] = Math.min(1, a);
  }

  /** An anti-aliased segment of the given width (pixel centres at integer + 0.5). */
  segment(ax: number, ay: number, bx: number, by: number, w: number): void {
    const h = w / 2;
    const x0 = Math.floor(Math.min(ax, bx) - h - 1);
    const x1 = Math.ceil(Math.max(ax, bx) + h + 1);
    const y0 = Math.floor(Math.min(ay, by) - h - 1);
    const y1 = Math.ceil(Math.max(ay, by) + h + 1);
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5 - ax;
        const py = y + 0.5 - ay;
        const t = len2 > 0 ? Math.max(0, Math.min(1, (px * dx + py * dy) / len2)) : 0;
        const d = Math.hypot(px - t * dx, py - t * dy);
        this.put(x, y, h + 0.5 - d);
      }
    }
  }

  /** A filled anti-aliased disc. */
  disc(cx: number, cy: number, r: number): void {
    for (let y = Math.floor(cy - r - 1); y <= Math.ceil(cy + r + 1); y++) {
      for (let x = Math.floor(cx - r - 1); x <= Math.ceil(cx + r + 1); x++) {
        this.put(x, y, r + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy));
      }
    }
  }

  paint(canvas: Canvas, color: RGB): void {
    for (let y = this.clip.y0; y <= this.clip.y1; y++) {
      for (let x = this.clip.x0; x <= this.clip.x1; x++) canvas.blend(x, y, color, this.cover[y * this.width + x]);
    }
  }
}

/** @internal Tick positions covering [lo, hi] with about `count` steps of 1, 2, 2.5 or 5 × 10^k. */
export function niceTicks(lo: number, hi: number, count: number, integer = false): { lo: number; hi: number; step: number; ticks: number[] } {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return { lo: first * step, hi: last * step, step, ticks };
}

/** @internal A tick label with as many decimals as the step needs. */
export function formatTick(v: number, step: number): string {
  const a = Math.abs(v);
  if (v !== 0 && (a >= 1e6 || step < 1e-4)) {
    const s = v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
    return s;
  }
  let decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  if (Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-6) decimals++; // 2.5, 0.25
  return v.toFixed(decimals);
}

interface Prepared {
  name: string;
  color: RGB;
  xs: number[];
  ys: number[];
}

function prepare(series: readonly PlotSeries[]): Prepared[] {
  if (!Array.isArray(series)) throw new TypeError('plotLines: series must be an array of { name, values }');
  return series.map((s, i) => {
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string') throw new TypeError(`plotLines: series[${i}] needs a string 'name'`);
    if (!Array.isArray(s.values) && !ArrayBuffer.isView(s.values)) throw new TypeError(`plotLines: series[${i}].values must be an array of numbers`);
    const ys = Array.from(s.values, Number);
    let xs: number[];
    if (s.x !== undefined) {
      xs = Array.from(s.x, Number);
      if (xs.length !== ys.length) throw new RangeError(`plotLines: series[${i}] has ${xs.length} x values for ${ys.length} values`);
    } else {
      xs = ys.map((_, k) => k + 1);
    }
    return { name: s.name, color: parseColor(s.color ?? PALETTE[i % PALETTE.length]), xs, ys };
  });
}

function extent(values: number[][]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const vs of values) {
    for (const v of vs) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** @internal Text colour of the charts. */
export const INK: RGB = [34, 34, 34];
/** @internal Tick-label colour of the charts. */
export const MUTED: RGB = [90, 90, 90];
const GRID: RGB = [232, 232, 232];
/** @internal Frame and tick colour of the charts. */
export const FRAME: RGB = [170, 170, 170];

/**
 * Draws a line chart into 8-bit RGB pixels (what {@link plotLines} writes), for callers that want the
 * image in memory.
 */
export function renderLines(series: readonly PlotSeries[], options: PlotOptions = {}): RawImage {
  const { title, xLabel, yLabel, width = 640, height = 400, markers = 'auto', legend = 'auto' } = options;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 160 || height < 120 || width > 8192 || height > 8192) {
    throw new RangeError(`plotLines: width and height must be integers from 160×120 to 8192×8192, got ${width}×${height}`);
  }
  const lines = prepare(series);
  const canvas = new Canvas(width, height);

  // Ranges and ticks.
  const xe = options.xRange ?? extent(lines.map((l) => l.xs.filter((_, k) => Number.isFinite(l.ys[k])))) ?? [0, 1];
  const ye = options.yRange ?? extent(lines.map((l) => l.ys)) ?? [0, 1];
  for (const [name, r] of [['xRange', xe], ['yRange', ye]] as const) {
    if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite) || r[0] > r[1]) {
      throw new RangeError(`plotLines: ${name} must be [min, max] with finite min ≤ max, got ${JSON.stringify(r)}`);
    }
  }
  const integerX = lines.every((l) => l.xs.every(Number.isInteger));
  const yTicks = niceTicks(ye[0], ye[1], Math.max(2, Math.round(height / 70)));
  const xTicksAll = niceTicks(xe[0], xe[1], Math.max(2, Math.round(width / 90)), integerX);
  // The x axis spans the data (or xRange) exactly; y is rounded out to ticks unless fixed.
  const [x0v, x1v] = xe[1] > xe[0] ? xe : [xTicksAll.lo, xTicksAll.hi];
  const [y0v, y1v] = options.yRange && ye[1] > ye[0] ? ye : [yTicks.lo, yTicks.hi];
  const xTicks = xTicksAll.ticks.filter((t) => t >= x0v - 1e-9 * Math.abs(x1v - x0v) && t <= x1v + 1e-9 * Math.abs(x1v - x0v));
  const yTickList = yTicks.ticks.filter((t) => t >= y0v - 1e-9 * Math.abs(y1v - y0v) && t <= y1v + 1e-9 * Math.abs(y1v - y0v));
  const yLabels = yTickList.map((t) => formatTick(t, yTicks.step));
  const xLabels = xTicks.map((t) => formatTick(t, xTicksAll.step));

  // Layout: the plot area leaves room for the title, tick labels and axis labels.
  const S = 1; // scale of small text
  const lineH = GLYPH.height * S;
  const titleScale = 2;
  const top = 12 + (title ? GLYPH.height * titleScale + 10 : 0);
  const left = 10 + (yLabel ? lineH + 8 : 0) + Math.max(0, ...yLabels.map((l) => textWidth(l, S))) + 8;
  const bottom = 8 + lineH + 6 + (xLabel ? lineH + 8 : 0) + 4;
  const right = 16 + Math.ceil(textWidth(xLabels[xLabels.length - 1] ?? '', S) / 2);
  const px0 = left;
  const py0 = top;
  const px1 = width - right;
  const py1 = height - bottom;
  if (px1 - px0 < 40 || py1 - py0 < 40) throw new RangeError(`plotLines: ${width}×${height} leaves no room for the plot`);
  // Data map to the plot area inset by a margin, so points on the range's ends stay inside the frame.
  const m = 6;
  const sx = (x: number) => px0 + m + ((x - x0v) / (x1v - x0v)) * (px1 - px0 - 2 * m);
  const sy = (y: number) => py1 - m - ((y - y0v) / (y1v - y0v)) * (py1 - py0 - 2 * m);

  // Grid, frame, ticks and tick labels.
  for (const t of yTickList) canvas.fillRect(px0, Math.round(sy(t)), px1 - px0 + 1, 1, GRID);
  for (const t of xTicks) canvas.fillRect(Math.round(sx(t)), py0, 1, py1 - py0 + 1, GRID);
  canvas.strokeRect(px0, py0, px1 - px0 + 1, py1 - py0 + 1, FRAME);
  yTickList.forEach((t, i) => {
    const y = Math.round(sy(t));
    canvas.fillRect(px0 - 4, y, 4, 1, FRAME);
    canvas.text(px0 - 7 - textWidth(yLabels[i], S), y - Math.floor((GLYPH.height - 1) * S / 2), yLabels[i], MUTED, S);
  });
  xTicks.forEach((t, i) => {
    const x = Math.round(sx(t));
    canvas.fillRect(x, py1 + 1, 1, 4, FRAME);
    canvas.text(x - Math.floor(textWidth(xLabels[i], S) / 2), py1 + 8, xLabels[i], MUTED, S);
  });
  if (title) canvas.text(Math.round((px0 + px1 - textWidth(title, titleScale)) / 2), 12, title, INK, titleScale);
  if (xLabel) canvas.text(Math.round((px0 + px1 - textWidth(xLabel, S)) / 2), py1 + 8 + lineH + 8, xLabel, INK, S);
  if (yLabel) canvas.text(10, Math.round((py0 + py1 + textWidth(yLabel, S)) / 2), yLabel, INK, S, true);

  // The lines, clipped to the plot area.
  const showMarkers = markers === 'auto' ? lines.every((l) => l.ys.length <= 40) : Boolean(markers);
  const clip = { x0: px0 + 1, y0: py0 + 1, x1: px1 - 1, y1: py1 - 1 };
  const points: [number, number][] = [];
  for (const l of lines) {
    const mask = new Mask(width, height, clip);
    let prev: [number, number] | null = null;
    for (let k = 0; k < l.ys.length; k++) {
      if (!Number.isFinite(l.ys[k]) || !Number.isFinite(l.xs[k])) {
        prev = null;
        continue;
      }
      const p: [number, number] = [sx(l.xs[k]), sy(l.ys[k])];
      if (prev) mask.segment(prev[0], prev[1], p[0], p[1], 2);
      else if (!showMarkers) mask.disc(p[0], p[1], 1); // an isolated point stays visible
      if (showMarkers) mask.disc(p[0], p[1], 2.6);
      points.push(p);
      prev = p;
    }
    mask.paint(canvas, l.color);
  }

  // Legend: a framed box in a corner of the plot area.
  if (legend !== 'none' && lines.length > 0) {
    const rowH = lineH + 6;
    const boxW = 8 + 22 + 6 + Math.max(...lines.map((l) => textWidth(l.name, S))) + 8;
    const boxH = 6 + rowH * lines.length;
    const corners = {
      'top-right': [px1 - 8 - boxW, py0 + 8],
      'top-left': [px0 + 8, py0 + 8],
      'bottom-right': [px1 - 8 - boxW, py1 - 8 - boxH],
      'bottom-left': [px0 + 8, py1 - 8 - boxH],
    } as const;
    let corner: keyof typeof corners = 'top-right';
    if (legend === 'auto') {
      // Densify the lines a little, then count what each corner would hide.
      const samples: [number, number][] = [];
      for (let k = 0; k < points.length; k++) samples.push(points[k]);
      for (const l of lines) {
        for (let k = 1; k < l.ys.length; k++) {
          if (![l.ys[k], l.ys[k - 1], l.xs[k], l.xs[k - 1]].every(Number.isFinite)) continue;
          for (let f = 0.1; f < 1; f += 0.1) {
            samples.push([sx(l.xs[k - 1] + f * (l.xs[k] - l.xs[k - 1])), sy(l.ys[k - 1] + f * (l.ys[k] - l.ys[k - 1]))]);
          }
        }
      }
      let best = Infinity;
      for (const name of Object.keys(corners) as (keyof typeof corners)[]) {
        const [bx, by] = corners[name];
        const hidden = samples.filter(([x, y]) => x >= bx - 4 && x <= bx + boxW + 4 && y >= by - 4 && y <= by + boxH + 4).length;
        if (hidden < best) {
          best = hidden;
          corner = name;
        }
      }
    } else if (legend in corners) {
      corner = legend as keyof typeof corners;
    } else {
      throw new TypeError(`plotLines: legend must be 'auto', 'none' or a corner, got ${JSON.stringify(legend)}`);
    }
    const [bx, by] = corners[corner];
    canvas.fillRect(bx, by, boxW, boxH, [255, 255, 255], 0.92);
    canvas.strokeRect(bx, by, boxW, boxH, [210, 210, 210]);
    lines.forEach((l, i) => {
      const cy = by + 6 + i * rowH + Math.floor(lineH / 2) - 1;
      const mask = new Mask(width, height, { x0: 0, y0: 0, x1: width - 1, y1: height - 1 });
      mask.segment(bx + 8, cy + 0.5, bx + 30, cy + 0.5, 2);
      if (showMarkers) mask.disc(bx + 19, cy + 0.5, 2.6);
      mask.paint(canvas, l.color);
      canvas.text(bx + 36, cy - Math.floor((GLYPH.height - 2) / 2), l.name, INK, S);
    });
  }
  return { width, height, channels: 3, data: canvas.data };
}

/**
 * Writes a PNG line chart: one line per series (x = 1, 2, 3, … unless given), with a title, axis labels,
 * "nice" ticks (1, 2, 2.5 or 5 × 10^k) with labels and grid lines, markers at the points of short series,
 * and a legend placed in the emptiest corner. Text uses a built-in 5×8 bitmap font (ASCII; other
 * characters draw as '?'). This is how the CLI draws its training curves.
 * @example
 * await io.plotLines('curves.png', [
 *   { name: 'train loss', values: trainLoss },
 *   { name: 'test loss', values: testLoss },
 * ], { title: 'LeNet-5 on MNIST', xLabel: 'epoch', yLabel: 'loss' });
 */
export async function plotLines(path: string, series: readonly PlotSeries[], options: PlotOptions = {}): Promise<void> {
  const png = encodePng(renderLines(series, options));
  await fs.promises.writeFile(path, png);
}

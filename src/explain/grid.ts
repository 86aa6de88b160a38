/**
 * Labelled picture grids, for putting an image next to its explanations by several methods: panels of
 * any sizes in rows, each with a caption in the built-in bitmap font. Drawn in JavaScript (the panels
 * are read once), so it needs no canvas library or system fonts.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { tensor } from '../ops/creation';
import { checkNumber } from '../ops/util';
import { writePngSync } from '../io/image';
import { parseColor, type Color } from '../io/plot';
import { GLYPH, forEachInkedPixel, textWidth } from '../util/font';

/** One panel of {@link grid}. */
export interface GridPanel {
  /** A float32 [C, H, W] image (C = 1 or 3; [H, W] reads as gray) in [0, 1]; values outside are clamped. */
  image: Tensor;
  /** Caption under the panel (ASCII; other characters draw as '?'). */
  label?: string;
}

/** Options of {@link grid}. */
export interface GridOptions {
  /** Panels per row. Default: all panels in one row, up to 8. */
  columns?: number;
  /** Pixels between the cells and around the grid. Default 4. */
  padding?: number;
  /** Integer magnification of the panels (nearest neighbour, so pixels stay sharp). Default 1. */
  scale?: number;
  /** Integer magnification of the 5×8-pixel caption font. Default 1. */
  textScale?: number;
  /** Colour behind the panels and captions. Default white; captions are dark on light colours, light on dark ones. */
  background?: Color;
  /** Also write the grid as a PNG here (synchronously). */
  path?: string;
}

interface Panel {
  c: number;
  h: number;
  w: number;
  data: Float32Array | Int32Array;
  label: string;
}

function checkPanels(op: string, panels: unknown): Panel[] {
  if (!Array.isArray(panels) || panels.length === 0) throw new TypeError(`${op}: argument 'panels' must be a non-empty array of { image, label? }`);
  return panels.map((p: unknown, i) => {
    const { image, label } = (typeof p === 'object' && p !== null ? p : {}) as Partial<GridPanel>;
    if (!(image instanceof Tensor)) throw new TypeError(`${op}: panels[${i}].image must be a Tensor`);
    const s = image.shape;
    const ok = image.dtype === 'float32' && (s.length === 2 || (s.length === 3 && (s[0] === 1 || s[0] === 3)));
    if (!ok) throw new TypeError(`${op}: panels[${i}].image must be a float32 [C, H, W] image with C = 1 or 3, or [H, W], got ${image.dtype} ${fmtShape(s)}`);
    if (label !== undefined && typeof label !== 'string') throw new TypeError(`${op}: panels[${i}].label must be a string, got ${typeof label}`);
    const [c, h, w] = s.length === 2 ? [1, s[0], s[1]] : s;
    return { c, h, w, data: image.dataSync(), label: label ?? '' };
  });
}

function checkColor(op: string, c: Color): [number, number, number] {
  try {
    return parseColor(c);
  } catch {
    throw new TypeError(`${op}: 'background' must be '#rrggbb', '#rgb' or [r, g, b] with 0-255 components, got ${JSON.stringify(c)}`);
  }
}

/** Planar RGB pixels in [0, 1], [3, height, width]. */
class Picture {
  readonly data: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
    fill: readonly number[],
  ) {
    this.data = new Float32Array(3 * width * height);
    for (let k = 0; k < 3; k++) this.data.fill(fill[k], k * width * height, (k + 1) * width * height);
  }

  set(x: number, y: number, k: number, v: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.data[(k * this.height + y) * this.width + x] = v > 0 ? (v < 1 ? v : 1) : 0; // NaN → 0
  }

  paste(p: Panel, x0: number, y0: number, scale: number): void {
    const plane = p.h * p.w;
    for (let y = 0; y < p.h * scale; y++) {
      const src = Math.floor(y / scale) * p.w;
      for (let x = 0; x < p.w * scale; x++) {
        const i = src + Math.floor(x / scale);
        for (let k = 0; k < 3; k++) this.set(x0 + x, y0 + y, k, p.data[(p.c === 1 ? 0 : k) * plane + i]);
      }
    }
  }

  text(x0: number, y0: number, s: string, rgb: readonly number[], scale: number): void {
    forEachInkedPixel(s, (gx, gy) => {
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) for (let k = 0; k < 3; k++) this.set(x0 + gx * scale + dx, y0 + gy * scale + dy, k, rgb[k]);
      }
    });
  }
}

/**
 * Lays out labelled panels in rows: every cell as large as the largest (magnified) panel or caption,
 * panels centred in their cells, captions centred under them. The result is a float32 RGB [3, H, W]
 * tensor in [0, 1] (on the first panel's device) with W = columns·cell + (columns + 1)·padding and
 * H = rows·(cell + caption) + (rows + 1)·padding, where the caption row is 8·textScale + 4 pixels when
 * any panel has a label. Blocks while it reads the panels.
 * @example
 * explain.grid([
 *   { image: img, label: 'input' },
 *   { image: explain.overlay(img, gc.maps.squeeze(0)), label: 'Grad-CAM' },
 *   { image: explain.overlay(img, sc.maps.squeeze(0)), label: 'Score-CAM' },
 * ], { scale: 2, path: 'compare.png' });
 */
export function grid(panels: readonly GridPanel[], options: GridOptions = {}): Tensor {
  const op = 'grid';
  const list = checkPanels(op, panels);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object`);
  const columns = checkNumber(op, 'columns', options.columns ?? Math.min(list.length, 8), { min: 1, integer: true });
  const padding = checkNumber(op, 'padding', options.padding ?? 4, { min: 0, integer: true });
  const scale = checkNumber(op, 'scale', options.scale ?? 1, { min: 1, integer: true });
  const textScale = checkNumber(op, 'textScale', options.textScale ?? 1, { min: 1, integer: true });
  const background = checkColor(op, options.background ?? '#ffffff');
  if (options.path !== undefined && typeof options.path !== 'string') throw new TypeError(`${op}: 'path' must be a string, got ${typeof options.path}`);

  const cellW = Math.max(...list.map((p) => Math.max(p.w * scale, textWidth(p.label, textScale))));
  const cellH = Math.max(...list.map((p) => p.h * scale));
  const captionH = list.some((p) => p.label !== '') ? GLYPH.height * textScale + 4 : 0;
  const cols = Math.min(columns, list.length);
  const rows = Math.ceil(list.length / cols);
  const width = cols * cellW + (cols + 1) * padding;
  const height = rows * (cellH + captionH) + (rows + 1) * padding;
  const light = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2] >= 128;
  const ink = (light ? [34, 34, 34] : [240, 240, 240]).map((v) => v / 255);

  const picture = new Picture(width, height, background.map((v) => v / 255));
  list.forEach((p, i) => {
    const x = padding + (i % cols) * (cellW + padding);
    const y = padding + Math.floor(i / cols) * (cellH + captionH + padding);
    picture.paste(p, x + Math.floor((cellW - p.w * scale) / 2), y + Math.floor((cellH - p.h * scale) / 2), scale);
    if (p.label) picture.text(x + Math.floor((cellW - textWidth(p.label, textScale)) / 2), y + cellH + 3, p.label, ink, textScale);
  });
  const out = tensor(picture.data, [3, height, width], { device: panels[0].image.device });
  if (options.path !== undefined) writePngSync(options.path, out);
  return out;
}

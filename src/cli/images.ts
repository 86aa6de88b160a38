/**
 * The pictures the CLI writes: `training.png` (loss and accuracy per epoch, two charts stacked) and
 * `samples.png` (test digits with the model's predictions).
 * @module
 */
import * as fs from 'fs';
import { RawImage, encodePng } from '../io/image';
import { renderLines } from '../io/plot';
import { GLYPH, glyph, textWidth } from '../util/font';
import type { EpochRecord } from '../train/loop';

/** Width of `training.png`. */
export const CHART_WIDTH = 640;
/** Height of each of the two charts of `training.png` (the image is twice as tall). */
export const CHART_HEIGHT = 360;

/** Stacks RGB images of the same width top to bottom. */
function stack(images: RawImage[]): RawImage {
  const width = images[0].width;
  const height = images.reduce((h, im) => h + im.height, 0);
  const data = new Uint8Array(width * height * 3);
  let at = 0;
  for (const im of images) {
    if (im.width !== width || im.channels !== 3) throw new Error('stack: images must be RGB and of the same width');
    data.set(im.data, at);
    at += im.data.length;
  }
  return { width, height, channels: 3, data };
}

/**
 * `training.png`: on top, the mean training loss per epoch (and the test loss); below, training and test
 * accuracy per epoch in percent. 640×720 pixels.
 */
export async function writeTrainingPlot(file: string, history: readonly EpochRecord[], title: string): Promise<void> {
  const x = history.map((r) => r.epoch);
  const xRange: [number, number] = history.length > 1 ? [1, history.length] : [0.5, 1.5];
  const loss = renderLines(
    [
      { name: 'train loss', values: history.map((r) => r.trainLoss), x },
      { name: 'test loss', values: history.map((r) => r.testLoss), x },
    ],
    { title: `${title}: loss`, xLabel: 'epoch', yLabel: 'loss', width: CHART_WIDTH, height: CHART_HEIGHT, xRange, legend: 'top-right' },
  );
  const accValues = history.flatMap((r) => [r.trainAccuracy, r.testAccuracy]).filter(Number.isFinite);
  const lowest = Math.min(...accValues.map((a) => 100 * a));
  const yLo = Number.isFinite(lowest) ? Math.max(0, Math.floor(lowest / 5) * 5) : 0;
  const acc = renderLines(
    [
      { name: 'train accuracy', values: history.map((r) => 100 * r.trainAccuracy), x },
      { name: 'test accuracy', values: history.map((r) => 100 * r.testAccuracy), x },
    ],
    { title: `${title}: accuracy`, xLabel: 'epoch', yLabel: 'accuracy (%)', width: CHART_WIDTH, height: CHART_HEIGHT, xRange, yRange: [yLo, 100], legend: 'bottom-right' },
  );
  await fs.promises.writeFile(file, encodePng(stack([loss, acc])));
}

/** Options of {@link renderSamples}. */
export interface SamplesOptions {
  /** Digits per row. Default 8. */
  columns?: number;
  /** Pixel scale of the digits. Default 2. */
  scale?: number;
}

/**
 * A grid of digits ([N, side·side] pixels in [0, 1]) with the predicted class under each, green when
 * right and red with the true class in brackets when wrong.
 */
export function renderSamples(pixels: Float32Array, side: number, predicted: ArrayLike<number>, labels: ArrayLike<number>, options: SamplesOptions = {}): RawImage {
  const { columns = 8, scale = 2 } = options;
  const n = predicted.length;
  const cols = Math.min(columns, n);
  const rows = Math.ceil(n / cols);
  const pad = 6;
  const textScale = 2;
  const labelH = GLYPH.height * textScale + 6;
  const cellW = side * scale + pad;
  const cellH = side * scale + labelH + pad;
  const width = cols * cellW + pad;
  const height = rows * cellH + pad;
  const data = new Uint8Array(width * height * 3).fill(255);
  const set = (px: number, py: number, rgb: readonly number[]) => {
    if (px < 0 || py < 0 || px >= width || py >= height) return;
    const o = (py * width + px) * 3;
    data[o] = rgb[0];
    data[o + 1] = rgb[1];
    data[o + 2] = rgb[2];
  };
  for (let i = 0; i < n; i++) {
    const x0 = pad + (i % cols) * cellW;
    const y0 = pad + Math.floor(i / cols) * cellH;
    for (let r = 0; r < side * scale; r++) {
      for (let c = 0; c < side * scale; c++) {
        const v = pixels[i * side * side + Math.floor(r / scale) * side + Math.floor(c / scale)];
        const g = 255 - Math.round(255 * Math.min(1, Math.max(0, v))); // dark ink on white
        set(x0 + c, y0 + r, [g, g, g]);
      }
    }
    const ok = predicted[i] === labels[i];
    const text = ok ? `${predicted[i]}` : `${predicted[i]} (${labels[i]})`;
    const color = ok ? [30, 140, 50] : [210, 30, 30];
    const tx = x0 + Math.floor((side * scale - textWidth(text, textScale)) / 2);
    const ty = y0 + side * scale + 4;
    let pen = 0;
    for (const ch of text) {
      const bits = glyph(ch);
      for (let r = 0; r < GLYPH.height; r++) {
        for (let c = 0; c < GLYPH.width; c++) {
          if (!(bits[r] & (1 << (GLYPH.width - 1 - c)))) continue;
          for (let dy = 0; dy < textScale; dy++) for (let dx = 0; dx < textScale; dx++) set(tx + (pen + c) * textScale + dx, ty + r * textScale + dy, color);
        }
      }
      pen += GLYPH.advance;
    }
  }
  return { width, height, channels: 3, data };
}

/** Writes {@link renderSamples} as a PNG. */
export async function writeSamples(file: string, ...args: Parameters<typeof renderSamples>): Promise<void> {
  await fs.promises.writeFile(file, encodePng(renderSamples(...args)));
}

/**
 * Colour maps for heatmaps: `jet` (the classic rainbow, for comparison with the CAM literature), the
 * perceptually uniform `viridis` and `inferno` (their lightness rises steadily, so brighter always means
 * more), and `gray`. Every map is piecewise linear through a few knots, which is exact for `jet` and
 * `gray` and a close approximation of matplotlib's 256-entry tables for `viridis` and `inferno`.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { tidy } from '../memory';
import { tensor } from '../ops/creation';
import { clamp, minimum, relu } from '../ops/elementwise';
import { matmul } from '../ops/matmul';
import { checkTensor } from '../ops/util';

/** The colour maps {@link colormap} and {@link applyColormap} know. */
export type ColormapName = 'jet' | 'viridis' | 'inferno' | 'gray';

/** A colour map as a function: a value in [0, 1] to `[r, g, b]` with 0–255 components. */
export type Colormap = (v: number) => [number, number, number];

interface Knots {
  /** Positions in [0, 1], increasing, from 0 to 1. */
  at: readonly number[];
  /** Colours at the positions, components in [0, 1]. */
  rgb: readonly (readonly [number, number, number])[];
}

function hexKnots(hexes: readonly string[]): Knots {
  return {
    at: hexes.map((_, k) => k / (hexes.length - 1)),
    rgb: hexes.map((h) => [1, 3, 5].map((o) => parseInt(h.slice(o, o + 2), 16) / 255) as [number, number, number]),
  };
}

// r = 1.5 − |4v − 3|, g = 1.5 − |4v − 2|, b = 1.5 − |4v − 1|, clamped: its breakpoints are the knots.
const JET: Knots = {
  at: [0, 1 / 8, 3 / 8, 5 / 8, 7 / 8, 1],
  rgb: [
    [0, 0, 0.5],
    [0, 0, 1],
    [0, 1, 1],
    [1, 1, 0],
    [1, 0, 0],
    [0.5, 0, 0],
  ],
};

const KNOTS: Record<ColormapName, Knots> = {
  jet: JET,
  viridis: hexKnots(['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725']),
  inferno: hexKnots(['#000004', '#1b0c41', '#4a0c6b', '#781c6d', '#a52c60', '#cf4446', '#ed6925', '#fb9b06', '#f7d13d', '#fcffa4']),
  gray: { at: [0, 1], rgb: [[0, 0, 0], [1, 1, 1]] },
};

/** The names of the colour maps, for option parsers. */
export const COLORMAP_NAMES: readonly ColormapName[] = Object.keys(KNOTS) as ColormapName[];

/** @internal The knots of a named map; TypeError naming `op` for an unknown name. */
export function knotsOf(op: string, name: unknown): Knots {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(KNOTS, name)) {
    throw new TypeError(`${op}: unknown colormap ${JSON.stringify(name)} (use ${Object.keys(KNOTS).map((k) => `'${k}'`).join(', ')})`);
  }
  return KNOTS[name as ColormapName];
}

// The unrounded colour, components in [0, 1]; a knot's own position gives exactly its colour.
function interpolate({ at, rgb }: Knots, v: number): [number, number, number] {
  const x = v > 0 ? (v < 1 ? v : 1) : 0; // NaN → 0
  let k = 0;
  while (k < at.length - 2 && x >= at[k + 1]) k++;
  const f = (x - at[k]) / (at[k + 1] - at[k]);
  const a = rgb[k];
  const b = rgb[k + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/**
 * A colour map as a function of a value in [0, 1] (clamped; NaN reads as 0) to `[r, g, b]`, components
 * rounded to integers 0–255 so that they serve as `io.plotLines` colours directly.
 *
 * - `jet`: the classic MATLAB/OpenCV rainbow in its continuous form, r = 1.5 − |4v − 3|,
 *   g = 1.5 − |4v − 2|, b = 1.5 − |4v − 1| (clamped): 0 is dark blue (0, 0, 128), 0.5 is (128, 255, 128),
 *   1 is dark red (128, 0, 0).
 * - `viridis`, `inferno`: 10-anchor piecewise-linear approximations of matplotlib's maps, through the
 *   matplotlib colours at 0, 1/9, …, 1 (e.g. viridis #440154 … #fde725, inferno #000004 … #fcffa4),
 *   exact there and within a few levels of the full tables between.
 * - `gray`: black to white.
 * @example const [r, g, b] = explain.colormap('viridis')(0.5);
 */
export function colormap(name: ColormapName): Colormap {
  const knots = knotsOf('colormap', name);
  return (v: number) => interpolate(knots, v).map((c) => Math.round(c * 255)) as [number, number, number];
}

/**
 * Colours a map [H, W] (or a batch [N, H, W]) into a float32 RGB image [3, H, W] ([N, 3, H, W]) in
 * [0, 1], with the same interpolation as {@link colormap} but unrounded. Values are clamped to [0, 1]:
 * normalise raw maps first ({@link normalizePerImage}; an {@link Explanation}'s `maps` already are).
 * Runs as tensor ops on the map's device (a weighted sum of the knot colours with "tent" weights).
 * @example await io.writePng('cam.png', explain.applyColormap(maps.narrow(0, 0, 1).squeeze(0), 'inferno'));
 */
export function applyColormap(map: Tensor, name: ColormapName = 'jet'): Tensor {
  const op = 'applyColormap';
  const m = checkTensor(op, 'map', map);
  if (m.dtype !== 'float32' || (m.ndim !== 2 && m.ndim !== 3)) {
    throw new TypeError(`${op}: argument 'map' must be a float32 [H, W] or [N, H, W] tensor, got ${m.dtype} ${fmtShape(m.shape)}`);
  }
  const { at, rgb } = knotsOf(op, name);
  return tidy(() => {
    const k = at.length;
    // Tent k rises from knot k−1 to k and falls to k+1; the outer knots' missing sides are flat at ≥ 1.
    const lo = Float32Array.from(at, (a, i) => (i === 0 ? a - 1 : at[i - 1]));
    const loScale = Float32Array.from(at, (a, i) => (i === 0 ? 1 : 1 / (a - at[i - 1])));
    const hi = Float32Array.from(at, (a, i) => (i === k - 1 ? a + 1 : at[i + 1]));
    const hiScale = Float32Array.from(at, (a, i) => (i === k - 1 ? 1 : 1 / (at[i + 1] - a)));
    const row = (d: Float32Array) => tensor(d, [1, k], { device: m.device });
    const v = clamp(m, 0, 1).reshape([-1, 1]);
    const rising = v.sub(row(lo)).mul(row(loScale));
    const falling = row(hi).sub(v).mul(row(hiScale));
    const weights = relu(minimum(minimum(rising, falling), 1));
    const colours = tensor(Float32Array.from(rgb.flat()), [k, 3], { device: m.device });
    const pixels = matmul(weights, colours); // [N·H·W, 3]
    const [h, w] = m.shape.slice(-2);
    const batch = m.ndim === 3 ? m.shape[0] : 1;
    const out = pixels.reshape([batch, h * w, 3]).permute([0, 2, 1]).reshape([batch, 3, h, w]);
    return m.ndim === 3 ? out : out.reshape([3, h, w]);
  });
}

/**
 * Resampling of NCHW images: `interpolate` (alias `upsample`) with nearest and bilinear modes, PyTorch's
 * coordinate rules. Forward and backward run native kernels.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { record } from '../autograd';
import { checkDtype, checkRank, checkTensor, empty, run } from './util';

/** Interpolation modes of {@link interpolate}. */
export type InterpolateMode = 'nearest' | 'bilinear';

/** Options of {@link interpolate}: exactly one of `size` and `scaleFactor`. */
export interface InterpolateOptions {
  /** Output size: one number for both axes, or `[h, w]`. */
  size?: number | readonly [number, number];
  /** Multiplier of the input size (output = floor(input · scale)): one number or `[sh, sw]`. */
  scaleFactor?: number | readonly [number, number];
  /** 'nearest' (default) or 'bilinear'. */
  mode?: InterpolateMode;
  /**
   * Bilinear only: align the centres of the corner pixels of input and output (source = dst · (in−1)/(out−1))
   * instead of treating pixels as areas (source = (dst + 0.5) · scale − 0.5). Default false.
   */
  alignCorners?: boolean;
  /**
   * With `scaleFactor`: compute the source coordinates from the resulting sizes (in/out) rather than from
   * 1/scaleFactor (PyTorch's default, which this follows when unset).
   */
  recomputeScaleFactor?: boolean;
}

const MODES: readonly InterpolateMode[] = ['nearest', 'bilinear'];

function pairOf(op: string, arg: string, v: unknown, integer: boolean): [number, number] {
  const list = typeof v === 'number' ? [v, v] : v;
  const ok = (d: unknown) => typeof d === 'number' && !Number.isNaN(d) && (!integer || Number.isInteger(d));
  if (!Array.isArray(list) || list.length !== 2 || !list.every(ok)) {
    const what = integer ? 'an integer or a pair of integers' : 'a number or a pair of numbers';
    throw new TypeError(`${op}: '${arg}' must be ${what}, got ${JSON.stringify(v)}`);
  }
  return [list[0], list[1]];
}

/**
 * Resizes the spatial axes of a 4-D [N, C, H, W] float32 tensor by nearest-neighbour or bilinear
 * interpolation, matching PyTorch's `F.interpolate` (including its float32 index arithmetic, so nearest
 * picks the same pixels). Give exactly one of `size` and `scaleFactor`. The gradient accumulates into
 * the source pixels with the interpolation weights.
 * @example
 * interpolate(x, { scaleFactor: 2 });                                    // nearest, 2×
 * interpolate(x, { size: [224, 224], mode: 'bilinear', alignCorners: false });
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const op = 'interpolate';
  checkTensor(op, 'input', x);
  checkDtype(op, 'input', x, ['float32']);
  checkRank(op, 'input', x, 4, '(N, C, H, W)');
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object with 'size' or 'scaleFactor'`);
  const mode = options.mode ?? 'nearest';
  if (!MODES.includes(mode)) throw new TypeError(`${op}: unknown mode ${JSON.stringify(mode)} (use 'nearest' or 'bilinear')`);
  if (options.alignCorners !== undefined && typeof options.alignCorners !== 'boolean') {
    throw new TypeError(`${op}: 'alignCorners' must be a boolean`);
  }
  if (mode === 'nearest' && options.alignCorners !== undefined) {
    throw new TypeError(`${op}: 'alignCorners' can only be set with mode 'bilinear', got mode 'nearest'`);
  }
  const hasSize = options.size !== undefined && options.size !== null;
  const hasScale = options.scaleFactor !== undefined && options.scaleFactor !== null;
  if (hasSize === hasScale) {
    throw new RangeError(`${op}: give exactly one of 'size' and 'scaleFactor' (got ${hasSize ? 'both' : 'neither'}) for input ${fmtShape(x.shape)}`);
  }
  const [h, w] = x.shape.slice(2);
  if (h === 0 || w === 0) throw new RangeError(`${op}: argument 'input' has an empty plane, shape ${fmtShape(x.shape)}`);
  let out: [number, number];
  let scales: [number, number] = [0, 0];
  if (hasSize) {
    out = pairOf(op, 'size', options.size, true);
  } else {
    const s = pairOf(op, 'scaleFactor', options.scaleFactor, false);
    if (!(s[0] > 0 && s[1] > 0) || !Number.isFinite(s[0]) || !Number.isFinite(s[1])) {
      throw new RangeError(`${op}: 'scaleFactor' must be positive and finite, got ${JSON.stringify(options.scaleFactor)}`);
    }
    out = [Math.floor(h * s[0]), Math.floor(w * s[1])];
    if (options.recomputeScaleFactor !== undefined && typeof options.recomputeScaleFactor !== 'boolean') {
      throw new TypeError(`${op}: 'recomputeScaleFactor' must be a boolean`);
    }
    if (!options.recomputeScaleFactor) scales = s;
  }
  if (out[0] <= 0 || out[1] <= 0) {
    throw new RangeError(`${op}: output size ${fmtShape(out)} must be positive (input shape ${fmtShape(x.shape)})`);
  }
  const kernel = mode === 'nearest' ? 'upsample_nearest2d' : 'upsample_bilinear2d';
  const attrs = { align_corners: options.alignCorners ?? false, scale_h: scales[0], scale_w: scales[1] };
  const y = empty([x.shape[0], x.shape[1], ...out], 'float32', x.device);
  run(kernel, [x], [y], attrs);
  record(op, [x], [y], [], ([g]) => {
    const gx = empty(x.shape, 'float32', x.device);
    run(`${kernel}_backward`, [g], [gx], attrs);
    return [gx];
  });
  return y;
}

/** Alias of {@link interpolate} (PyTorch's `F.upsample`). @example upsample(x, { scaleFactor: 2, mode: 'bilinear' }) */
export function upsample(x: Tensor, options: InterpolateOptions): Tensor {
  return interpolate(x, options);
}

/**
 * Image transforms as torchvision defines them, on CHW (or NCHW) float tensors: {@link Resize} (the
 * shorter side, bilinear, antialiased like PIL), {@link CenterCrop}, {@link ToTensor}, {@link Normalize}
 * and {@link Compose}, with the functions behind them ({@link resize}, {@link centerCrop},
 * {@link normalize}, {@link toTensor}). Checked against torchvision 0.14 (test/data/transforms.test.ts).
 *
 * The ImageNet evaluation chain is torchvision's `Resize(256) → CenterCrop(224) → ToTensor → Normalize`;
 * here `ToTensor` comes first, since the resize runs on the tensor (as torchvision's tensor path with
 * `antialias=True`, which matches its PIL path up to PIL's 8-bit rounding):
 *
 * @example
 * const preprocess = data.transforms.imagenet(); // = new Compose([new ToTensor(), new Resize(256), new CenterCrop(224), new Normalize(IMAGENET_MEAN, IMAGENET_STD)])
 * const x = preprocess.apply(io.decodeImage(fs.readFileSync('cat.jpg'))); // [3, 224, 224]
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { tensor } from '../ops/creation';
import { pad } from '../ops/indexing';
import { tidy } from '../memory';
import { RawImage, imageToTensor } from '../io/image';

/** The ImageNet channel means (RGB) that torchvision's pretrained models expect. */
export const IMAGENET_MEAN: readonly number[] = Object.freeze([0.485, 0.456, 0.406]);
/** The ImageNet channel standard deviations (RGB). */
export const IMAGENET_STD: readonly number[] = Object.freeze([0.229, 0.224, 0.225]);

/** Something that maps one value to another: a transform object, or a plain function. */
export type TransformLike<I = unknown, O = unknown> = Transform<I, O> | ((x: I) => O);

/** A transform of images: {@link Resize}, {@link CenterCrop}, ... */
export interface Transform<I = Tensor, O = Tensor> {
  /** Applies the transform (the input is not disposed). */
  apply(x: I): O;
}

/** A size: one number (a square for crops; the shorter side for {@link resize}) or `[height, width]`. */
export type Size = number | readonly [number, number];

function checkImage(op: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: the image must be a Tensor`);
  if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`${op}: the image must be [C, H, W] or [N, C, H, W], got shape ${fmtShape(x.shape)}`);
  if (x.dtype !== 'float32') throw new TypeError(`${op}: the image must be float32, got ${x.dtype}`);
}

function checkSize(op: string, size: Size): [number, number] | number {
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (ok(size)) return size as number;
  if (Array.isArray(size) && size.length === 2 && size.every(ok)) return [size[0], size[1]];
  throw new TypeError(`${op}: size must be a positive integer or [height, width] of positive integers, got ${JSON.stringify(size)}`);
}

/** Options of {@link resize} and {@link Resize}. */
export interface ResizeOptions {
  /**
   * Low-pass filter when shrinking, as PIL and torchvision's `antialias=True` do: each output pixel
   * averages the input pixels under a triangle as wide as the scale. Default true. Without it, plain
   * bilinear interpolation (PyTorch's `interpolate`, `align_corners=False`) samples 2×2 pixels and
   * aliases fine detail.
   */
  antialias?: boolean;
  /** With a single-number size: the longer side's limit (torchvision's `max_size`). */
  maxSize?: number;
}

/** The output [height, width] of {@link resize}, as torchvision computes it (the longer side truncated). */
export function resizedSize(height: number, width: number, size: Size, maxSize?: number): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  const [short, long] = width <= height ? [width, height] : [height, width];
  let newShort = size;
  let newLong = Math.trunc((size * long) / short);
  if (maxSize !== undefined) {
    if (maxSize <= size) throw new RangeError(`resize: maxSize ${maxSize} must be larger than size ${size}`);
    if (newLong > maxSize) {
      newShort = Math.trunc((maxSize * newShort) / newLong);
      newLong = maxSize;
    }
  }
  return width <= height ? [newLong, newShort] : [newShort, newLong];
}

/**
 * The weights of a 1-D resampling from `inSize` to `outSize` pixels: output i is the sum over
 * j < count[i] of weights[i·taps + j] · input[start[i] + j]. The antialiased form is PIL's (and
 * torchvision's `_upsample_bilinear2d_aa`): a triangle of half-width max(scale, 1) around the pixel
 * centre (i + ½)·scale, normalised to sum 1; the plain form is bilinear with `align_corners=False`.
 */
function lineWeights(inSize: number, outSize: number, antialias: boolean): { start: Int32Array; count: Int32Array; weights: Float64Array; taps: number } {
  const scale = inSize / outSize;
  const support = antialias && scale >= 1 ? scale : 1;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    if (antialias) {
      const center = scale * (i + 0.5);
      const lo = Math.max(Math.trunc(center - support + 0.5), 0);
      const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
      let total = 0;
      for (let j = lo; j < hi; j++) {
        const w = Math.max(0, 1 - Math.abs((j - center + 0.5) / support));
        weights[i * taps + j - lo] = w;
        total += w;
      }
      if (total > 0) for (let j = 0; j < hi - lo; j++) weights[i * taps + j] /= total;
      start[i] = lo;
      count[i] = hi - lo;
    } else {
      const src = Math.max(scale * (i + 0.5) - 0.5, 0);
      const i0 = Math.min(Math.floor(src), inSize - 1);
      const l1 = i0 < inSize - 1 ? src - i0 : 0;
      start[i] = i0;
      count[i] = i0 < inSize - 1 ? 2 : 1;
      weights[i * taps] = 1 - l1;
      weights[i * taps + 1] = l1;
    }
  }
  return { start, count, weights, taps };
}

/**
 * Resizes images [C, H, W] or [N, C, H, W] (float32): to `[height, width]`, or, given one number, so
 * that the shorter side has that length and the longer keeps the aspect ratio (truncated, as
 * torchvision). Bilinear and, by default, antialiased (see {@link ResizeOptions}); separable, computed
 * on the host (a photo's resize is cheap there and exact to torchvision's algorithm), returned on the
 * input's device.
 * @example resize(img, 256)          // shorter side 256
 * @example resize(img, [224, 224])   // exactly 224×224
 */
export function resize(x: Tensor, size: Size, options: ResizeOptions = {}): Tensor {
  const op = 'resize';
  checkImage(op, x);
  const s = checkSize(op, size);
  const antialias = options.antialias ?? true;
  if (typeof antialias !== 'boolean') throw new TypeError(`${op}: 'antialias' must be a boolean, got ${typeof antialias}`);
  if (options.maxSize !== undefined && (typeof s !== 'number' || !Number.isInteger(options.maxSize))) {
    throw new TypeError(`${op}: 'maxSize' must be an integer and needs a single-number size`);
  }
  const [H, W] = x.shape.slice(-2);
  if (H === 0 || W === 0) throw new RangeError(`${op}: cannot resize an empty image of shape ${fmtShape(x.shape)}`);
  const [oh, ow] = resizedSize(H, W, s, options.maxSize);
  const planes = x.shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const src = x.dataSync() as Float32Array;
  const wx = lineWeights(W, ow, antialias);
  const wy = lineWeights(H, oh, antialias);
  // Rows first (each input row to ow pixels), then columns.
  const rows = new Float64Array(planes * H * ow);
  for (let p = 0; p < planes * H; p++) {
    const base = p * W;
    for (let i = 0; i < ow; i++) {
      let acc = 0;
      const off = wx.start[i] + base;
      for (let j = 0; j < wx.count[i]; j++) acc += wx.weights[i * wx.taps + j] * src[off + j];
      rows[p * ow + i] = acc;
    }
  }
  const out = new Float32Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < oh; i++) {
      const o = (p * oh + i) * ow;
      for (let j = 0; j < wy.count[i]; j++) {
        const w = wy.weights[i * wy.taps + j];
        const r = (p * H + wy.start[i] + j) * ow;
        for (let k = 0; k < ow; k++) out[o + k] += w * rows[r + k];
      }
    }
  }
  return tensor(out, [...x.shape.slice(0, -2), oh, ow], { device: x.device });
}

/** Python's round(): halves to even (torchvision's crop offsets use it). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The central `size` region of images [C, H, W] or [N, C, H, W]; a crop larger than the image pads it
 * with zeros first, as torchvision does. Offsets as torchvision's (`round((H − h) / 2)`, halves to even).
 * @example centerCrop(img, 224)
 */
export function centerCrop(x: Tensor, size: Size): Tensor {
  const op = 'centerCrop';
  checkImage(op, x);
  const s = checkSize(op, size);
  const [ch, cw] = typeof s === 'number' ? [s, s] : s;
  // Per axis: pad (before, after) when the crop is larger, then crop `offset` from the padded start.
  const axis = (n: number, c: number): [number, number] => {
    const before = c > n ? Math.floor((c - n) / 2) : 0;
    const after = c > n ? Math.floor((c - n + 1) / 2) : 0;
    const padded = n + before + after;
    const offset = roundHalfEven((padded - c) / 2);
    return [before - offset, after - (padded - c - offset)];
  };
  const [top, bottom] = axis(x.shape[x.ndim - 2], ch);
  const [left, right] = axis(x.shape[x.ndim - 1], cw);
  return pad(x, [left, right, top, bottom]);
}

/**
 * `(x − mean) / std` per channel of images [C, H, W] or [N, C, H, W]; one value per channel, or one for
 * all.
 * @example normalize(img, IMAGENET_MEAN, IMAGENET_STD)
 */
export function normalize(x: Tensor, mean: readonly number[], std: readonly number[]): Tensor {
  const op = 'normalize';
  checkImage(op, x);
  const c = x.shape[x.ndim - 3];
  for (const [name, v] of [['mean', mean], ['std', std]] as const) {
    if (!Array.isArray(v) || !v.every((e) => typeof e === 'number' && Number.isFinite(e)) || (v.length !== c && v.length !== 1)) {
      throw new RangeError(`${op}: '${name}' must be ${c} finite numbers (one per channel of shape ${fmtShape(x.shape)}) or one, got ${JSON.stringify(v)}`);
    }
  }
  if (std.some((v) => v === 0)) throw new RangeError(`${op}: 'std' has a zero, got ${JSON.stringify(std)}`);
  const shape = x.ndim === 3 ? [mean.length === 1 && std.length === 1 ? 1 : c, 1, 1] : [1, mean.length === 1 && std.length === 1 ? 1 : c, 1, 1];
  const expand = (v: readonly number[]) => (v.length === shape[shape.length - 3] ? [...v] : new Array<number>(shape[shape.length - 3]).fill(v[0]));
  return tidy(() => x.sub(tensor(expand(mean), shape, { device: x.device })).div(tensor(expand(std), shape, { device: x.device })));
}

/**
 * An 8-bit image ({@link io.decodeImage}'s result) as a float32 [C, H, W] tensor in [0, 1]: value / 255,
 * as torchvision's `ToTensor` (alpha dropped).
 */
export function toTensor(image: RawImage): Tensor {
  return imageToTensor(image);
}

/** {@link resize} as a transform. @example new Resize(256) */
export class Resize implements Transform {
  /** The target size, as {@link resize} takes it. */
  readonly size: Size;
  /** The options of {@link resize}. */
  readonly options: ResizeOptions;

  /** `size` and `options` as {@link resize} takes them (the size is checked now). */
  constructor(size: Size, options: ResizeOptions = {}) {
    checkSize('Resize', size);
    this.size = size;
    this.options = options;
  }

  /** Resizes `x`. */
  apply(x: Tensor): Tensor {
    return resize(x, this.size, this.options);
  }
}

/** {@link centerCrop} as a transform. @example new CenterCrop(224) */
export class CenterCrop implements Transform {
  /** The crop's size. */
  readonly size: Size;

  /** `size`: a square's side or `[height, width]` (checked now). */
  constructor(size: Size) {
    checkSize('CenterCrop', size);
    this.size = size;
  }

  /** Crops `x`. */
  apply(x: Tensor): Tensor {
    return centerCrop(x, this.size);
  }
}

/** {@link normalize} as a transform. @example new Normalize(IMAGENET_MEAN, IMAGENET_STD) */
export class Normalize implements Transform {
  /** Per-channel means (or one for all). */
  readonly mean: readonly number[];
  /** Per-channel standard deviations (or one for all). */
  readonly std: readonly number[];

  /** Per-channel `mean` and `std`, checked against the image when applied. */
  constructor(mean: readonly number[], std: readonly number[]) {
    this.mean = mean;
    this.std = std;
  }

  /** Normalises `x`. */
  apply(x: Tensor): Tensor {
    return normalize(x, this.mean, this.std);
  }
}

/** {@link toTensor} as a transform: an 8-bit image to a [C, H, W] tensor in [0, 1]. */
export class ToTensor implements Transform<RawImage, Tensor> {
  /** Converts `image`. */
  apply(image: RawImage): Tensor {
    return toTensor(image);
  }
}

/**
 * Transforms applied in order; the intermediate tensors are disposed (the input and the result are
 * not).
 * @example new Compose([new Resize(256), new CenterCrop(224)]).apply(img)
 */
export class Compose<I = Tensor> implements Transform<I, Tensor> {
  /** The transforms, in order. */
  readonly transforms: readonly TransformLike[];

  /** `transforms`: transform objects or plain functions. */
  constructor(transforms: readonly TransformLike[]) {
    if (!Array.isArray(transforms)) throw new TypeError('Compose: transforms must be an array');
    transforms.forEach((t, i) => {
      if (typeof t !== 'function' && (typeof t !== 'object' || t === null || typeof t.apply !== 'function')) {
        throw new TypeError(`Compose: transform ${i} must be a function or have an apply() method`);
      }
    });
    this.transforms = [...transforms];
  }

  /** Runs the transforms on `x`. */
  apply(x: I): Tensor {
    let v: unknown = x;
    for (const t of this.transforms) {
      const next = typeof t === 'function' ? t(v) : t.apply(v);
      if (v !== x && v !== next && v instanceof Tensor) v.dispose();
      v = next;
    }
    return v as Tensor;
  }
}

/** Options of {@link imagenet}. */
export interface ImagenetTransformOptions {
  /** The shorter side after resizing. Default 256. */
  resizeSize?: number;
  /** The square crop. Default 224. */
  cropSize?: number;
}

/**
 * torchvision's ImageNet evaluation preprocessing: an 8-bit image → ToTensor → Resize(256) →
 * CenterCrop(224) → Normalize(ImageNet mean and std), giving [3, 224, 224].
 * @example const x = data.transforms.imagenet().apply(io.decodeImage(bytes)).unsqueeze(0);
 */
export function imagenet(options: ImagenetTransformOptions = {}): Compose<RawImage> {
  return new Compose([
    new ToTensor(),
    new Resize(options.resizeSize ?? 256),
    new CenterCrop(options.cropSize ?? 224),
    new Normalize(IMAGENET_MEAN, IMAGENET_STD),
  ]);
}

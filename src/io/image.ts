/**
 * Image files: PNG and JPEG to float32 CHW tensors in [0, 1] and back to PNG, and torchvision-style
 * image grids. Pure JavaScript codecs (pngjs, jpeg-js): nothing native to install.
 * @module
 */
import * as fs from 'fs';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { Tensor, fmtShape } from '../tensor';
import { DeviceLike } from '../device';
import { tidy } from '../memory';
import { tensor, full } from '../ops/creation';
import { cat, pad } from '../ops/indexing';
import { permute, reshape } from '../ops/layout';

/** An 8-bit image in memory: `height` rows of `width` pixels of `channels` interleaved bytes (HWC). */
export interface RawImage {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** 1 (gray), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 3 | 4;
  /** width × height × channels bytes, row-major, channels interleaved. */
  data: Uint8Array;
}

/** Image formats {@link decodeImage} recognises. */
export type ImageFormat = 'png' | 'jpeg';

/** Options of {@link readImage} and {@link imageToTensor}. */
export interface ReadImageOptions {
  /** Device of the tensor. Default `'cpu'`. */
  device?: DeviceLike;
}

/** Options of {@link writePng} and {@link tensorToImage}. */
export interface WritePngOptions {
  /**
   * Stretch the values to [0, 1] by the tensor's minimum and maximum (a constant image becomes black)
   * instead of clamping them to [0, 1]. Default false.
   */
  normalize?: boolean;
}

/** Options of {@link toImageGrid}. */
export interface ImageGridOptions {
  /** Images per row. Default 8. */
  nrow?: number;
  /** Pixels between images and around the grid. Default 2. */
  padding?: number;
  /** Value of the padding (and of empty cells in the last row). Default 0. */
  padValue?: number;
}

/** The format of encoded image bytes, by their magic bytes (not a file name), or null. */
export function imageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47 && bytes[4] === 0x0d && bytes[5] === 0x0a) {
    return 'png';
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

// Number of colour components of a JPEG, from its start-of-frame segment (1 for grayscale).
function jpegComponents(b: Uint8Array): number {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) {
      i++;
      continue;
    }
    const m = b[i + 1];
    if (m === 0xff || m === 0x01 || (m >= 0xd0 && m <= 0xd8)) {
      i += m === 0xff ? 1 : 2; // fill byte or a marker without a length
      continue;
    }
    const len = (b[i + 2] << 8) | b[i + 3];
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return b[i + 9];
    i += 2 + len;
  }
  throw new Error('no start-of-frame segment');
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Decodes PNG or JPEG bytes (told apart by their magic bytes) into 8-bit pixels: 1 channel for grayscale
 * images, 3 for colour ones (alpha and palettes resolved, alpha dropped; 16-bit PNGs reduced to 8 bits).
 * Throws an Error saying why when the bytes are not a valid PNG or JPEG.
 * @example const img = decodeImage(fs.readFileSync('digit.png')); // { width, height, channels: 1, data }
 */
export function decodeImage(bytes: Uint8Array): RawImage {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeImage: bytes must be a Uint8Array or Buffer');
  const format = imageFormat(bytes);
  if (format === null) {
    throw new Error(bytes.length === 0 ? 'empty file' : `not a PNG or JPEG file (starts with bytes ${hex(bytes)})`);
  }
  if (format === 'png') {
    let png: ReturnType<typeof PNG.sync.read>;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (e) {
      throw new Error(`corrupt PNG: ${(e as Error).message}`);
    }
    const { width, height, data } = png;
    const channels = png.color ? 3 : 1;
    const out = new Uint8Array(width * height * channels);
    for (let p = 0, o = 0; p < width * height; p++) {
      out[o++] = data[4 * p];
      if (channels === 3) {
        out[o++] = data[4 * p + 1];
        out[o++] = data[4 * p + 2];
      }
    }
    return { width, height, channels, data: out };
  }
  let img: { width: number; height: number; data: Uint8Array };
  let components: number;
  try {
    components = jpegComponents(bytes);
    img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxMemoryUsageInMB: 1024 });
  } catch (e) {
    throw new Error(`corrupt JPEG: ${(e as Error).message}`);
  }
  const { width, height } = img;
  if (components === 1) {
    const out = new Uint8Array(width * height);
    for (let p = 0; p < out.length; p++) out[p] = img.data[3 * p];
    return { width, height, channels: 1, data: out };
  }
  return { width, height, channels: 3, data: img.data };
}

/**
 * 8-bit pixels as a float32 CHW tensor in [0, 1] (value / 255): [1, H, W] for gray, [3, H, W] for RGB;
 * an RGBA image loses its alpha.
 * @example const x = imageToTensor(decodeImage(bytes)).unsqueeze(0); // a batch of one
 */
export function imageToTensor(image: RawImage, options: ReadImageOptions = {}): Tensor {
  const { width, height, channels, data } = image;
  if (![1, 3, 4].includes(channels)) throw new RangeError(`imageToTensor: channels must be 1, 3 or 4, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new RangeError(`imageToTensor: ${data.length} bytes for a ${width}×${height} image of ${channels} channels`);
  }
  const c = channels === 1 ? 1 : 3;
  const plane = width * height;
  const out = new Float32Array(c * plane);
  for (let p = 0; p < plane; p++) for (let k = 0; k < c; k++) out[k * plane + p] = data[p * channels + k] / 255;
  return tensor(out, [c, height, width], { device: options.device });
}

function readError(path: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const reason = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
  return new Error(`readImage: cannot read '${path}': ${reason}`, { cause: e });
}

/**
 * Reads a PNG or JPEG file (the format from its bytes, not its name) as a float32 CHW tensor in [0, 1]:
 * [1, H, W] for grayscale, [3, H, W] for colour (alpha dropped). Rejects with an Error naming the path and
 * the reason when the file is missing, unreadable, not an image or corrupt.
 * @example const img = await io.readImage('cat.jpg'); // [3, H, W]
 */
export async function readImage(path: string, options: ReadImageOptions = {}): Promise<Tensor> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(path);
  } catch (e) {
    throw readError(path, e);
  }
  let img: RawImage;
  try {
    img = decodeImage(bytes);
  } catch (e) {
    throw readError(path, e);
  }
  return imageToTensor(img, options);
}

/** {@link readImage}, blocking: throws instead of rejecting. */
export function readImageSync(path: string, options: ReadImageOptions = {}): Tensor {
  let img: RawImage;
  try {
    img = decodeImage(fs.readFileSync(path));
  } catch (e) {
    throw readError(path, e);
  }
  return imageToTensor(img, options);
}

// Shape check shared by the writers: [H, W], [1, H, W] or [3, H, W].
function imageShape(op: string, t: Tensor): { c: 1 | 3; h: number; w: number } {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: argument 'image' must be a Tensor`);
  const s = t.shape;
  if (s.length === 2) return { c: 1, h: s[0], w: s[1] };
  if (s.length === 3) {
    if (s[0] !== 1 && s[0] !== 3) throw new RangeError(`${op}: a [C, H, W] image needs 1 or 3 channels, got shape ${fmtShape(s)}`);
    return { c: s[0] as 1 | 3, h: s[1], w: s[2] };
  }
  throw new RangeError(`${op}: expects an image of shape [H, W], [1, H, W] or [3, H, W], got ${fmtShape(s)}`);
}

function toBytes(values: Float32Array | Int32Array, c: 1 | 3, h: number, w: number, normalize: boolean): RawImage {
  let lo = 0;
  let scale = 1;
  if (normalize) {
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    lo = min;
    scale = max > min ? 1 / (max - min) : 0;
  }
  const plane = h * w;
  const data = new Uint8Array(plane * c);
  for (let k = 0; k < c; k++) {
    for (let p = 0; p < plane; p++) {
      const v = (values[k * plane + p] - lo) * scale;
      data[p * c + k] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0; // NaN → 0
    }
  }
  return { width: w, height: h, channels: c, data };
}

/**
 * A [H, W], [1, H, W] or [3, H, W] tensor as 8-bit pixels: values clamped to [0, 1] (or min–max
 * normalised with `normalize`), times 255, rounded. Blocks until the tensor is computed.
 */
export function tensorToImage(image: Tensor, options: WritePngOptions = {}): RawImage {
  const { c, h, w } = imageShape('tensorToImage', image);
  return toBytes(image.dataSync(), c, h, w, Boolean(options.normalize));
}

/** PNG bytes of 8-bit pixels: grayscale for 1 channel, RGB for 3, RGBA for 4. */
export function encodePng(image: RawImage): Buffer {
  const { width, height, channels, data } = image;
  const colorType = ({ 1: 0, 3: 2, 4: 6 } as const)[channels];
  if (colorType === undefined) throw new RangeError(`encodePng: channels must be 1, 3 or 4, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new RangeError(`encodePng: ${data.length} bytes for a ${width}×${height} image of ${channels} channels`);
  }
  const png = new PNG({ width, height, colorType, inputColorType: colorType, bitDepth: 8, inputHasAlpha: channels === 4 });
  png.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, bitDepth: 8, inputHasAlpha: channels === 4 });
}

/**
 * Writes a [H, W], [1, H, W] (grayscale PNG) or [3, H, W] (RGB PNG) tensor: values clamped to [0, 1], or
 * stretched from the tensor's min and max with `normalize`. Throws a RangeError at once for another
 * shape; resolves once the file is written.
 * @example await io.writePng('digit.png', images.narrow(0, 0, 1).squeeze(0), { normalize: true });
 */
export function writePng(path: string, image: Tensor, options: WritePngOptions = {}): Promise<void> {
  const { c, h, w } = imageShape('writePng', image);
  const normalize = Boolean(options.normalize);
  const pending = image.data();
  return (async () => {
    const bytes = encodePng(toBytes(await pending, c, h, w, normalize));
    await fs.promises.writeFile(path, bytes);
  })();
}

/** {@link writePng}, blocking. */
export function writePngSync(path: string, image: Tensor, options: WritePngOptions = {}): void {
  fs.writeFileSync(path, encodePng(tensorToImage(image, options)));
}

/**
 * Tiles a batch of images [N, C, H, W] into one image [C, H', W'], as torchvision's `make_grid`: `nrow`
 * images per row, `padding` pixels of `padValue` between the images and around the grid, empty cells
 * of the last row filled with `padValue`. H' = rows·(H + padding) + padding and likewise W'. Unlike
 * torchvision, one-channel images stay one channel. Built from tensor ops (so it runs on the tensor's
 * device and is differentiable). A [C, H, W] input is one image.
 * @example await io.writePng('samples.png', io.toImageGrid(x.narrow(0, 0, 64), { nrow: 8 }), { normalize: true });
 */
export function toImageGrid(images: Tensor, options: ImageGridOptions = {}): Tensor {
  if (!(images instanceof Tensor)) throw new TypeError(`toImageGrid: argument 'images' must be a Tensor`);
  const { nrow = 8, padding = 2, padValue = 0 } = options;
  if (!Number.isInteger(nrow) || nrow < 1) throw new RangeError(`toImageGrid: nrow must be a positive integer, got ${nrow}`);
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`toImageGrid: padding must be a non-negative integer, got ${padding}`);
  if (typeof padValue !== 'number' || !Number.isFinite(padValue)) throw new TypeError(`toImageGrid: padValue must be a finite number`);
  if (images.ndim !== 3 && images.ndim !== 4) {
    throw new RangeError(`toImageGrid: expects images of shape [N, C, H, W] (or one [C, H, W]), got ${fmtShape(images.shape)}`);
  }
  if (images.dtype !== 'float32') throw new TypeError(`toImageGrid: expects float32 images, got ${images.dtype}`);
  return tidy(() => {
    const x = images.ndim === 3 ? reshape(images, [1, ...images.shape]) : images;
    const [n, c, h, w] = x.shape;
    if (n === 0) throw new RangeError(`toImageGrid: no images (shape ${fmtShape(images.shape)})`);
    const cols = Math.min(nrow, n);
    const rows = Math.ceil(n / cols);
    const all = rows * cols > n ? cat([x, full([rows * cols - n, c, h, w], padValue, { device: x.device })]) : x;
    const cells = padding > 0 ? pad(all, [padding, 0, padding, 0], { value: padValue }) : all; // left and top
    const ph = h + padding;
    const pw = w + padding;
    const tiled = reshape(permute(reshape(cells, [rows, cols, c, ph, pw]), [2, 0, 3, 1, 4]), [c, rows * ph, cols * pw]);
    return padding > 0 ? pad(tiled, [0, padding, 0, padding], { value: padValue }) : tiled; // right and bottom
  });
}

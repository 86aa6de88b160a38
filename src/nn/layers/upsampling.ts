/**
 * `Upsample`, the module form of `interpolate`.
 * @module
 */
import { Tensor } from '../../tensor';
import { InterpolateMode, interpolate } from '../../ops/resample';
import { Module } from '../module';
import { optionsArg, tuple } from './util';

/** Options of {@link Upsample}: exactly one of `size` and `scaleFactor`. */
export interface UpsampleOptions {
  /** Output size: one number or `[h, w]`. */
  size?: number | readonly [number, number];
  /** Multiplier of the input size: one number or `[sh, sw]`. */
  scaleFactor?: number | readonly [number, number];
  /** `'nearest'` (default) or `'bilinear'`. */
  mode?: InterpolateMode;
  /** Bilinear only: align the corner pixels' centres. Default false. */
  alignCorners?: boolean;
}

/**
 * Resizes `[N, C, H, W]` input to a size or by a scale factor; see `interpolate`.
 * @example new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }).call(x) // [N, C, 2H, 2W]
 */
export class Upsample extends Module {
  /** The interpolation settings. */
  readonly options: Readonly<UpsampleOptions>;
  /** Creates the layer; the options are checked by the first forward. */
  constructor(options: UpsampleOptions) {
    super();
    const o = optionsArg('Upsample', options);
    if ((o.size === undefined) === (o.scaleFactor === undefined)) throw new TypeError("Upsample: give exactly one of 'size' and 'scaleFactor'");
    this.options = Object.freeze({ ...o });
  }
  /** Resizes `x`. */
  override forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }
  /** PyTorch's repr with camelCase names. */
  override extraRepr(): string {
    const o = this.options;
    const v = (x: number | readonly number[]) => (typeof x === 'number' ? String(x) : tuple(x));
    const what = o.size !== undefined ? `size=${v(o.size)}` : `scaleFactor=${v(o.scaleFactor!)}`;
    return `${what}, mode='${o.mode ?? 'nearest'}'${o.alignCorners ? ', alignCorners=true' : ''}`;
  }
}

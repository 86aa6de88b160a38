/**
 * Dropout layers: `Dropout` and `Dropout2d`, active in training mode only.
 * @module
 */
import { Tensor } from '../../tensor';
import { Generator } from '../../random';
import { dropout, dropout2d } from '../../ops/dropout';
import { Module } from '../module';
import { generatorArg, numArg, optionsArg } from './util';

/** Options of {@link Dropout} and {@link Dropout2d}. */
export interface DropoutLayerOptions {
  /** Stream for the masks; the global one by default. */
  generator?: Generator;
}

/**
 * Zeroes each element with probability `p` and scales the rest by 1/(1 − p) in training mode; the
 * identity in eval mode.
 * @example const drop = new nn.Dropout(0.5, { generator: new ds.Generator(1) });
 */
export class Dropout extends Module {
  /** Drop probability. */
  readonly p: number;
  /** Stream for the masks (undefined: the global one). */
  readonly generator: Generator | undefined;
  /** @param p default 0.5 */
  constructor(p = 0.5, options?: DropoutLayerOptions) {
    super();
    this.p = numArg(this.constructor.name, 'p', p, 0.5, { min: 0, max: 1 });
    this.generator = generatorArg(this.constructor.name, optionsArg(this.constructor.name, options).generator);
  }
  /** Applies dropout in training mode; returns `x` itself in eval mode. */
  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, generator: this.generator });
  }
  /** `p=…`. */
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Zeroes whole channels of `[N, C, H, W]` (or `[C, H, W]`) input with probability `p` in training mode,
 * scaling the rest by 1/(1 − p); the identity in eval mode.
 */
export class Dropout2d extends Dropout {
  /** Applies channel dropout in training mode; returns `x` itself in eval mode. */
  override forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, { training: this.training, generator: this.generator });
  }
}

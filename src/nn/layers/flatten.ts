/**
 * Shape layers: `Flatten` and `Identity`.
 * @module
 */
import { Tensor } from '../../tensor';
import { flatten } from '../../ops/layout';
import { Module } from '../module';

/**
 * Merges axes `startDim`..`endDim` into one (a view): by default everything but the batch axis.
 * @example new nn.Flatten().call(ds.zeros([8, 512, 1, 1])).shape // [8, 512]
 */
export class Flatten extends Module {
  /** First axis merged. */
  readonly startDim: number;
  /** Last axis merged. */
  readonly endDim: number;
  /** @param startDim default 1 @param endDim default −1 */
  constructor(startDim = 1, endDim = -1) {
    super();
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) throw new TypeError(`Flatten: startDim and endDim must be integers, got ${startDim}, ${endDim}`);
    this.startDim = startDim;
    this.endDim = endDim;
  }
  /** Flattens the axes. */
  override forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  /** `startDim=…, endDim=…`. */
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Returns its (first) input unchanged: a placeholder, e.g. for a removed classifier head. */
export class Identity extends Module {
  /** Returns `x`. */
  override forward(x: any): any {
    return x;
  }
}

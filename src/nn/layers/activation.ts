/**
 * Activation layers: the module forms of the elementwise activations (and of softmax).
 * @module
 */
import { Tensor } from '../../tensor';
import { elu, gelu, hardtanh, leakyRelu, relu, sigmoid, softplus, tanh } from '../../ops/elementwise';
import { logSoftmax, softmax } from '../../ops/softmax';
import { Module } from '../module';
import { numArg, optionsArg } from './util';

/** max(x, 0). @example new nn.ReLU().call(x) */
export class ReLU extends Module {
  /** Applies the activation. */
  override forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** x for x > 0, else `negativeSlope`·x. @example new nn.LeakyReLU(0.2) */
export class LeakyReLU extends Module {
  /** Slope for negative inputs. */
  readonly negativeSlope: number;
  /** @param negativeSlope default 0.01 */
  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = numArg('LeakyReLU', 'negativeSlope', negativeSlope, 0.01);
  }
  /** Applies the activation. */
  override forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  /** `negativeSlope=…`. */
  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** x for x > 0, else alpha·(eˣ − 1). */
export class ELU extends Module {
  /** Scale of the negative part. */
  readonly alpha: number;
  /** @param alpha default 1 */
  constructor(alpha = 1) {
    super();
    this.alpha = numArg('ELU', 'alpha', alpha, 1);
  }
  /** Applies the activation. */
  override forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  /** `alpha=…`. */
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** The logistic sigmoid 1 / (1 + e⁻ˣ). */
export class Sigmoid extends Module {
  /** Applies the activation. */
  override forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** The hyperbolic tangent. */
export class Tanh extends Module {
  /** Applies the activation. */
  override forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Options of {@link Hardtanh}. */
export interface HardtanhOptions {
  /** Lower bound. Default −1. */
  minVal?: number;
  /** Upper bound. Default 1. */
  maxVal?: number;
}

/** x clipped to [minVal, maxVal]. @example new nn.Hardtanh({ minVal: 0, maxVal: 6 }) // ReLU6 */
export class Hardtanh extends Module {
  /** Lower bound. */
  readonly minVal: number;
  /** Upper bound. */
  readonly maxVal: number;
  /** Bounds default to [−1, 1]. */
  constructor(options?: HardtanhOptions) {
    super();
    const o = optionsArg('Hardtanh', options);
    this.minVal = numArg('Hardtanh', 'minVal', o.minVal, -1);
    this.maxVal = numArg('Hardtanh', 'maxVal', o.maxVal, 1, { min: this.minVal });
  }
  /** Applies the activation. */
  override forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }
  /** `minVal=…, maxVal=…`. */
  override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}

/** Options of {@link Softplus}. */
export interface SoftplusOptions {
  /** Sharpness. Default 1. */
  beta?: number;
  /** Above beta·x > threshold the layer is linear. Default 20. */
  threshold?: number;
}

/** log(1 + e^(beta·x)) / beta. */
export class Softplus extends Module {
  /** Sharpness. */
  readonly beta: number;
  /** Linear above this value of beta·x. */
  readonly threshold: number;
  /** beta defaults to 1, threshold to 20. */
  constructor(options?: SoftplusOptions) {
    super();
    const o = optionsArg('Softplus', options);
    this.beta = numArg('Softplus', 'beta', o.beta, 1);
    if (this.beta === 0) throw new RangeError('Softplus: beta must be non-zero');
    this.threshold = numArg('Softplus', 'threshold', o.threshold, 20);
  }
  /** Applies the activation. */
  override forward(x: Tensor): Tensor {
    return softplus(x, this.beta, this.threshold);
  }
  /** `beta=…, threshold=…`. */
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/** The exact GELU, x·Φ(x). */
export class GELU extends Module {
  /** Applies the activation. */
  override forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

/**
 * softmax along `dim`: each slice along it becomes probabilities that sum to 1.
 * @example new nn.Softmax(1).call(logits) // [N, C] rows summing to 1
 */
export class Softmax extends Module {
  /** The axis normalised. */
  readonly dim: number;
  /** @param dim the axis (negative counts from the end) */
  constructor(dim: number) {
    super();
    if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new TypeError(`Softmax: 'dim' must be an integer, got ${JSON.stringify(dim)}`);
    this.dim = dim;
  }
  /** Applies softmax. */
  override forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
  /** `dim=…`. */
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * log(softmax(x)) along `dim`, computed stably; pairs with `nllLoss`.
 * @example new nn.LogSoftmax(1)
 */
export class LogSoftmax extends Module {
  /** The axis normalised. */
  readonly dim: number;
  /** @param dim the axis (negative counts from the end) */
  constructor(dim: number) {
    super();
    if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new TypeError(`LogSoftmax: 'dim' must be an integer, got ${JSON.stringify(dim)}`);
    this.dim = dim;
  }
  /** Applies log-softmax. */
  override forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
  /** `dim=…`. */
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

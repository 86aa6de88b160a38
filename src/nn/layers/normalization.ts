/**
 * Normalisation layers: `BatchNorm1d`, `BatchNorm2d` and `LocalResponseNorm`.
 * @module
 */
import { Tensor, fmtShape } from '../../tensor';
import { ones, zeros } from '../../ops/creation';
import { batchNorm, localResponseNorm } from '../../ops/norm';
import { Module } from '../module';
import { boolArg, intArg, numArg, optionsArg } from './util';

/** Options of {@link BatchNorm1d} and {@link BatchNorm2d}. */
export interface BatchNormLayerOptions {
  /** Added to the variance before the square root. Default 1e-5. */
  eps?: number;
  /**
   * Weight of each batch's statistics in the running averages, `running = (1 − m)·running + m·batch`.
   * Default 0.1; `null` gives the cumulative average over all batches (1/numBatchesTracked).
   */
  momentum?: number | null;
  /** Learn a per-channel scale `weight` (ones) and shift `bias` (zeros). Default true. */
  affine?: boolean;
  /**
   * Keep running statistics (buffers `running_mean`, `running_var`, `num_batches_tracked`) for eval mode.
   * Default true; without them the batch statistics are used in eval mode too.
   */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over the channel axis (PyTorch's `_BatchNorm`): in training mode the batch mean and
 * biased variance normalise the input and the running statistics are updated (with the unbiased
 * variance); in eval mode the running statistics are used.
 */
abstract class BatchNormBase extends Module {
  /** Channels (C). */
  readonly numFeatures: number;
  /** Added to the variance. */
  readonly eps: number;
  /** Running-average weight (null: cumulative average). */
  readonly momentum: number | null;
  /** Whether `weight` and `bias` exist. */
  readonly affine: boolean;
  /** Whether the running statistics exist. */
  readonly trackRunningStats: boolean;
  /** Scale `[C]` (ones at first), or null when not affine. */
  declare weight: Tensor | null;
  /** Shift `[C]` (zeros at first), or null when not affine. */
  declare bias: Tensor | null;
  /** Running mean `[C]` (zeros at first), or null. */
  declare running_mean: Tensor | null;
  /** Running variance `[C]` (ones at first), or null. */
  declare running_var: Tensor | null;
  /** Number of training batches seen, an int32 0-d tensor, or null. */
  declare num_batches_tracked: Tensor | null;

  /** @internal */
  constructor(layer: string, numFeatures: number, options: BatchNormLayerOptions | undefined) {
    super();
    const o = optionsArg(layer, options);
    this.numFeatures = intArg(layer, 'numFeatures', numFeatures);
    this.eps = numArg(layer, 'eps', o.eps, 1e-5, { min: 0 });
    this.momentum = o.momentum === null ? null : numArg(layer, 'momentum', o.momentum, 0.1);
    this.affine = boolArg(layer, 'affine', o.affine, true);
    this.trackRunningStats = boolArg(layer, 'trackRunningStats', o.trackRunningStats, true);
    this.registerParameter('weight', this.affine ? ones([numFeatures]) : null);
    this.registerParameter('bias', this.affine ? zeros([numFeatures]) : null);
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? zeros([numFeatures]) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures]) : null);
    this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'int32' }) : null);
  }

  /** @internal Throws unless the input has an accepted rank. */
  protected abstract checkInput(x: Tensor): void;

  /** Resets the running statistics to mean 0, variance 1 and no batches. */
  resetRunningStats(): void {
    this.running_mean?.copyFromArray(new Float32Array(this.numFeatures));
    this.running_var?.copyFromArray(new Float32Array(this.numFeatures).fill(1));
    this.num_batches_tracked?.copyFromArray([0]);
  }

  /** Normalises `x` (`[N, C, ...]`); in training mode also updates the running statistics in place. */
  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(`${this.constructor.name}: expected ${this.numFeatures} channels, got input of shape ${fmtShape(x.shape)}`);
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      const n = this.num_batches_tracked;
      const next = n.add(1);
      n.copy_(next);
      next.dispose();
      if (this.momentum === null) factor = 1 / n.itemSync();
    }
    // Batch statistics in training, and in eval when there are no running statistics.
    const useBatch = this.training || this.running_mean === null;
    const track = !this.training || this.trackRunningStats;
    return batchNorm(x, track ? this.running_mean : null, track ? this.running_var : null, this.weight, this.bias, {
      training: useBatch,
      momentum: factor,
      eps: this.eps,
    });
  }

  /** PyTorch's repr with camelCase names. */
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/**
 * Batch normalisation of `[N, C]` or `[N, C, L]` input (after `Linear` or 1-D convolutions).
 * @example const bn = new nn.BatchNorm1d(64); bn.call(ds.randn([32, 64]));
 */
export class BatchNorm1d extends BatchNormBase {
  /** Parameters `weight`/`bias` `[numFeatures]`; buffers `running_mean`, `running_var`, `num_batches_tracked`. */
  constructor(numFeatures: number, options?: BatchNormLayerOptions) {
    super('BatchNorm1d', numFeatures, options);
  }
  /** @internal */
  protected override checkInput(x: Tensor): void {
    if (!(x instanceof Tensor)) throw new TypeError('BatchNorm1d: the input must be a Tensor');
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`BatchNorm1d: expected 2-D (N, C) or 3-D (N, C, L) input, got shape ${fmtShape(x.shape)}`);
  }
}

/**
 * Batch normalisation of `[N, C, H, W]` input (after 2-D convolutions).
 * @example
 * const bn = new nn.BatchNorm2d(64);
 * bn.call(ds.randn([8, 64, 14, 14])); // normalises, updates bn.running_mean / bn.running_var
 * bn.eval();                            // now uses the running statistics
 */
export class BatchNorm2d extends BatchNormBase {
  /** Parameters `weight`/`bias` `[numFeatures]`; buffers `running_mean`, `running_var`, `num_batches_tracked`. */
  constructor(numFeatures: number, options?: BatchNormLayerOptions) {
    super('BatchNorm2d', numFeatures, options);
  }
  /** @internal */
  protected override checkInput(x: Tensor): void {
    if (!(x instanceof Tensor)) throw new TypeError('BatchNorm2d: the input must be a Tensor');
    if (x.ndim !== 4) throw new RangeError(`BatchNorm2d: expected 4-D (N, C, H, W) input, got shape ${fmtShape(x.shape)}`);
  }
}

/** Options of {@link LocalResponseNorm}. */
export interface LocalResponseNormLayerOptions {
  /** Multiplier (divided by `size`). Default 1e-4. */
  alpha?: number;
  /** Exponent. Default 0.75. */
  beta?: number;
  /** Additive constant. Default 1. */
  k?: number;
}

/**
 * Local response normalisation across `size` neighbouring channels (AlexNet); see `localResponseNorm`.
 * @example new nn.LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75, k: 2 }) // AlexNet
 */
export class LocalResponseNorm extends Module {
  /** Channels in the window. */
  readonly size: number;
  /** Multiplier. */
  readonly alpha: number;
  /** Exponent. */
  readonly beta: number;
  /** Additive constant. */
  readonly k: number;
  /** Creates the layer; options default to PyTorch's. */
  constructor(size: number, options?: LocalResponseNormLayerOptions) {
    super();
    const L = 'LocalResponseNorm';
    const o = optionsArg(L, options);
    this.size = intArg(L, 'size', size);
    this.alpha = numArg(L, 'alpha', o.alpha, 1e-4);
    this.beta = numArg(L, 'beta', o.beta, 0.75);
    this.k = numArg(L, 'k', o.k, 1);
  }
  /** Normalises `[N, C, ...]` input. */
  override forward(x: Tensor): Tensor {
    return localResponseNorm(x, this.size, { alpha: this.alpha, beta: this.beta, k: this.k });
  }
  /** `size, alpha=…, beta=…, k=…`. */
  override extraRepr(): string {
    return `${this.size}, alpha=${this.alpha}, beta=${this.beta}, k=${this.k}`;
  }
}

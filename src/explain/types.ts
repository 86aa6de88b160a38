/**
 * The shared vocabulary of the explanation methods: what to explain (targets), where (layers), and what
 * a call resolves to.
 * @module
 */
import type { Tensor } from '../tensor';
import type { Module } from '../nn/module';

/**
 * A custom target: the score of one image, from that image's model output (the row `output[n]`, shape
 * `output.shape.slice(1)`), as a scalar tensor. It must be differentiable for the gradient methods.
 * @example const margin: ScoreFn = (row) => row.narrow(0, 3, 1).sub(row.narrow(0, 5, 1)).sum(); // class 3 over 5
 */
export type ScoreFn = (output: Tensor, index: number) => Tensor;

/** One image's target: a class index (its logit is the score) or a {@link ScoreFn}. */
export type Target = number | ScoreFn;

/**
 * Targets of a batch: one for all images, one per image, or an int32 tensor [N] of classes. Left out, each
 * image's predicted class (the arg-max of its output).
 */
export type Targets = Target | readonly Target[] | Tensor;

/** A layer named by its module path (`layer4.1`, `features.28`) or given as the module itself. */
export type LayerRef = string | Module;

/** Options common to the class-activation-map methods. */
export interface CamOptions {
  /**
   * The layer(s) whose activations are explained. Several layers give one map each, averaged into `maps`.
   * Default: the last module to finish with a 4-D output of more than one pixel (ResNet's `layer4`,
   * VGG's `features`).
   */
  layers?: LayerRef | readonly LayerRef[];
  /** What to explain; default each image's predicted class. */
  targets?: Targets;
  /** Masked or ablated copies per forward pass (Score-CAM, Ablation-CAM). Default 32. */
  batchSize?: number;
  /**
   * Test-time augmentation: the map is averaged over the input and its horizontal flip, each scaled by
   * 0.9, 1 and 1.1 (the flipped maps flipped back), which removes noise at six times the cost.
   */
  augSmooth?: boolean;
  /**
   * Replace the weighted sum over channels by the first principal component of the weighted
   * activations (as EigenCAM does with the plain activations): less noise, sharper objects.
   */
  eigenSmooth?: boolean;
}

/** The map of one target layer. */
export interface LayerMap {
  /** The layer's module path. */
  layer: string;
  /** [N, h, w] at the layer's resolution, after the ReLU, before normalisation and upsampling. */
  raw: Tensor;
}

/** What an explanation resolves to. */
export interface Explanation {
  /** `[N, H, W]`: upsampled to the input (bilinear) and normalised to [0, 1] per image; several layers averaged. */
  maps: Tensor;
  /** `[N, h, w]`: the first layer's map before normalisation and upsampling (see `layers` for all). */
  raw: Tensor;
  /** Every target layer's raw map, in the order given. */
  layers: LayerMap[];
  /** The target score of each image on the unmodified input (the logit for a class target). */
  scores: number[];
  /** The class each image was explained for, or null where a custom score function was used. */
  targets: (number | null)[];
}

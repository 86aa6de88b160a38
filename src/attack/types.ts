/**
 * The shared vocabulary of the attacks: labels, options every attack takes, and what an attack resolves to.
 * @module
 */
import type { Tensor } from '../tensor';

/** Class labels of a batch: an int32 tensor [N] or an array of numbers. */
export type Labels = Tensor | readonly number[];

/** Input normalisation the model expects, applied inside the attack (attacks work in pixel space). */
export interface Normalization {
  /** Per-channel means (or one for all channels). */
  mean: number | readonly number[];
  /** Per-channel standard deviations (or one for all channels). */
  std: number | readonly number[];
}

/** Options every attack takes. */
export interface AttackOptions {
  /**
   * The labels are target classes to reach (a targeted attack) rather than the true classes to move away
   * from. Default false.
   */
  targeted?: boolean;
  /** The valid pixel range; adversarial images stay inside. Default [0, 1]. */
  bounds?: readonly [number, number];
  /** The model's input normalisation: images are in pixel space, the model sees (x − mean)/std. */
  normalize?: Normalization;
  /**
   * Iterative attacks stop changing an image once it is fooled (misclassified, or classified as the
   * target), and stop altogether when every image is. Default false: all steps run (the strongest
   * attack inside the budget).
   */
  stopWhenFooled?: boolean;
}

/** Perturbation norms per image, in pixel space. */
export interface PerturbationNorms {
  /** Pixels (tensor elements) changed. */
  l0: number[];
  /** Euclidean norm. */
  l2: number[];
  /** Largest absolute change. */
  linf: number[];
}

/** What an attack resolves to. */
export interface AttackResult {
  /** The adversarial batch, same shape as the images, inside the bounds. */
  adversarial: Tensor;
  /** Per image: misclassified (untargeted) or classified as the target (targeted). */
  success: boolean[];
  /** Norms of adversarial − images. */
  norms: PerturbationNorms;
  /** The model's class for each adversarial image. */
  predictions: number[];
  /** Its softmax probability. */
  confidences: number[];
}

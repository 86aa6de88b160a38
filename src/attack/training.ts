/**
 * Adversarial training (Goodfellow et al. 2015; Madry et al. 2018): batches in which a fraction of the
 * images is replaced by adversarial ones made against the current model, synchronously, so that it fits
 * inside a training step (`train.trainEpoch`'s `transform`).
 * @module
 */
import { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import { noGrad } from '../autograd';
import { cat, narrow } from '../ops/indexing';
import { checkNumber } from '../ops/util';
import { Victim } from './victim';
import { lossDirection, project, randomStart, step } from './steps';
import type { Normalization } from './types';

/** Options of {@link adversarialBatch}. */
export interface AdversarialBatchOptions {
  /** 'fgsm' (one step) or 'pgd' (L∞, random start). Default 'fgsm'. */
  method?: 'fgsm' | 'pgd';
  /** The L∞ budget ε. */
  eps: number;
  /** PGD steps. Default 7. */
  steps?: number;
  /** PGD step size. Default 2.5·ε/steps. */
  alpha?: number;
  /** Fraction of each batch replaced (the first images). Default 0.5. */
  ratio?: number;
  /** Pixel bounds. Default [0, 1]. */
  bounds?: readonly [number, number];
  /** The model's input normalisation (images are in pixel space). */
  normalize?: Normalization;
}

/**
 * `[x', y]`: the batch with its first `ratio` of images replaced by FGSM or PGD examples against the model
 * (made in eval mode, so batch norm statistics are not updated by the attack's passes).
 * @example
 * await train.trainEpoch(net, loader, { optimizer, transform: (x, y) => attack.adversarialBatch(net, x, y, { eps: 0.2 }) });
 */
export function adversarialBatch(model: Module, images: Tensor, labels: Tensor, options: AdversarialBatchOptions): [Tensor, Tensor] {
  const op = 'adversarialBatch';
  const eps = checkNumber(op, 'eps', options?.eps, { min: 0 });
  const ratio = options.ratio === undefined ? 0.5 : checkNumber(op, 'ratio', options.ratio, { min: 0, max: 1 });
  const k = Math.round(images.shape[0] * ratio);
  if (k === 0) return [images, labels];
  const victim = new Victim(op, model, images, { bounds: options.bounds, normalize: options.normalize });
  const wasTraining = model.training;
  model.eval();
  try {
    const x = narrow(images, 0, 0, k);
    const y = narrow(labels, 0, 0, k);
    let adv: Tensor;
    if ((options.method ?? 'fgsm') === 'fgsm') {
      adv = victim.clip(step(x, lossDirection(victim, x, y, false), eps, 'linf'));
    } else {
      const steps = options.steps === undefined ? 7 : checkNumber(op, 'steps', options.steps, { min: 1, integer: true });
      const alpha = options.alpha === undefined ? (2.5 * eps) / steps : checkNumber(op, 'alpha', options.alpha, { min: 0 });
      adv = randomStart(victim, x, eps, 'linf');
      for (let s = 0; s < steps; s++) adv = project(victim, x, step(adv, lossDirection(victim, adv, y, false), alpha, 'linf'), eps, 'linf');
    }
    const mixed = noGrad(() => (k === images.shape[0] ? adv : cat([adv, narrow(images, 0, k, images.shape[0] - k)], 0)));
    return [mixed, labels];
  } finally {
    if (wasTraining) model.train();
    victim.dispose();
  }
}

/**
 * Fooling networks: adversarial examples from Szegedy's box-constrained L-BFGS to PGD, with one API.
 * Every attack is `attack.name(model, images, labels, options)`: images in pixel space (normalisation
 * handled inside), labels the true classes (or targets with `targeted: true`), resolving to
 * `{ adversarial, success, norms, predictions, confidences }`. Plus robustness reports and adversarial
 * training batches.
 * @example
 * import { attack } from 'deepscope';
 * const { adversarial, success } = await attack.pgd(net, images, labels, { eps: 0.1, steps: 40 });
 * @module
 */
export { fgsm, fgm, type FgsmOptions } from './fgsm';
export { bim, pgd, mifgsm, type IterativeOptions, type PgdOptions, type MiFgsmOptions } from './iterative';
export { cw, type CwOptions } from './cw';
export { deepfool, type DeepFoolOptions } from './deepfool';
export { lbfgs, type LbfgsOptions } from './lbfgs';
export { minimizeBox, type BatchedObjective, type BatchedValues, type BoxMinimum, type BoxLbfgsOptions } from './box-lbfgs';
export { robustness, plotRobustness, type Attack, type RobustnessOptions, type RobustnessReport } from './robustness';
export { adversarialBatch, type AdversarialBatchOptions } from './training';
export { classify, type Classification } from './victim';
export type { AttackOptions, AttackResult, Labels, Normalization, PerturbationNorms } from './types';
export type { Norm } from './steps';

/**
 * Optimizers (SGD, Adam, AdamW, RMSprop), learning-rate schedulers and gradient clipping, with PyTorch's
 * algorithms and names in camelCase (`torch.optim`, `torch.optim.lr_scheduler`, and
 * `torch.nn.utils.clip_grad_*`).
 *
 * @example
 * const opt = new optim.AdamW(params, { lr: 1e-3 });
 * const sched = new optim.CosineAnnealingLR(opt, epochs);
 * for (let e = 0; e < epochs; e++) {
 *   for (const [x, y] of batches) tidy(() => {
 *     opt.zeroGrad();
 *     loss(x, y).backward();
 *     optim.clipGradNorm_(params, 1.0);
 *     opt.step();
 *   });
 *   sched.step();
 * }
 * @module
 */
export { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, type OptimizerStateDict, type ParamGroupDict, type BaseOptions, type ZeroGradOptions, type HyperParam } from './optimizer';
export { SGD, type SGDOptions } from './sgd';
export { Adam, AdamW, type AdamOptions } from './adam';
export { RMSprop, type RMSpropOptions } from './rmsprop';
export {
  LRScheduler,
  StepLR,
  MultiStepLR,
  CosineAnnealingLR,
  OneCycleLR,
  type SchedulerStateDict,
  type StepLROptions,
  type MultiStepLROptions,
  type CosineAnnealingLROptions,
  type OneCycleLROptions,
} from './lr_scheduler';
export { clipGradNorm_, clipGradValue_, type ClipGradNormOptions } from './clip';
export { flattenOptimizerState, unflattenOptimizerState, OPTIMIZER_METADATA_KEY, type FlatOptimizerState } from './serialize';

/**
 * The functional forms of the layers, as `nn.functional` (PyTorch's `torch.nn.functional`). The same
 * functions are exported at the top level.
 * @module
 */
export { relu, leakyRelu, elu, sigmoid, tanh, hardtanh, softplus, gelu } from '../ops/elementwise';
export { linear } from '../ops/matmul';
export { conv2d, convTranspose2d, type Conv2dOptions, type ConvTranspose2dOptions, type Conv2dPadding, type Size2 } from '../ops/conv';
export { flatten } from '../ops/layout';
export { softmax, logSoftmax } from '../ops/softmax';
export {
  crossEntropy,
  nllLoss,
  mseLoss,
  l1Loss,
  smoothL1Loss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  type LossReduction,
  type CrossEntropyOptions,
  type NllLossOptions,
  type ReductionOptions,
  type SmoothL1Options,
  type BceOptions,
  type BceWithLogitsOptions,
} from '../ops/loss';
export { pad, type PadOptions, type PadMode } from '../ops/indexing';
export {
  maxPool2d,
  avgPool2d,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  type MaxPool2dOptions,
  type AvgPool2dOptions,
  type AdaptiveMaxPool2dOptions,
  type AdaptiveSize,
  type PoolSize,
} from '../ops/pool';
export { batchNorm, localResponseNorm, type BatchNormOptions, type LocalResponseNormOptions } from '../ops/norm';
export { interpolate, upsample, type InterpolateOptions, type InterpolateMode } from '../ops/resample';
export { dropout, dropout2d, type DropoutOptions } from '../ops/dropout';

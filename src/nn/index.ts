/**
 * Neural-network building blocks, PyTorch's `torch.nn`: {@link Module} and the layers, `nn.init` (weight
 * initialisation) and `nn.functional` (the stateless operations).
 *
 * See {@link Module} for how modules register their parameters, buffers and children, how they are called
 * (`m.call(x)` runs hooks; `forward` is what subclasses implement) and how state dicts work.
 * @example
 * import { nn, randn } from 'deepscope';
 * const model = new nn.Sequential(
 *   new nn.Conv2d(3, 16, 3, { padding: 1 }), new nn.BatchNorm2d(16), new nn.ReLU(),
 *   new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(16, 10),
 * );
 * const logits = model.call(randn([8, 3, 32, 32])); // [8, 10]
 * @module
 */
export * as functional from './functional';
export * as init from './init';
export {
  Module,
  StateDictError,
  type StateDict,
  type ForwardHook,
  type ForwardPreHook,
  type RemovableHandle,
  type ParameterOptions,
  type BufferOptions,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type ShapeMismatch,
} from './module';
export { Linear, type LinearOptions } from './layers/linear';
export { Conv2d, ConvTranspose2d, type Conv2dLayerOptions, type ConvTranspose2dLayerOptions } from './layers/conv';
export { BinaryConv2d, BinaryLinear, type BinaryMode, type BinaryLayerOptions, type BinaryConv2dLayerOptions } from './layers/binary';
export { ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Hardtanh, Softplus, GELU, type HardtanhOptions, type SoftplusOptions } from './layers/activation';
export { Sequential, ModuleList, ModuleDict } from './layers/container';
export { Flatten, Identity } from './layers/flatten';
export { Softmax, LogSoftmax } from './layers/activation';
export {
  BatchNorm1d,
  BatchNorm2d,
  LocalResponseNorm,
  type BatchNormLayerOptions,
  type LocalResponseNormLayerOptions,
} from './layers/normalization';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type MaxPool2dLayerOptions, type AvgPool2dLayerOptions } from './layers/pooling';
export { Dropout, Dropout2d, type DropoutLayerOptions } from './layers/dropout';
export { Upsample, type UpsampleOptions } from './layers/upsampling';
export { classScores, type HasClassScores } from './scores';
export {
  RNNBase,
  RNN,
  LSTM,
  GRU,
  RNNCell,
  LSTMCell,
  GRUCell,
  type RNNOptions,
  type ElmanRNNOptions,
  type RNNCellOptions,
  type RNNInput,
} from './layers/rnn';
export { foldBatchNorm, type FoldReport } from './fold';

/**
 * Model families. Each constructor takes an options object and builds an `nn.Module`; classifiers also
 * carry their loss and prediction rule ({@link Classifier}).
 * @module
 */
export {
  lenet5,
  lenet5Loss,
  LeNet5,
  LeNet5Modern,
  Subsampling,
  PartialConv,
  EuclideanRBF,
  C3_TABLE,
  scaledTanh,
  type Classifier,
  type LeNet5Options,
} from './lenet';
import { Classifier, lenet5 } from './lenet';

/** Names accepted by {@link create} (and the CLI's `--model`). */
export const MODEL_NAMES = ['lenet5', 'lenet5-modern'] as const;

/** A model by name, with default options. */
export function create(name: string): Classifier {
  switch (name) {
    case 'lenet5': return lenet5();
    case 'lenet5-modern': return lenet5({ modern: true });
  }
  throw new RangeError(`unknown model '${name}' (known: ${MODEL_NAMES.join(', ')})`);
}
export {
  DenseNet,
  DenseLayer,
  DenseBlock,
  DenseTransition,
  densenet121,
  densenet169,
  densenet201,
  densenet161,
  densenet264,
  type DenseNetOptions,
} from './densenet';
export {
  Highway,
  HighwayLinear,
  HighwayConv2d,
  PlainLinear,
  HighwayMLP,
  highwayMLP,
  type HighwayActivation,
  type HighwayLayerOptions,
  type HighwayMLPOptions,
} from './highway';
export {
  DiracNet,
  DiracConv2d,
  DiracBlock,
  diracDelta,
  diracnet18,
  diracnet34,
  type DiracNetOptions,
  type DiracConv2dOptions,
} from './diracnet';
export { simpnet, SimpNet, SAFPool, SIMPNET_CONFIGS, type SimpNetOptions } from './simpnet';
export {
  randwire,
  RandWireNet,
  RandWireStage,
  RandWireNode,
  SeparableConv2d,
  erdosRenyi,
  barabasiAlbert,
  wattsStrogatz,
  toDAG,
  generateGraph,
  countMultiplyAdds,
  type Graph,
  type DAG,
  type GraphSpec,
  type RandWireOptions,
} from './randwire';
export { vanillaCNN, VanillaCNN, tanhCriticalPoint, type VanillaCNNOptions, type VarianceSetting, type CriticalPoint } from './vanilla';
export { withInputUpsampling, InputUpsampling, type InputUpsamplingOptions } from './upsampling';

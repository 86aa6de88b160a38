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
export { simpnet, SimpNet, SAFPool, SIMPNET_CONFIGS, type SimpNetConfig, type SimpNetOptions } from './simpnet';
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
export {
  BasicBlock,
  Bottleneck,
  ResNet,
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
  plainResnet18,
  plainResnet34,
  plainResnet50,
  plainResnet101,
  plainResnet152,
  resnext,
  resnext50_32x4d,
  resnext50_2x64d,
  resnext50_64x4d,
  resnext101_32x4d,
  resnext101_32x8d,
  resnext101_64x4d,
  resnext101_2x64d,
  wideResnet101_1x100d,
  wide_resnet50_2,
  wide_resnet101_2,
  ShortcutA,
  CifarResNet,
  resnet20,
  resnet32,
  resnet44,
  resnet56,
  resnet110,
  type CifarResNetOptions,
  type BlockOptions,
  type BlockType,
  type ResNetOptions,
  type ResNeXtOptions,
} from './resnet';
export {
  BasicConv2d,
  InceptionNaive,
  Inception,
  InceptionAux,
  GoogLeNet,
  googlenet,
  GOOGLENET_TABLE1,
  type BasicConv2dOptions,
  type InceptionOptions,
  type GoogLeNetOutputs,
  type GoogLeNetOptions,
} from './googlenet';
export { alexnet, AlexNet, type AlexNetOptions } from './alexnet';
export {
  vgg,
  vgg11,
  vgg11_bn,
  vgg13,
  vgg13_bn,
  vgg16,
  vgg16_bn,
  vgg19,
  vgg19_bn,
  vggFeatures,
  VGG,
  VGG_CONFIGS,
  type VGGConfig,
  type VGGLayerSpec,
  type VGGOptions,
  type VGGConfigOptions,
  type VGGFeatures,
} from './vgg';
export { summary, formatSummary, layerMultAdds, type ModelSummary, type SummaryRow, type SummaryOptions } from './summary';
export {
  SequenceClassifier,
  CharRNN,
  type RecurrentKind,
  type SequenceClassifierOptions,
  type CharRNNOptions,
  type SampleOptions,
} from './rnn';
export { BinaryNet, BinaryBasicBlock, binaryLenet, xnorAlexnet, xnorResnet18, type BinaryNetOptions } from './xnor';

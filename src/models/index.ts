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

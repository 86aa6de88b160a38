/**
 * VGG (Simonyan & Zisserman, "Very deep convolutional networks for large-scale image recognition",
 * ICLR 2015): every configuration of the paper's Table 1, with torchvision's names, layout and
 * initialisation by default, and batch normalisation optional (torchvision's `_bn` models, which the paper
 * predates).
 *
 * ## Table 1
 * All convolutions are 3×3 with padding 1 (stride 1) except C's 1×1s; every block ends in a 2×2/2 max pool;
 * the classifier is 4096 → 4096 → classes with ReLU and dropout 0.5 after the two hidden layers.
 *
 * | config | weight layers | convolutions (M = max pool) | torchvision |
 * | --- | --- | --- | --- |
 * | A | 11 | 64 M 128 M 256 256 M 512 512 M 512 512 M | vgg11 |
 * | A-LRN | 11 | A with local response normalisation after the first convolution | — |
 * | B | 13 | 64 64 M 128 128 M 256 256 M 512 512 M 512 512 M | vgg13 |
 * | C | 16 | B with a third, 1×1 convolution in blocks 3, 4, 5 | — |
 * | D | 16 | 64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M | vgg16 |
 * | E | 19 | 64 64 M 128 128 M 256×4 M 512×4 M 512×4 M | vgg19 |
 *
 * ## Parameters (Table 2)
 * A convolution k×k from c to c' has c'·(c·k² + 1) parameters; the classifier has 25088·4096 + 4096 +
 * 4096·4096 + 4096 + 4096·1000 + 1000 = 123,642,856 of them. With the convolutions:
 *
 * | config | parameters | Table 2 |
 * | --- | --- | --- |
 * | A, A-LRN | 132,863,336 | 133 M |
 * | B | 133,047,848 | 133 M |
 * | C | 133,638,952 (D less 256²·8 + 2·512²·8 = 4,718,592 for the three 1×1s) | 134 M |
 * | D | 138,357,544 | 138 M |
 * | E | 143,667,240 | 144 M |
 *
 * Batch normalisation adds 2 parameters per channel of each convolution (and 2 running-statistics buffers):
 * vgg11_bn 132,868,840; vgg13_bn 133,053,736; vgg16_bn 138,365,992; vgg19_bn 143,678,248.
 *
 * ## torchvision and the paper
 * torchvision (default) puts an adaptive 7×7 average pool between `features` and `classifier`, so any
 * input of at least 32×32 works, and initialises convolutions with Kaiming normal (fan-out, ReLU), linear
 * layers N(0, 0.01²), biases 0. `{ paper: true }` leaves the pool out (the fully connected layers then need
 * the paper's 224×224 crops) and draws every weight from N(0, 0.01²) with zero biases (Section 3.1; the
 * paper initialised its deeper nets from A, or with Glorot's scheme in the post-submission note).
 * The LRN of A-LRN is Krizhevsky et al.'s (size 5, α = 1e-4, β = 0.75, k = 2).
 * @module
 */
import { Tensor } from '../tensor';
import { Generator } from '../random';
import { argmax } from '../ops/reduce';
import { crossEntropy } from '../ops/loss';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { ReLU } from '../nn/layers/activation';
import { MaxPool2d, AdaptiveAvgPool2d } from '../nn/layers/pooling';
import { BatchNorm2d, LocalResponseNorm } from '../nn/layers/normalization';
import { Dropout } from '../nn/layers/dropout';
import { Identity } from '../nn/layers/flatten';
import { Sequential } from '../nn/layers/container';
import { constant_, kaimingNormal_, normal_ } from '../nn/init';
import type { Classifier } from './lenet';

/** The configurations of Table 1. */
export type VGGConfig = 'A' | 'A-LRN' | 'B' | 'C' | 'D' | 'E';

/**
 * One entry of a configuration: `'M'` a 2×2/2 max pool, `'LRN'` local response normalisation, a number
 * a 3×3 convolution with that many filters, `[n, 1]` a 1×1 convolution with n filters.
 */
export type VGGLayerSpec = number | [number, 1] | 'M' | 'LRN';

/** The layers of each configuration of Table 1 (in the order of the table). */
export const VGG_CONFIGS: Readonly<Record<VGGConfig, readonly VGGLayerSpec[]>> = Object.freeze({
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  'A-LRN': [64, 'LRN', 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  C: [64, 64, 'M', 128, 128, 'M', 256, 256, [256, 1], 'M', 512, 512, [512, 1], 'M', 512, 512, [512, 1], 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
}) as Readonly<Record<VGGConfig, readonly VGGLayerSpec[]>>;

/** Options of {@link vgg} and the named constructors. */
export interface VGGOptions {
  /** Classes of the last layer. Default 1000. */
  numClasses?: number;
  /** Batch normalisation after every convolution (torchvision's `_bn`). Default false. */
  batchNorm?: boolean;
  /** The paper's variant: no adaptive pool (224×224 input), N(0, 0.01²) weights. Default false. */
  paper?: boolean;
  /** Dropout probability of the classifier. Default 0.5. */
  dropout?: number;
  /** Multiplies every convolution's filter count (reduced variants; rounded). Default 1. */
  widthMultiplier?: number;
  /** Width of the two hidden fully connected layers. Default 4096. */
  hidden?: number;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

/** Options of {@link vgg}: a configuration of Table 1 and the common options. */
export interface VGGConfigOptions extends VGGOptions {
  /** The configuration of Table 1. Default 'D' (VGG-16). */
  config?: VGGConfig;
}

/** What {@link vggFeatures} returns. */
export interface VGGFeatures {
  /** The layers, numbered as torchvision numbers them. */
  features: Sequential;
  /** Channels of the last convolution. */
  outChannels: number;
}

/**
 * The `features` part of a VGG: the configuration's convolutions (each followed by batch norm when asked,
 * then ReLU), LRN and max pools as one `Sequential`, numbered as torchvision numbers them
 * (`features.0.weight`, ...).
 */
export function vggFeatures(
  cfg: readonly VGGLayerSpec[],
  options: { batchNorm?: boolean; widthMultiplier?: number; generator?: Generator } = {},
): VGGFeatures {
  const layers: Module[] = [];
  const m = options.widthMultiplier ?? 1;
  let c = 3;
  for (const spec of cfg) {
    if (spec === 'M') layers.push(new MaxPool2d(2, { stride: 2 }));
    else if (spec === 'LRN') layers.push(new LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75, k: 2 }));
    else {
      const [n, k] = typeof spec === 'number' ? [spec, 3] : spec;
      const out = Math.max(1, Math.round(n * m));
      layers.push(new Conv2d(c, out, k, { padding: k === 3 ? 1 : 0, generator: options.generator }));
      if (options.batchNorm) layers.push(new BatchNorm2d(out));
      layers.push(new ReLU());
      c = out;
    }
  }
  return { features: new Sequential(...layers), outChannels: c };
}

/**
 * A VGG network: `features`, `avgpool` (adaptive 7×7, or identity in the paper's variant) and
 * `classifier`, with torchvision's names so that its state dicts load. See the module description.
 * @example
 * const net = new models.VGG(models.VGG_CONFIGS.D, { batchNorm: true }); // = models.vgg16_bn()
 */
export class VGG extends Module implements Classifier {
  /** Convolutions, (batch norms,) ReLUs and pools. */
  declare features: Sequential;
  /** Adaptive average pool to 7×7 (torchvision), or identity (`paper`). */
  declare avgpool: Module;
  /** Linear → ReLU → Dropout → Linear → ReLU → Dropout → Linear. */
  declare classifier: Sequential;

  /** Builds the network from a layer list (a {@link VGG_CONFIGS} entry or your own). */
  constructor(cfg: readonly VGGLayerSpec[], options: VGGOptions = {}) {
    super();
    const generator = options.generator;
    const { features, outChannels } = vggFeatures(cfg, options);
    this.registerModule('features', features);
    this.registerModule('avgpool', options.paper ? new Identity() : new AdaptiveAvgPool2d([7, 7]));
    const hidden = options.hidden ?? 4096;
    const p = options.dropout ?? 0.5;
    this.registerModule(
      'classifier',
      new Sequential(
        new Linear(outChannels * 49, hidden, { generator }), new ReLU(), new Dropout(p, { generator }),
        new Linear(hidden, hidden, { generator }), new ReLU(), new Dropout(p, { generator }),
        new Linear(hidden, options.numClasses ?? 1000, { generator }),
      ),
    );
    for (const layer of this.modules()) {
      if (layer instanceof Conv2d) {
        if (options.paper) normal_(layer.weight, 0, 0.01, { generator });
        else kaimingNormal_(layer.weight, { mode: 'fanOut', nonlinearity: 'relu', generator });
        constant_(layer.bias!, 0);
      } else if (layer instanceof BatchNorm2d) {
        constant_(layer.weight!, 1);
        constant_(layer.bias!, 0);
      } else if (layer instanceof Linear) {
        normal_(layer.weight, 0, 0.01, { generator });
        constant_(layer.bias!, 0);
      }
    }
  }

  /** [N, 3, H, W] → [N, numClasses] logits (H = W = 224 in the paper's variant, ≥ 32 otherwise). */
  override forward(x: Tensor): Tensor {
    const h = this.avgpool.call(this.features.call(x));
    return this.classifier.call(h.flatten(1));
  }

  /** Softmax cross-entropy on the logits. */
  loss(output: Tensor, target: Tensor): Tensor {
    return crossEntropy(output, target);
  }

  /** The class of the largest logit. */
  predict(output: Tensor): Tensor {
    return argmax(output, 1);
  }
}

/**
 * A VGG of any configuration of Table 1 (`config`, default 'D'), e.g. `vgg({ config: 'A-LRN' })` or
 * `vgg({ config: 'C' })` (the 1×1 convolutions); the torchvision names below cover A, B, D and E.
 */
export function vgg(options: VGGConfigOptions = {}): VGG {
  const config = options.config ?? 'D';
  const cfg = VGG_CONFIGS[config];
  if (!cfg) throw new RangeError(`vgg: unknown config '${String(config)}' (known: ${Object.keys(VGG_CONFIGS).join(', ')})`);
  return new VGG(cfg, options);
}

/** VGG-11, configuration A: 132,863,336 parameters (Table 2: 133 M). */
export function vgg11(options: VGGOptions = {}): VGG {
  return vgg({ ...options, config: 'A', batchNorm: false });
}
/** VGG-11 with batch normalisation: 132,868,840 parameters. */
export function vgg11_bn(options: VGGOptions = {}): VGG {
  return vgg({ ...options, config: 'A', batchNorm: true });
}
/** VGG-13, configuration B: 133,047,848 parameters (Table 2: 133 M). */
export function vgg13(options: VGGOptions = {}): VGG {
  return vgg({ ...options, config: 'B', batchNorm: false });
}
/** VGG-13 with batch normalisation: 133,053,736 parameters. */
export function vgg13_bn(options: VGGOptions = {}): VGG {
  return vgg({ ...options, config: 'B', batchNorm: true });
}
/** VGG-16, configuration D: 138,357,544 parameters (Table 2: 138 M). */
export function vgg16(options: VGGOptions = {}): VGG {
  return vgg({ ...options, config: 'D', batchNorm: false });
}
/** VGG-16 with batch normalisation: 138,365,992 parameters. */
export function vgg16_bn(options: VGGOptions = {}): VGG {
  return vgg({ ...options, config: 'D', batchNorm: true });
}
/** VGG-19, configuration E: 143,667,240 parameters (Table 2: 144 M). */
export function vgg19(options: VGGOptions = {}): VGG {
  return vgg({ ...options, config: 'E', batchNorm: false });
}
/** VGG-19 with batch normalisation: 143,678,248 parameters. */
export function vgg19_bn(options: VGGOptions = {}): VGG {
  return vgg({ ...options, config: 'E', batchNorm: true });
}

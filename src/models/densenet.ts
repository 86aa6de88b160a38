/**
 * DenseNet-BC (Huang, Liu, van der Maaten & Weinberger, "Densely connected convolutional networks",
 * CVPR 2017), exactly as torchvision builds it, so that torchvision's state dicts load name for name
 * (`features.denseblock1.denselayer1.norm1.running_mean`, `features.transition1.conv.weight`,
 * `classifier.bias`).
 *
 * Each dense layer is BN → ReLU → 1×1 conv (bottleneck, `bnSize·k` maps) → BN → ReLU → 3×3 conv (k maps,
 * the growth rate) and sees the concatenation of all earlier maps of its block. Between blocks, a
 * transition (BN → ReLU → 1×1 conv to ⌊θ·m⌋ maps → 2×2 average pooling) compresses by θ (0.5: "BC").
 * The stem is a 7×7/2 convolution to `numInitFeatures` maps, BN, ReLU and a 3×3/2 max pooling; the head
 * BN (`norm5`) → ReLU → global average pooling → linear.
 *
 * Parameters of a dense layer with m input maps (k growth, b = bnSize): 2m (norm1) + m·b·k (conv1) +
 * 2·b·k (norm2) + 9·b·k·k (conv2). A transition from m maps: 2m + m·⌊θm⌋. Summed over the blocks, with
 * the stem's 3·49·c₀ + 2c₀, the head's 2m + (m + 1)·classes:
 *
 * | network | k | blocks | c₀ | parameters |
 * | --- | --- | --- | --- | --- |
 * | densenet121 | 32 | 6, 12, 24, 16 | 64 | 7,978,856 |
 * | densenet169 | 32 | 6, 12, 32, 32 | 64 | 14,149,480 |
 * | densenet201 | 32 | 6, 12, 48, 32 | 64 | 20,013,928 |
 * | densenet161 | 48 | 6, 12, 36, 24 | 96 | 28,681,000 |
 * | densenet264 | 32 | 6, 12, 64, 48 | 64 | 33,337,704 |
 *
 * DenseNet-264 is in the paper's Table 1 but not in torchvision; its count follows from the same
 * construction (1000 classes) and is checked in the tests against the closed form above.
 * @module
 */
import { Tensor } from '../tensor';
import { Generator } from '../random';
import { cat } from '../ops/indexing';
import { relu } from '../ops/elementwise';
import { dropout } from '../ops/dropout';
import { adaptiveAvgPool2d } from '../ops/pool';
import { crossEntropy } from '../ops/loss';
import { argmax } from '../ops/reduce';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { ReLU } from '../nn/layers/activation';
import { BatchNorm2d } from '../nn/layers/normalization';
import { MaxPool2d, AvgPool2d } from '../nn/layers/pooling';
import { Sequential } from '../nn/layers/container';
import { constant_, kaimingNormal_ } from '../nn/init';
import type { Classifier } from './lenet';

/**
 * One dense layer (torchvision's `_DenseLayer`): BN → ReLU → 1×1 conv to `bnSize·growthRate` → BN → ReLU →
 * 3×3 conv to `growthRate`, on the concatenation of its inputs; dropout after when `dropRate > 0`.
 */
export class DenseLayer extends Module {
  /** BN of the concatenated input. */
  declare norm1: BatchNorm2d;
  /** ReLU after `norm1`. */
  declare relu1: ReLU;
  /** 1×1 bottleneck convolution. */
  declare conv1: Conv2d;
  /** BN of the bottleneck. */
  declare norm2: BatchNorm2d;
  /** ReLU after `norm2`. */
  declare relu2: ReLU;
  /** 3×3 convolution to `growthRate` maps. */
  declare conv2: Conv2d;

  /** A layer reading `numInputFeatures` maps. */
  constructor(
    /** Maps of the concatenated input. */ readonly numInputFeatures: number,
    /** Maps it adds (k). */ readonly growthRate: number,
    /** Bottleneck width factor (b: the 1×1 conv has b·k maps). */ readonly bnSize: number,
    /** Dropout probability after the 3×3 conv. */ readonly dropRate: number,
    options: { generator?: Generator } = {},
  ) {
    super();
    const { generator } = options;
    this.registerModule('norm1', new BatchNorm2d(numInputFeatures));
    this.registerModule('relu1', new ReLU());
    this.registerModule('conv1', new Conv2d(numInputFeatures, bnSize * growthRate, 1, { bias: false, generator }));
    this.registerModule('norm2', new BatchNorm2d(bnSize * growthRate));
    this.registerModule('relu2', new ReLU());
    this.registerModule('conv2', new Conv2d(bnSize * growthRate, growthRate, 3, { padding: 1, bias: false, generator }));
  }

  /** The earlier maps (one tensor or a list, concatenated on channels) → `[N, growthRate, H, W]`. */
  override forward(inputs: Tensor | Tensor[]): Tensor {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : cat(inputs, 1)) : inputs;
    const b = this.conv1.call(this.relu1.call(this.norm1.call(x)));
    const y = this.conv2.call(this.relu2.call(this.norm2.call(b)));
    return this.dropRate > 0 ? dropout(y, this.dropRate, { training: this.training }) : y;
  }
}

/** A dense block (torchvision's `_DenseBlock`): `numLayers` dense layers `denselayer1`, ..., each fed every earlier map. */
export class DenseBlock extends Module {
  /** A block of `numLayers` layers on `numInputFeatures` maps; outputs `numInputFeatures + numLayers·growthRate`. */
  constructor(
    /** Number of dense layers. */ readonly numLayers: number,
    /** Maps of the block's input. */ readonly numInputFeatures: number,
    /** Bottleneck width factor. */ bnSize: number,
    /** Maps each layer adds. */ readonly growthRate: number,
    /** Dropout after each layer. */ dropRate: number,
    options: { generator?: Generator } = {},
  ) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.registerModule(`denselayer${i + 1}`, new DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize, dropRate, options));
    }
  }

  /** Maps of the output. */
  get numOutputFeatures(): number {
    return this.numInputFeatures + this.numLayers * this.growthRate;
  }

  /** `[N, m, H, W]` → `[N, m + numLayers·growthRate, H, W]`. */
  override forward(x: Tensor): Tensor {
    const features = [x];
    for (const layer of this.children()) features.push((layer as DenseLayer).call(features));
    return cat(features, 1);
  }
}

/** A transition (torchvision's `_Transition`): BN → ReLU → 1×1 conv → 2×2 average pooling. */
export class DenseTransition extends Sequential {
  /** From `numInputFeatures` to `numOutputFeatures` maps, halving the resolution. */
  constructor(numInputFeatures: number, numOutputFeatures: number, options: { generator?: Generator } = {}) {
    super({
      norm: new BatchNorm2d(numInputFeatures),
      relu: new ReLU(),
      conv: new Conv2d(numInputFeatures, numOutputFeatures, 1, { bias: false, generator: options.generator }),
      pool: new AvgPool2d(2, { stride: 2 }),
    });
  }
}

/** Options of {@link DenseNet} and the `densenet*` constructors. */
export interface DenseNetOptions {
  /** Maps each dense layer adds (k). Default 32 (48 for densenet161). */
  growthRate?: number;
  /** Dense layers per block. Default (6, 12, 24, 16) (densenet121). */
  blockConfig?: readonly number[];
  /** Maps of the stem convolution. Default 64 (96 for densenet161). */
  numInitFeatures?: number;
  /** Bottleneck factor: the 1×1 convolution has `bnSize·growthRate` maps. Default 4. */
  bnSize?: number;
  /** Compression θ of the transitions (⌊θ·m⌋ maps out). Default 0.5 (DenseNet-BC). */
  compression?: number;
  /** Dropout after each dense layer. Default 0. */
  dropRate?: number;
  /** Classes of the classifier. Default 1000. */
  numClasses?: number;
  /** Input channels. Default 3. */
  inChannels?: number;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

/**
 * DenseNet(-BC) as torchvision builds it: `features` (conv0, norm0, relu0, pool0, denseblock1,
 * transition1, ..., denseblockN, norm5) and `classifier`. Initialisation as torchvision: Kaiming-normal
 * convolutions, BN weight 1 and bias 0, linear bias 0. Input [N, 3, H, W] with H, W ≥ 32 (224 in the paper).
 */
export class DenseNet extends Module implements Classifier {
  /** The stem, the dense blocks and transitions, and `norm5`. */
  declare features: Sequential;
  /** The final linear layer. */
  declare classifier: Linear;
  /** Maps entering the classifier. */
  readonly numFeatures: number;

  /** Builds the network; see {@link DenseNetOptions}. */
  constructor(options: DenseNetOptions = {}) {
    super();
    const growthRate = options.growthRate ?? 32;
    const blockConfig = options.blockConfig ?? [6, 12, 24, 16];
    const init = options.numInitFeatures ?? 64;
    const bnSize = options.bnSize ?? 4;
    const compression = options.compression ?? 0.5;
    const dropRate = options.dropRate ?? 0;
    const generator = options.generator;
    if (!(compression > 0 && compression <= 1)) throw new RangeError(`DenseNet: compression must be in (0, 1], got ${compression}`);
    const layers: Record<string, Module> = {
      conv0: new Conv2d(options.inChannels ?? 3, init, 7, { stride: 2, padding: 3, bias: false, generator }),
      norm0: new BatchNorm2d(init),
      relu0: new ReLU(),
      pool0: new MaxPool2d(3, { stride: 2, padding: 1 }),
    };
    let m = init;
    blockConfig.forEach((n, i) => {
      const block = new DenseBlock(n, m, bnSize, growthRate, dropRate, { generator });
      layers[`denseblock${i + 1}`] = block;
      m = block.numOutputFeatures;
      if (i !== blockConfig.length - 1) {
        const out = Math.floor(m * compression);
        layers[`transition${i + 1}`] = new DenseTransition(m, out, { generator });
        m = out;
      }
    });
    layers.norm5 = new BatchNorm2d(m);
    this.numFeatures = m;
    this.registerModule('features', new Sequential(layers));
    this.registerModule('classifier', new Linear(m, options.numClasses ?? 1000, { generator }));
    for (const mod of this.modules()) {
      if (mod instanceof Conv2d) kaimingNormal_(mod.weight, { generator });
      else if (mod instanceof BatchNorm2d) {
        constant_(mod.weight!, 1);
        constant_(mod.bias!, 0);
      } else if (mod instanceof Linear) constant_(mod.bias!, 0);
    }
  }

  /** [N, C, H, W] → [N, numClasses] logits. */
  override forward(x: Tensor): Tensor {
    const f = relu(this.features.call(x));
    return this.classifier.call(adaptiveAvgPool2d(f, 1).flatten(1));
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

type Preset = Omit<DenseNetOptions, 'growthRate' | 'blockConfig' | 'numInitFeatures'> & Partial<Pick<DenseNetOptions, 'growthRate' | 'blockConfig' | 'numInitFeatures'>>;

/** DenseNet-BC-121 (k = 32, blocks 6, 12, 24, 16): 7,978,856 parameters. */
export function densenet121(options: Preset = {}): DenseNet {
  return new DenseNet({ growthRate: 32, blockConfig: [6, 12, 24, 16], numInitFeatures: 64, ...options });
}

/** DenseNet-BC-169 (k = 32, blocks 6, 12, 32, 32): 14,149,480 parameters. */
export function densenet169(options: Preset = {}): DenseNet {
  return new DenseNet({ growthRate: 32, blockConfig: [6, 12, 32, 32], numInitFeatures: 64, ...options });
}

/** DenseNet-BC-201 (k = 32, blocks 6, 12, 48, 32): 20,013,928 parameters. */
export function densenet201(options: Preset = {}): DenseNet {
  return new DenseNet({ growthRate: 32, blockConfig: [6, 12, 48, 32], numInitFeatures: 64, ...options });
}

/** DenseNet-BC-161 (k = 48, blocks 6, 12, 36, 24, 96 initial maps): 28,681,000 parameters. */
export function densenet161(options: Preset = {}): DenseNet {
  return new DenseNet({ growthRate: 48, blockConfig: [6, 12, 36, 24], numInitFeatures: 96, ...options });
}

/** DenseNet-BC-264 of the paper's Table 1 (k = 32, blocks 6, 12, 64, 48; not in torchvision): 33,337,704 parameters. */
export function densenet264(options: Preset = {}): DenseNet {
  return new DenseNet({ growthRate: 32, blockConfig: [6, 12, 64, 48], numInitFeatures: 64, ...options });
}

/**
 * SimpNet (Hasanpour, Rouhani, Fayyaz, Sabokrou & Adeli, "Towards principled design of deep
 * convolutional networks: introducing SimpNet", 2018), with SAF-pooling.
 *
 * A plain 13-layer stack of 3×3 convolutions (stride 1, padding 1), each followed by batch norm, ReLU and
 * dropout; two SAF-pooling stages (2×2 max-pool, stride 2, followed by dropout: "Simple Adaptive Feature
 * composition pooling") after layers 5 and 10, a global max-pool with dropout and one linear classifier.
 *
 * The widths are those of the authors' reference definitions (Coderx7/SimpNet,
 * `SimpNetV2/Architectures/CIFAR10/{5Mil,8.9Mil}/*.prototxt`; the 5 M widths are also those of the
 * authors' PyTorch port):
 *
 * | config | widths (pools after the 5th and 10th) | parameters here (10 classes) |
 * | --- | --- | --- |
 * | `'5m'` | 66, 128, 128, 128, 192 ‖ 192, 192, 192, 192, 288 ‖ 288, 355, 432 | 5,478,223 |
 * | `'8m'` | 128, 182, 182, 182, 182 ‖ 182, 182, 182, 182, 430 ‖ 430, 455, 600 | 8,902,729 |
 * | `'600k'` | 40, 60, 60, 60, 72 ‖ 73, 73, 73, 75, 81 ‖ 82, 90, 120 | 601,021 |
 * | `'300k'` | 30, 40, 40, 40, 50 ‖ 50, 50, 50, 50, 58 ‖ 58, 70, 90 | 300,964 |
 *
 * The count is Σ (9·cin·cout + cout) over the convolutions, plus 2·cout for each batch norm's affine
 * weight and bias (Caffe's `Scale` layer), plus 600·10 + 10 (resp. 432·10 + 10) for the classifier; the
 * running statistics are buffers and not counted. These reproduce the paper's "5.48 M" and "8.9 M" to
 * the precision it reports (the authors' later PyTorch port drops one 192-wide layer and has 5,145,871).
 * We build the reference prototxts' widths, which is what their released weights
 * need. The slim networks are the paper's 300 K and 600 K CIFAR-10 models, from the same repository's
 * `SimpNetV2/Experiments/Slim Test/CIFAR10/{300K_93.25,600K_94.03}` prototxts, counted the same way.
 * Dropout follows the prototxts: 0.2 everywhere for `'8m'`; for `'5m'` 0.2 up to the second pooling and
 * 0.3 from there on; 0.1 then 0.2 for `'600k'`; none for `'300k'` (its prototxt has every dropout layer
 * commented out). Other widths: pass `widths` (13 numbers).
 * @module
 */
import { Tensor } from '../tensor';
import { Generator } from '../random';
import { argmax } from '../ops/reduce';
import { adaptiveMaxPool2d } from '../ops/pool';
import { crossEntropy } from '../ops/loss';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { ReLU } from '../nn/layers/activation';
import { MaxPool2d } from '../nn/layers/pooling';
import { Dropout } from '../nn/layers/dropout';
import { BatchNorm2d } from '../nn/layers/normalization';
import { Sequential } from '../nn/layers/container';
import { xavierUniform_, zeros_ } from '../nn/init';
import type { Classifier } from './lenet';

/** SAF-pooling: 2×2 max-pool with stride 2, then dropout (`p`, 0.2 by default). */
export class SAFPool extends Sequential {
  /** `p`: the dropout probability after the pooling. */
  constructor(p = 0.2, options: { generator?: Generator } = {}) {
    super({ pool: new MaxPool2d(2, { stride: 2 }), drop: new Dropout(p, { generator: options.generator }) });
  }
}

/** The reference configurations: 5.48 M and 8.9 M parameters, and the slim 600 K and 300 K networks. */
export type SimpNetConfig = '5m' | '8m' | '600k' | '300k';

/** The widths of the 13 convolutions of the reference configurations. */
export const SIMPNET_CONFIGS: Readonly<Record<SimpNetConfig, readonly number[]>> = {
  '5m': [66, 128, 128, 128, 192, 192, 192, 192, 192, 288, 288, 355, 432],
  '8m': [128, 182, 182, 182, 182, 182, 182, 182, 182, 430, 430, 455, 600],
  '600k': [40, 60, 60, 60, 72, 73, 73, 73, 75, 81, 82, 90, 120],
  '300k': [30, 40, 40, 40, 50, 50, 50, 50, 50, 58, 58, 70, 90],
};

/** The reference configurations' dropout probabilities, before and after the second pooling. */
const SIMPNET_DROPOUT: Readonly<Record<SimpNetConfig, readonly [number, number]>> = {
  '5m': [0.2, 0.3],
  '8m': [0.2, 0.2],
  '600k': [0.1, 0.2],
  '300k': [0, 0],
};

/** Options of {@link simpnet}. */
export interface SimpNetOptions {
  /** Reference configuration: `'5m'` (default), `'8m'` (the 8.9 M network), or the slim `'600k'` and `'300k'`. */
  config?: SimpNetConfig;
  /** Custom widths, 13 numbers; overrides `config`'s widths. */
  widths?: readonly number[];
  /** Classes. Default 10. */
  numClasses?: number;
  /** Input channels. Default 3. */
  inChannels?: number;
  /** Dropout probabilities: before and after the second pooling. Default the config's ([0.2, 0.3] for '5m', [0.2, 0.2] for '8m', [0.1, 0.2] for '600k', none for '300k'). */
  dropout?: readonly [number, number];
  /** Stream for the initial weights and the dropout masks. */
  generator?: Generator;
}

/**
 * SimpNet: `features` (13 × conv-BN-ReLU with dropout or SAF-pooling, names `features.<i>`), a global max
 * pool with dropout, and `classifier` (linear). Works on any input of at least 4×4 pixels.
 */
export class SimpNet extends Module implements Classifier {
  /** The convolutional stack. */
  declare features: Sequential;
  /** Dropout after the global max-pool. */
  declare drop: Dropout;
  /** The linear classifier. */
  declare classifier: Linear;
  /** The 13 convolution widths. */
  readonly widths: readonly number[];

  /** Builds the network; see {@link SimpNetOptions}. */
  constructor(options: SimpNetOptions = {}) {
    super();
    const config = options.config ?? '5m';
    if (!(config in SIMPNET_CONFIGS)) {
      throw new RangeError(`SimpNet: config must be one of ${Object.keys(SIMPNET_CONFIGS).join(', ')}, got ${String(config)}`);
    }
    const widths = options.widths ?? SIMPNET_CONFIGS[config];
    if (widths.length !== 13) throw new RangeError(`SimpNet: widths must have 13 entries, got ${widths.length}`);
    this.widths = [...widths];
    const [p1, p2] = options.dropout ?? SIMPNET_DROPOUT[config];
    const generator = options.generator;
    const layers: Module[] = [];
    let cin = options.inChannels ?? 3;
    widths.forEach((w, i) => {
      const conv = new Conv2d(cin, w, 3, { padding: 1, generator });
      xavierUniform_(conv.weight, { generator });
      zeros_(conv.bias!);
      layers.push(conv, new BatchNorm2d(w, { eps: 1e-5, momentum: 0.05 }), new ReLU());
      const p = i >= 9 ? p2 : p1;
      if (i === 4 || i === 9) layers.push(new SAFPool(p, { generator }));
      else if (i < 12) layers.push(new Dropout(p, { generator }));
      cin = w;
    });
    this.registerModule('features', new Sequential(...layers));
    this.registerModule('drop', new Dropout(p2, { generator }));
    this.registerModule('classifier', new Linear(cin, options.numClasses ?? 10, { generator }));
  }

  /** [N, C, H, W] → [N, classes] logits. */
  override forward(x: Tensor): Tensor {
    const h = adaptiveMaxPool2d(this.features.call(x), 1).flatten(1);
    return this.classifier.call(this.drop.call(h));
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
 * SimpNet with SAF-pooling; `{ config: '8m' }` for the 8.9 M network, `'600k'` and `'300k'` for the slim ones.
 * @example const net = models.simpnet({ numClasses: 10 }); // 5,478,223 parameters, CIFAR-10 32×32 input
 * @example const slim = models.simpnet({ config: '300k' }); // 300,964 parameters
 */
export function simpnet(options: SimpNetOptions = {}): SimpNet {
  return new SimpNet(options);
}

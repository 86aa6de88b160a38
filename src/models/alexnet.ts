/**
 * AlexNet (Krizhevsky, Sutskever & Hinton, "ImageNet classification with deep convolutional neural
 * networks", NeurIPS 2012), as torchvision builds it (the default, whose weights load one to one) and as
 * the paper describes it (`{ paper: true }`).
 *
 * ## torchvision's single tower (default), 61,100,840 parameters
 * torchvision follows the "one weird trick" single-GPU variant (Krizhevsky 2014): 64-192-384-256-256
 * filters, no LRN, no groups, an adaptive 6×6 average pool, dropout before the first two linear layers.
 *
 * | layer | shape (224×224 input) | parameters |
 * | --- | --- | --- |
 * | features.0 conv 11×11/4 pad 2, 64 | 64×55×55 | 64·(3·121) + 64 = 23,296 |
 * | features.3 conv 5×5 pad 2, 192 | 192×27×27 | 192·(64·25) + 192 = 307,392 |
 * | features.6 conv 3×3, 384 | 384×13×13 | 384·(192·9) + 384 = 663,936 |
 * | features.8 conv 3×3, 256 | 256×13×13 | 256·(384·9) + 256 = 884,992 |
 * | features.10 conv 3×3, 256 | 256×13×13 | 256·(256·9) + 256 = 590,080 |
 * | classifier.1 9216 → 4096 | | 37,752,832 |
 * | classifier.4 4096 → 4096 | | 16,781,312 |
 * | classifier.6 4096 → 1000 | | 4,097,000 |
 *
 * Total **61,100,840**.
 *
 * ## The paper's two towers (`paper: true`), 60,965,224 parameters
 * Section 3.5 and Figure 2: 96-256-384-384-256 filters split over two GPUs. The cross-GPU connections exist
 * only into conv3 and the fully connected layers, so conv2, conv4 and conv5 are grouped convolutions with
 * `groups: 2`. Local response normalisation (size 5, α = 1e-4, β = 0.75, k = 2, Section 3.3) follows the
 * ReLU of conv1 and conv2, before their overlapping 3×3/2 max pools (Section 3.4). The input is 227×227
 * (the "224" of the paper does not divide: (227 − 11)/4 + 1 = 55, the 55×55 of Figure 2). Weights start
 * N(0, 0.01²), biases 1 in conv2, conv4, conv5 and the hidden fully connected layers, 0 elsewhere
 * (Section 5).
 *
 * conv1 96·363 + 96 = 34,944; conv2 256·(48·25) + 256 = 307,456; conv3 384·(256·9) + 384 = 885,120;
 * conv4 384·(192·9) + 384 = 663,936; conv5 256·(192·9) + 256 = 442,624; fc6 9216·4096 + 4096 = 37,752,832;
 * fc7 16,781,312; fc8 4,097,000; total **60,965,224** (the paper's "60 million").
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
import { LocalResponseNorm } from '../nn/layers/normalization';
import { Dropout } from '../nn/layers/dropout';
import { Identity } from '../nn/layers/flatten';
import { Sequential } from '../nn/layers/container';
import { constant_, normal_ } from '../nn/init';
import type { Classifier } from './lenet';

/** Options of {@link alexnet}. */
export interface AlexNetOptions {
  /** Classes of the last layer. Default 1000. */
  numClasses?: number;
  /** The paper's two-tower network (LRN, grouped conv2/4/5, 96-256-384-384-256 filters). Default false. */
  paper?: boolean;
  /** Dropout probability of the classifier. Default 0.5. */
  dropout?: number;
  /**
   * Multiplies every convolution's filter count and the hidden fully connected width (reduced variants
   * for experiments; channel counts are rounded, and kept even in the paper's two towers). Default 1.
   */
  widthMultiplier?: number;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

function scale(c: number, m: number, even = false): number {
  const v = Math.max(1, Math.round(c * m));
  return even ? Math.max(2, 2 * Math.round(v / 2)) : v;
}

/**
 * AlexNet: `features` (convolutions and pools), `avgpool`, `classifier` (dropout and linear layers), with
 * torchvision's names. See the module description for both variants and their parameter counts.
 * @example
 * const net = models.alexnet();                 // torchvision's, 61,100,840 parameters
 * const paper = models.alexnet({ paper: true }); // two towers with LRN, 227×227 inputs
 */
export class AlexNet extends Module implements Classifier {
  /** The convolutional part. */
  declare features: Sequential;
  /** torchvision: adaptive average pool to 6×6; the paper: identity (its 227×227 input gives 6×6). */
  declare avgpool: Module;
  /** Dropout and the three fully connected layers (the paper's fc6, fc7, fc8). */
  declare classifier: Sequential;
  /** Whether this is the paper's two-tower network. */
  readonly paper: boolean;

  /** Builds the network; see {@link AlexNetOptions}. */
  constructor(options: AlexNetOptions = {}) {
    super();
    const paper = options.paper ?? false;
    this.paper = paper;
    const m = options.widthMultiplier ?? 1;
    const classes = options.numClasses ?? 1000;
    const p = options.dropout ?? 0.5;
    const generator = options.generator;
    const g = { generator };
    let last: number;
    if (paper) {
      const [c1, c2, c3, c4, c5] = [96, 256, 384, 384, 256].map((c) => scale(c, m, true));
      const lrn = () => new LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75, k: 2 });
      this.registerModule(
        'features',
        new Sequential(
          new Conv2d(3, c1, 11, { stride: 4, ...g }), new ReLU(), lrn(), new MaxPool2d(3, { stride: 2 }),
          new Conv2d(c1, c2, 5, { padding: 2, groups: 2, ...g }), new ReLU(), lrn(), new MaxPool2d(3, { stride: 2 }),
          new Conv2d(c2, c3, 3, { padding: 1, ...g }), new ReLU(),
          new Conv2d(c3, c4, 3, { padding: 1, groups: 2, ...g }), new ReLU(),
          new Conv2d(c4, c5, 3, { padding: 1, groups: 2, ...g }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
        ),
      );
      this.registerModule('avgpool', new Identity());
      last = c5;
    } else {
      const [c1, c2, c3, c4, c5] = [64, 192, 384, 256, 256].map((c) => scale(c, m));
      this.registerModule(
        'features',
        new Sequential(
          new Conv2d(3, c1, 11, { stride: 4, padding: 2, ...g }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
          new Conv2d(c1, c2, 5, { padding: 2, ...g }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
          new Conv2d(c2, c3, 3, { padding: 1, ...g }), new ReLU(),
          new Conv2d(c3, c4, 3, { padding: 1, ...g }), new ReLU(),
          new Conv2d(c4, c5, 3, { padding: 1, ...g }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
        ),
      );
      this.registerModule('avgpool', new AdaptiveAvgPool2d([6, 6]));
      last = c5;
    }
    const hidden = scale(4096, m);
    this.registerModule(
      'classifier',
      new Sequential(
        new Dropout(p, g), new Linear(last * 36, hidden, g), new ReLU(),
        new Dropout(p, g), new Linear(hidden, hidden, g), new ReLU(),
        new Linear(hidden, classes, g),
      ),
    );
    if (paper) {
      // Section 5: N(0, 0.01²) weights; biases 1 in conv2, conv4, conv5, fc6, fc7 and 0 elsewhere.
      const convs = this.features.children().filter((c): c is Conv2d => c instanceof Conv2d);
      const fcs = this.classifier.children().filter((c): c is Linear => c instanceof Linear);
      [...convs, ...fcs].forEach((layer, i) => {
        normal_(layer.weight, 0, 0.01, { generator });
        constant_(layer.bias!, [1, 3, 4, 5, 6].includes(i) ? 1 : 0);
      });
    }
  }

  /** [N, 3, H, W] → [N, numClasses] logits (H = W = 224 for torchvision's, 227 for the paper's). */
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
 * AlexNet, torchvision's by default (61,100,840 parameters) or the paper's two towers with
 * `{ paper: true }` (60,965,224). See {@link AlexNet}.
 * @example const net = models.alexnet({ numClasses: 10 });
 */
export function alexnet(options: AlexNetOptions = {}): AlexNet {
  return new AlexNet(options);
}

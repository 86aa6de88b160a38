/**
 * XNOR-Net and Binary-Weight-Networks (Rastegari, Ordonez, Redmon & Farhadi, "XNOR-Net: ImageNet
 * Classification Using Binary Convolutional Neural Networks", ECCV 2016): AlexNet and ResNet-18 with
 * binary convolutions, and a small binary LeNet for MNIST.
 *
 * As in the paper: the first and the last layer stay real-valued; every binary layer is preceded by a
 * batch norm, so a block reads BatchNorm → binary activation → binary convolution → pooling (the binary
 * activation, sign(x) with K, lives inside `nn.BinaryConv2d`); `mode` picks XNOR (binary inputs and
 * weights) or BWN (binary weights only). After training, `pack()` turns every binary layer into its
 * inference form (packed signs and α, XNOR + popcount kernels).
 * @module
 */
import { Tensor } from '../tensor';
import { Generator } from '../random';
import { add } from '../ops/elementwise';
import { argmax } from '../ops/reduce';
import { crossEntropy } from '../ops/loss';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { BinaryConv2d, BinaryLinear, BinaryMode } from '../nn/layers/binary';
import { ReLU } from '../nn/layers/activation';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/layers/pooling';
import { BatchNorm1d, BatchNorm2d } from '../nn/layers/normalization';
import { Flatten } from '../nn/layers/flatten';
import { Sequential } from '../nn/layers/container';
import type { Classifier } from './lenet';

/** Options of the binary networks. */
export interface BinaryNetOptions {
  /** `'xnor'` (XNOR-Net) or `'bwn'` (Binary-Weight-Network). Default `'xnor'`. */
  mode?: BinaryMode;
  /** Classes of the last (real) layer. Default 1000 (10 for {@link binaryLenet}). */
  numClasses?: number;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

/**
 * A binary network: a sequential body with softmax cross-entropy, argmax prediction and `pack()`.
 */
export class BinaryNet extends Module implements Classifier {
  /** The layers, in order. */
  declare body: Sequential;
  /** `'xnor'` or `'bwn'`. */
  readonly mode: BinaryMode;

  /** Wraps `layers` as the network's body. */
  constructor(mode: BinaryMode, layers: Module[]) {
    super();
    this.mode = mode;
    this.registerModule('body', new Sequential(...layers));
  }

  /** Logits. */
  override forward(x: Tensor): Tensor {
    return this.body.call(x);
  }

  /** Softmax cross-entropy on the logits. */
  loss(output: Tensor, target: Tensor): Tensor {
    return crossEntropy(output, target);
  }

  /** The class of largest logit (int32). */
  predict(output: Tensor): Tensor {
    return argmax(output, 1);
  }

  /** Packs every binary layer (see `nn.BinaryConv2d.pack`): the inference form. */
  pack(): this {
    for (const m of this.modules()) if (m instanceof BinaryConv2d || m instanceof BinaryLinear) m.pack();
    return this;
  }
}

/** The paper's binary block: BatchNorm over the input channels, then the binary convolution. */
function binaryConv(inC: number, outC: number, k: number, o: { stride?: number; padding?: number; mode: BinaryMode; generator?: Generator }): Module[] {
  return [new BatchNorm2d(inC), new BinaryConv2d(inC, outC, k, { stride: o.stride, padding: o.padding, mode: o.mode, generator: o.generator })];
}

/**
 * The binary LeNet for MNIST [N, 1, 28, 28]: a real 5×5 convolution (16 maps) with BN, ReLU and 2×2 max
 * pooling; a binary block BN → BinaryConv2d 3×3 (32 maps) → 2×2 max pooling; BN → BinaryLinear (128);
 * BN → a real Linear to the classes. 210,474 parameters, 205,312 of them binary; trains to over 95% in
 * two epochs.
 * @example const net = ds.models.binaryLenet({ mode: 'xnor' });
 */
export function binaryLenet(options: BinaryNetOptions = {}): BinaryNet {
  const mode = options.mode ?? 'xnor';
  const g = options.generator;
  return new BinaryNet(mode, [
    new Conv2d(1, 16, 5, { padding: 2, generator: g }), new BatchNorm2d(16), new ReLU(), new MaxPool2d(2),
    ...binaryConv(16, 32, 3, { padding: 1, mode, generator: g }), new MaxPool2d(2),
    new Flatten(), new BatchNorm1d(32 * 7 * 7), new BinaryLinear(32 * 7 * 7, 128, { mode, generator: g }),
    new BatchNorm1d(128), new Linear(128, options.numClasses ?? 10, { generator: g }),
  ]);
}

/**
 * The paper's binary AlexNet on [N, 3, 227, 227]: conv1 (96 maps, 11×11, stride 4) real with BN, ReLU
 * and max pooling; conv2–conv5 (256, 384, 384, 256 maps) and fc6, fc7 (4096) binary, each after a batch
 * norm; fc8 real. The paper reports 56.8% (BWN) and 44.2% (XNOR) top-1 on ImageNet.
 * @example const net = ds.models.xnorAlexnet({ mode: 'bwn' });
 */
export function xnorAlexnet(options: BinaryNetOptions = {}): BinaryNet {
  const mode = options.mode ?? 'xnor';
  const g = options.generator;
  const pool = () => new MaxPool2d(3, { stride: 2 });
  return new BinaryNet(mode, [
    new Conv2d(3, 96, 11, { stride: 4, generator: g }), new BatchNorm2d(96), new ReLU(), pool(),
    ...binaryConv(96, 256, 5, { padding: 2, mode, generator: g }), pool(),
    ...binaryConv(256, 384, 3, { padding: 1, mode, generator: g }),
    ...binaryConv(384, 384, 3, { padding: 1, mode, generator: g }),
    ...binaryConv(384, 256, 3, { padding: 1, mode, generator: g }), pool(),
    new Flatten(),
    new BatchNorm1d(256 * 36), new BinaryLinear(256 * 36, 4096, { mode, generator: g }),
    new BatchNorm1d(4096), new BinaryLinear(4096, 4096, { mode, generator: g }),
    new BatchNorm1d(4096), new ReLU(), new Linear(4096, options.numClasses ?? 1000, { generator: g }),
  ]);
}

/**
 * ResNet-18's basic block with binary convolutions in the paper's order: (BN → BinaryConv2d 3×3) twice,
 * plus the shortcut; a shortcut that changes shape is a real 1×1 convolution with BN, as in ResNet.
 */
export class BinaryBasicBlock extends Module {
  /** BN → binary 3×3 (carries the stride). */
  declare conv1: Sequential;
  /** BN → binary 3×3. */
  declare conv2: Sequential;
  /** The real projection shortcut, or null for the identity. */
  declare downsample: Sequential | null;

  /** `inC` → `outC` channels at `stride`. */
  constructor(inC: number, outC: number, stride: number, mode: BinaryMode, generator?: Generator) {
    super();
    this.registerModule('conv1', new Sequential(...binaryConv(inC, outC, 3, { stride, padding: 1, mode, generator })));
    this.registerModule('conv2', new Sequential(...binaryConv(outC, outC, 3, { padding: 1, mode, generator })));
    const project = stride !== 1 || inC !== outC;
    this.registerModule('downsample', project ? new Sequential(new Conv2d(inC, outC, 1, { stride, bias: false, generator }), new BatchNorm2d(outC)) : null);
  }

  /** conv2(conv1(x)) + shortcut(x). */
  override forward(x: Tensor): Tensor {
    return add(this.conv2.call(this.conv1.call(x)), this.downsample ? this.downsample.call(x) : x);
  }
}

/**
 * Binary ResNet-18 on [N, 3, 224, 224]: ResNet's real stem (7×7/2 convolution, BN, ReLU, 3×3/2 max pool),
 * four stages of two {@link BinaryBasicBlock}s (64, 128, 256, 512 channels), global average pooling and
 * a real fully connected layer. The paper reports 60.8% (BWN) and 51.2% (XNOR) top-1 on ImageNet.
 * @example const net = ds.models.xnorResnet18({ mode: 'xnor', numClasses: 10 });
 */
export function xnorResnet18(options: BinaryNetOptions = {}): BinaryNet {
  const mode = options.mode ?? 'xnor';
  const g = options.generator;
  const blocks: Module[] = [];
  let inC = 64;
  for (const [i, c] of [64, 128, 256, 512].entries()) {
    blocks.push(new BinaryBasicBlock(inC, c, i === 0 ? 1 : 2, mode, g), new BinaryBasicBlock(c, c, 1, mode, g));
    inC = c;
  }
  return new BinaryNet(mode, [
    new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false, generator: g }), new BatchNorm2d(64), new ReLU(),
    new MaxPool2d(3, { stride: 2, padding: 1 }),
    ...blocks,
    new AdaptiveAvgPool2d(1), new Flatten(), new Linear(512, options.numClasses ?? 1000, { generator: g }),
  ]);
}

/**
 * GoogLeNet / Inception v1 (Szegedy, Liu, Jia, Sermanet, Reed, Anguelov, Erhan, Vanhoucke & Rabinovich,
 * "Going deeper with convolutions", CVPR 2015), as torchvision builds it (so its state dicts load one to
 * one: `conv1.conv.weight`, `inception3a.branch2.1.bn.running_var`, `aux1.fc2.bias`, `fc.weight`) and,
 * with `{ paper: true }`, as the paper describes it.
 *
 * ## The Inception module (the paper's Fig. 2)
 * Four parallel branches concatenated along the channels: a 1×1 convolution; a 1×1 reduction then a 3×3;
 * a 1×1 reduction then a 5×5; a 3×3/1 max pool then a 1×1 projection. {@link InceptionNaive} is Fig. 2(a),
 * without the reductions (its pooling branch passes all input channels through, so the width grows at
 * every module); {@link Inception} is Fig. 2(b).
 *
 * ## torchvision versus the paper
 * | | torchvision (default) | `{ paper: true }` |
 * | --- | --- | --- |
 * | convolutions | conv (no bias) + batch norm (eps 0.001) + ReLU | conv (bias) + ReLU |
 * | "5×5" branch | 3×3 convolution (a bug kept for its weights) | 5×5 convolution |
 * | local response norm | none | after the first pool and after conv3 (size 5, α 1e-4, β 0.75) |
 * | pool after 4e | 2×2/2 | 3×3/2 |
 * | dropout before fc | 0.2 | 0.4 |
 * | aux classifiers' pooling | adaptive to 4×4 | 5×5/3 average (4×4 on 14×14 maps) |
 * | parameters, no aux | 6,624,904 | 6,998,552 |
 *
 * The module widths are the paper's Table 1 in both. Without aux classifiers the default has 6,624,904
 * parameters (torchvision's pretrained model, which drops them); the two auxiliary classifiers (after 4a
 * and 4d: 1×1 conv to 128, fc 2048→1024, dropout 0.7, fc 1024→classes) add 3,188,968 + 3,191,016, for
 * 13,004,888 (torchvision's `googlenet(aux_logits=True)`). The paper's Table 1 counts weights only, in
 * units of 1024 (inception 3a: 163,328 weights = "159K"; 3b 379K = "380K"; 4b 438K = "437K"); several of its
 * other rows (4a, 4c–5b) do not follow from its own widths (4c: 497.5K against "463K"), so the widths, not
 * the parameter column, are what is reproduced.
 *
 * Initialisation is torchvision's: convolution and linear weights truncated normal with std 0.01, batch
 * norms weight 1 and bias 0.
 * @module
 */
import { Tensor } from '../tensor';
import { Generator } from '../random';
import { tensor } from '../ops/creation';
import { add, mul, relu } from '../ops/elementwise';
import { argmax } from '../ops/reduce';
import { cat } from '../ops/indexing';
import { crossEntropy } from '../ops/loss';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { BatchNorm2d, LocalResponseNorm } from '../nn/layers/normalization';
import { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from '../nn/layers/pooling';
import { Dropout } from '../nn/layers/dropout';
import { Sequential } from '../nn/layers/container';
import { constant_, normal_ } from '../nn/init';
import type { Classifier } from './lenet';

/** Options of {@link BasicConv2d}. */
export interface BasicConv2dOptions {
  /** Stride. Default 1. */
  stride?: number;
  /** Zero padding. Default 0. */
  padding?: number;
  /** Batch norm after the convolution (torchvision; the conv then has no bias). Default true. */
  batchNorm?: boolean;
  /** Stream for the initial weights. */
  generator?: Generator;
}

/**
 * torchvision's `BasicConv2d`: convolution → batch norm (eps 0.001) → ReLU, or with `batchNorm: false`
 * (the paper) convolution with bias → ReLU. Children `conv` and `bn`.
 */
export class BasicConv2d extends Module {
  /** The convolution. */
  declare conv: Conv2d;
  /** Its batch norm, or null. */
  declare bn: BatchNorm2d | null;

  /** `inChannels` → `outChannels` with a square `kernelSize`. */
  constructor(inChannels: number, outChannels: number, kernelSize: number, options: BasicConv2dOptions = {}) {
    super();
    const bn = options.batchNorm ?? true;
    this.registerModule('conv', new Conv2d(inChannels, outChannels, kernelSize, {
      stride: options.stride ?? 1, padding: options.padding ?? 0, bias: !bn, generator: options.generator,
    }));
    this.registerModule('bn', bn ? new BatchNorm2d(outChannels, { eps: 0.001 }) : null);
  }

  /** [N, in, H, W] → [N, out, H', W'], rectified. */
  override forward(x: Tensor): Tensor {
    const h = this.conv.call(x);
    return relu(this.bn ? this.bn.call(h) : h);
  }
}

/** Options of the Inception modules. */
export interface InceptionOptions {
  /** The paper's module: a true 5×5 convolution, and convolutions with bias and without batch norm. Default false. */
  paper?: boolean;
  /** Batch norm in every convolution (overrides what `paper` implies). */
  batchNorm?: boolean;
  /** Stream for the initial weights. */
  generator?: Generator;
}

/**
 * The naive Inception module (the paper's Fig. 2(a)): 1×1, 3×3 and 5×5 convolutions (each with ReLU) and a
 * 3×3/1 max pool, side by side on the same input, concatenated. Output channels:
 * `ch1x1 + ch3x3 + ch5x5 + inChannels`.
 */
export class InceptionNaive extends Module {
  /** 1×1 convolution. */
  declare branch1: BasicConv2d;
  /** 3×3 convolution. */
  declare branch2: BasicConv2d;
  /** 5×5 convolution. */
  declare branch3: BasicConv2d;
  /** 3×3/1 max pool. */
  declare branch4: MaxPool2d;
  /** Channels of the output. */
  readonly outChannels: number;

  /** The module on `inChannels` channels. By default without batch norm, as in the paper. */
  constructor(inChannels: number, ch1x1: number, ch3x3: number, ch5x5: number, options: Omit<InceptionOptions, 'paper'> = {}) {
    super();
    const o = { batchNorm: options.batchNorm ?? false, generator: options.generator };
    this.registerModule('branch1', new BasicConv2d(inChannels, ch1x1, 1, o));
    this.registerModule('branch2', new BasicConv2d(inChannels, ch3x3, 3, { ...o, padding: 1 }));
    this.registerModule('branch3', new BasicConv2d(inChannels, ch5x5, 5, { ...o, padding: 2 }));
    this.registerModule('branch4', new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }));
    this.outChannels = ch1x1 + ch3x3 + ch5x5 + inChannels;
  }

  /** [N, in, H, W] → [N, outChannels, H, W]. */
  override forward(x: Tensor): Tensor {
    return cat([this.branch1.call(x), this.branch2.call(x), this.branch3.call(x), (this.branch4.call(x) as Tensor)], 1);
  }
}

/**
 * The Inception module with dimension reductions (the paper's Fig. 2(b), torchvision's `Inception`):
 * `branch1` 1×1; `branch2` 1×1 (ch3x3red) → 3×3; `branch3` 1×1 (ch5x5red) → "5×5" (3×3 in torchvision, 5×5
 * with `paper`); `branch4` 3×3/1 max pool → 1×1 (poolProj). Output channels:
 * `ch1x1 + ch3x3 + ch5x5 + poolProj`.
 */
export class Inception extends Module {
  /** 1×1 convolution. */
  declare branch1: BasicConv2d;
  /** 1×1 reduction → 3×3. */
  declare branch2: Sequential;
  /** 1×1 reduction → 5×5 (3×3 in torchvision). */
  declare branch3: Sequential;
  /** 3×3/1 max pool → 1×1 projection. */
  declare branch4: Sequential;
  /** Channels of the output. */
  readonly outChannels: number;

  /** The arguments in the order of the paper's Table 1 columns (and torchvision's). */
  constructor(
    inChannels: number, ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number,
    options: InceptionOptions = {},
  ) {
    super();
    const paper = options.paper ?? false;
    const o = { batchNorm: options.batchNorm ?? !paper, generator: options.generator };
    const k5 = paper ? 5 : 3;
    this.registerModule('branch1', new BasicConv2d(inChannels, ch1x1, 1, o));
    this.registerModule('branch2', new Sequential(
      new BasicConv2d(inChannels, ch3x3red, 1, o), new BasicConv2d(ch3x3red, ch3x3, 3, { ...o, padding: 1 }),
    ));
    this.registerModule('branch3', new Sequential(
      new BasicConv2d(inChannels, ch5x5red, 1, o), new BasicConv2d(ch5x5red, ch5x5, k5, { ...o, padding: (k5 - 1) / 2 }),
    ));
    this.registerModule('branch4', new Sequential(
      new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }), new BasicConv2d(inChannels, poolProj, 1, o),
    ));
    this.outChannels = ch1x1 + ch3x3 + ch5x5 + poolProj;
  }

  /** [N, in, H, W] → [N, outChannels, H, W]. */
  override forward(x: Tensor): Tensor {
    return cat([this.branch1.call(x), this.branch2.call(x), this.branch3.call(x), this.branch4.call(x)], 1);
  }
}

/**
 * An auxiliary classifier (the paper's §5): average pool to 4×4 → 1×1 conv to 128 → fc 1024 + ReLU →
 * dropout 0.7 → fc to the classes. Children `conv`, `fc1`, `fc2` as in torchvision.
 */
export class InceptionAux extends Module {
  /** 1×1 convolution to 128 channels. */
  declare conv: BasicConv2d;
  /** 2048 → 1024. */
  declare fc1: Linear;
  /** 1024 → classes. */
  declare fc2: Linear;
  /** Dropout 0.7. */
  declare dropout: Dropout;
  /** The pooling to 4×4: adaptive (torchvision) or 5×5/3 (the paper, on 14×14 maps). */
  declare pool: Module;

  /** On `inChannels` channels; see {@link InceptionOptions}. */
  constructor(inChannels: number, numClasses: number, options: InceptionOptions = {}) {
    super();
    const paper = options.paper ?? false;
    const g = options.generator;
    this.registerModule('pool', paper ? new AvgPool2d(5, { stride: 3 }) : new AdaptiveAvgPool2d([4, 4]));
    this.registerModule('conv', new BasicConv2d(inChannels, 128, 1, { batchNorm: options.batchNorm ?? !paper, generator: g }));
    this.registerModule('fc1', new Linear(2048, 1024, { generator: g }));
    this.registerModule('fc2', new Linear(1024, numClasses, { generator: g }));
    this.registerModule('dropout', new Dropout(0.7, { generator: g }));
  }

  /** [N, in, 14, 14] → logits [N, classes]. */
  override forward(x: Tensor): Tensor {
    const h = this.conv.call(this.pool.call(x)).flatten(1);
    return this.fc2.call(this.dropout.call(relu(this.fc1.call(h))));
  }
}

/** What {@link GoogLeNet} returns in training mode with auxiliary classifiers. */
export interface GoogLeNetOutputs {
  /** The main classifier's logits. */
  logits: Tensor;
  /** The classifier after inception 4d. */
  aux2: Tensor;
  /** The classifier after inception 4a. */
  aux1: Tensor;
}

/** Options of {@link googlenet}. */
export interface GoogLeNetOptions {
  /** Classes. Default 1000. */
  numClasses?: number;
  /** Build the two auxiliary classifiers (used in training mode only). Default false. */
  auxLogits?: boolean;
  /** The paper's network (see the module description). Default false: torchvision's. */
  paper?: boolean;
  /** Dropout before the classifier. Default 0.2 (torchvision), 0.4 with `paper`. */
  dropout?: number;
  /** Weight of each auxiliary loss in {@link GoogLeNet.loss}. Default 0.3 (the paper). */
  auxWeight?: number;
  /** Input channels. Default 3. */
  inChannels?: number;
  /**
   * torchvision's `transform_input`: the input, normalised with the ImageNet mean and std, is re-normalised
   * per channel to `(x·std + mean − 0.5) / 0.5`, the scaling the Inception weights ported from TensorFlow
   * were trained with. Set it when loading torchvision's pretrained GoogLeNet. Default false.
   */
  transformInput?: boolean;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** The rows of the paper's Table 1 for the Inception modules: in, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj. */
export const GOOGLENET_TABLE1: Readonly<Record<string, readonly [number, number, number, number, number, number, number]>> = {
  inception3a: [192, 64, 96, 128, 16, 32, 32],
  inception3b: [256, 128, 128, 192, 32, 96, 64],
  inception4a: [480, 192, 96, 208, 16, 48, 64],
  inception4b: [512, 160, 112, 224, 24, 64, 64],
  inception4c: [512, 128, 128, 256, 24, 64, 64],
  inception4d: [512, 112, 144, 288, 32, 64, 64],
  inception4e: [528, 256, 160, 320, 32, 128, 128],
  inception5a: [832, 256, 160, 320, 32, 128, 128],
  inception5b: [832, 384, 192, 384, 48, 128, 128],
};

/**
 * GoogLeNet (see the module description). Input [N, 3, 224, 224]; the smallest inputs are 32×32 (64×64 with
 * `paper`, whose aux classifiers need 224×224). In eval mode, or without aux, the output is the logits
 * [N, numClasses]; in training mode with `auxLogits` it is {@link GoogLeNetOutputs}.
 */
export class GoogLeNet extends Module implements Classifier {
  /** 7×7/2 convolution to 64. */ declare conv1: BasicConv2d;
  /** 3×3/2 max pool. */ declare maxpool1: MaxPool2d;
  /** 1×1 convolution to 64. */ declare conv2: BasicConv2d;
  /** 3×3 convolution to 192. */ declare conv3: BasicConv2d;
  /** 3×3/2 max pool. */ declare maxpool2: MaxPool2d;
  /** Inception 3a (256 out). */ declare inception3a: Inception;
  /** Inception 3b (480 out). */ declare inception3b: Inception;
  /** 3×3/2 max pool. */ declare maxpool3: MaxPool2d;
  /** Inception 4a (512 out). */ declare inception4a: Inception;
  /** Inception 4b (512 out). */ declare inception4b: Inception;
  /** Inception 4c (512 out). */ declare inception4c: Inception;
  /** Inception 4d (528 out). */ declare inception4d: Inception;
  /** Inception 4e (832 out). */ declare inception4e: Inception;
  /** 2×2/2 (torchvision) or 3×3/2 (paper) max pool. */ declare maxpool4: MaxPool2d;
  /** Inception 5a (832 out). */ declare inception5a: Inception;
  /** Inception 5b (1024 out). */ declare inception5b: Inception;
  /** Auxiliary classifier after 4a, or null. */ declare aux1: InceptionAux | null;
  /** Auxiliary classifier after 4d, or null. */ declare aux2: InceptionAux | null;
  /** Global average pooling. */ declare avgpool: AdaptiveAvgPool2d;
  /** Dropout before the classifier. */ declare dropout: Dropout;
  /** 1024 → classes. */ declare fc: Linear;
  /** The paper's LRN after maxpool1 (paper only). */ declare lrn1: LocalResponseNorm | null;
  /** The paper's LRN after conv3 (paper only). */ declare lrn2: LocalResponseNorm | null;
  /** Weight of each auxiliary loss. */
  readonly auxWeight: number;
  /** Whether the input is re-normalised first (see {@link GoogLeNetOptions.transformInput}). */
  readonly transformInput: boolean;

  /** Builds the network; see {@link GoogLeNetOptions}. */
  constructor(options: GoogLeNetOptions = {}) {
    super();
    const paper = options.paper ?? false;
    this.transformInput = options.transformInput ?? false;
    if (this.transformInput && (options.inChannels ?? 3) !== 3) {
      throw new RangeError(`GoogLeNet: transformInput needs 3 input channels, got inChannels ${options.inChannels}`);
    }
    const generator = options.generator;
    const numClasses = options.numClasses ?? 1000;
    const o = { batchNorm: !paper, generator };
    const pool = (k: number) => new MaxPool2d(k, { stride: 2, ceilMode: true });
    this.auxWeight = options.auxWeight ?? 0.3;
    this.registerModule('conv1', new BasicConv2d(options.inChannels ?? 3, 64, 7, { ...o, stride: 2, padding: 3 }));
    this.registerModule('maxpool1', pool(3));
    this.registerModule('lrn1', paper ? new LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75 }) : null);
    this.registerModule('conv2', new BasicConv2d(64, 64, 1, o));
    this.registerModule('conv3', new BasicConv2d(64, 192, 3, { ...o, padding: 1 }));
    this.registerModule('lrn2', paper ? new LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75 }) : null);
    this.registerModule('maxpool2', pool(3));
    const inc = (name: string) => {
      const [i, a, b, c, d, e, f] = GOOGLENET_TABLE1[name];
      this.registerModule(name, new Inception(i, a, b, c, d, e, f, { paper, generator }));
    };
    inc('inception3a');
    inc('inception3b');
    this.registerModule('maxpool3', pool(3));
    for (const n of ['4a', '4b', '4c', '4d', '4e']) inc(`inception${n}`);
    this.registerModule('maxpool4', pool(paper ? 3 : 2));
    inc('inception5a');
    inc('inception5b');
    this.registerModule('aux1', options.auxLogits ? new InceptionAux(512, numClasses, { paper, generator }) : null);
    this.registerModule('aux2', options.auxLogits ? new InceptionAux(528, numClasses, { paper, generator }) : null);
    this.registerModule('avgpool', new AdaptiveAvgPool2d([1, 1]));
    this.registerModule('dropout', new Dropout(options.dropout ?? (paper ? 0.4 : 0.2), { generator }));
    this.registerModule('fc', new Linear(1024, numClasses, { generator }));
    for (const m of this.modules()) {
      if (m instanceof Conv2d || m instanceof Linear) {
        // torchvision: trunc_normal_(std=0.01, a=-2, b=2); the ±2 cut is 200σ away, never reached.
        normal_(m.weight, 0, 0.01, { generator });
      } else if (m instanceof BatchNorm2d) {
        constant_(m.weight!, 1);
        constant_(m.bias!, 0);
      }
    }
  }

  /** [N, 3, H, W] → logits, or {@link GoogLeNetOutputs} when training with aux classifiers. */
  override forward(x: Tensor): Tensor | GoogLeNetOutputs {
    if (this.transformInput) {
      const opts = { device: x.device };
      const scale = tensor(IMAGENET_STD.map((s) => s / 0.5), [1, 3, 1, 1], opts);
      const shift = tensor(IMAGENET_MEAN.map((m) => (m - 0.5) / 0.5), [1, 3, 1, 1], opts);
      x = add(mul(x, scale), shift);
    }
    let h = this.maxpool1.call(this.conv1.call(x)) as Tensor;
    if (this.lrn1) h = this.lrn1.call(h);
    h = this.conv3.call(this.conv2.call(h));
    if (this.lrn2) h = this.lrn2.call(h);
    h = this.maxpool2.call(h) as Tensor;
    h = this.maxpool3.call(this.inception3b.call(this.inception3a.call(h))) as Tensor;
    h = this.inception4a.call(h);
    const useAux = this.training && this.aux1 !== null && this.aux2 !== null;
    const aux1 = useAux ? this.aux1!.call(h) : null;
    h = this.inception4d.call(this.inception4c.call(this.inception4b.call(h)));
    const aux2 = useAux ? this.aux2!.call(h) : null;
    h = this.maxpool4.call(this.inception4e.call(h)) as Tensor;
    h = this.inception5b.call(this.inception5a.call(h));
    const logits = this.fc.call(this.dropout.call(this.avgpool.call(h).flatten(1)));
    return useAux ? { logits, aux2: aux2!, aux1: aux1! } : logits;
  }

  /** Cross-entropy of the logits, plus `auxWeight` times each auxiliary classifier's (the paper's 0.3). */
  loss(output: Tensor | GoogLeNetOutputs, target: Tensor): Tensor {
    if (output instanceof Tensor) return crossEntropy(output, target);
    const aux = add(crossEntropy(output.aux1, target), crossEntropy(output.aux2, target));
    return add(crossEntropy(output.logits, target), mul(aux, this.auxWeight));
  }

  /** The class of the largest logit (of the main classifier). */
  predict(output: Tensor | GoogLeNetOutputs): Tensor {
    return argmax(output instanceof Tensor ? output : output.logits, 1);
  }
}

/**
 * GoogLeNet: torchvision's (6,624,904 parameters; 13,004,888 with `auxLogits`), or the paper's with
 * `{ paper: true }`.
 * @example
 * const net = models.googlenet({ auxLogits: true });
 * const out = net.call(x) as models.GoogLeNetOutputs; // training mode: { logits, aux2, aux1 }
 * net.loss(out, labels).backward();                    // main + 0.3·(aux1 + aux2)
 */
export function googlenet(options: GoogLeNetOptions = {}): GoogLeNet {
  return new GoogLeNet(options);
}

/**
 * DiracNets (Zagoruyko & Komodakis, "DiracNets: training very deep neural networks without
 * skip-connections", arXiv:1706.00388, 2017), following the authors' reference code
 * (szagoruyko/diracnets).
 *
 * Every 3×3 convolution of the body is parameterised as Ŵ = diag(a)·I + diag(b)·W_norm, where I is the
 * Dirac delta (the identity convolution: output map o copies input map o mod n at the centre tap,
 * n = min(in, out)), W_norm is W with each filter (W[o]) scaled to unit L2 norm, and a, b are learnt
 * per-filter scales (initialised 1 and 0.1). The identity term plays the part of the skip connection,
 * but after training it folds away: {@link DiracNet.fold} merges Ŵ and the batch norms into ordinary
 * convolutions with bias, leaving a plain chain of convolutions and ReLUs with the same outputs.
 *
 * Layout (the paper's ImageNet networks): stem 7×7/2 conv (64) → BN → ReLU → 3×3/2 max pool; four groups
 * of widths 64, 128, 256, 512 with 2·(2, 2, 2, 2) (DiracNet-18) or 2·(3, 4, 6, 3) (DiracNet-34) layers,
 * each layer ReLU → Dirac 3×3 conv → BN, 2×2 max pooling between groups; ReLU → global average pooling →
 * linear. Parameters (with a, b and the BN affine parameters): DiracNet-18 11,523,368 (the paper's
 * 11.52 M), DiracNet-34 21,638,952 (21.64 M). The CIFAR configuration (`{ cifar: true }`) replaces the
 * stem by a 3×3/1 convolution without pooling and takes widths from the options.
 *
 * Differences from the reference code, by choice: the reference's CIFAR networks use NCReLU
 * ([max(x, 0), min(x, 0)], doubling each convolution's inputs) and one scalar a (initially 5) and b (1e-3)
 * per layer; here the activation is ReLU, as the paper's ImageNet parameter counts imply (11.52 M and
 * 21.64 M are reproduced only without the doubled inputs), and a, b are per filter as in the paper's
 * diag(a), diag(b).
 * @module
 */
import { Tensor } from '../tensor';
import { Generator } from '../random';
import { tensor, zeros } from '../ops/creation';
import { add, maximum, mul, relu, sqrt } from '../ops/elementwise';
import { sum } from '../ops/reduce';
import { conv2d } from '../ops/conv';
import { adaptiveAvgPool2d, maxPool2d } from '../ops/pool';
import { crossEntropy } from '../ops/loss';
import { argmax } from '../ops/reduce';
import { noGrad } from '../autograd';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { ReLU } from '../nn/layers/activation';
import { BatchNorm2d } from '../nn/layers/normalization';
import { MaxPool2d, AdaptiveAvgPool2d } from '../nn/layers/pooling';
import { Flatten } from '../nn/layers/flatten';
import { Sequential } from '../nn/layers/container';
import { kaimingNormal_ } from '../nn/init';
import type { Classifier } from './lenet';

/**
 * The Dirac delta kernel of an `[out, in, k, k]` convolution: 1 at the centre tap where
 * `o mod n = i mod n` (n = min(in, out)), 0 elsewhere (the reference code's `dirac_delta`: the identity
 * repeated along the larger dimension).
 */
export function diracDelta(outChannels: number, inChannels: number, kernelSize: number): Float32Array {
  const k2 = kernelSize * kernelSize;
  const centre = Math.floor(kernelSize / 2) * kernelSize + Math.floor(kernelSize / 2);
  const n = Math.min(inChannels, outChannels);
  const d = new Float32Array(outChannels * inChannels * k2);
  for (let o = 0; o < outChannels; o++) for (let i = 0; i < inChannels; i++) if (o % n === i % n) d[(o * inChannels + i) * k2 + centre] = 1;
  return d;
}

/** Options of {@link DiracConv2d}. */
export interface DiracConv2dOptions {
  /** Initial identity scale a. Default 1. */
  alpha?: number;
  /** Initial scale b of the normalised weights. Default 0.1. */
  beta?: number;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

/**
 * A Dirac-parameterised k×k convolution (stride 1, 'same' padding, no bias): weight
 * Ŵ = diag(a)·I + diag(b)·W/‖W‖ per filter. Parameters `weight` [out, in, k, k] (Kaiming-normal),
 * `alpha` [out] and `beta` [out]; buffer `delta` (not persistent).
 */
export class DiracConv2d extends Module {
  /** The raw weights W. */
  declare weight: Tensor;
  /** Per-filter identity scale a. */
  declare alpha: Tensor;
  /** Per-filter scale b of the normalised weights. */
  declare beta: Tensor;
  /** The Dirac delta I. */
  declare delta: Tensor;

  /** `inChannels → outChannels` with a `kernelSize`×`kernelSize` kernel (odd). */
  constructor(
    /** Input channels. */ readonly inChannels: number,
    /** Output channels. */ readonly outChannels: number,
    /** Odd kernel size. Default 3. */ readonly kernelSize = 3,
    options: DiracConv2dOptions = {},
  ) {
    super();
    if (kernelSize % 2 !== 1) throw new RangeError(`DiracConv2d: kernelSize must be odd, got ${kernelSize}`);
    const w = this.registerParameter('weight', zeros([outChannels, inChannels, kernelSize, kernelSize]));
    kaimingNormal_(w, { generator: options.generator });
    this.registerParameter('alpha', tensor(new Float32Array(outChannels).fill(options.alpha ?? 1), [outChannels]));
    this.registerParameter('beta', tensor(new Float32Array(outChannels).fill(options.beta ?? 0.1), [outChannels]));
    this.registerBuffer('delta', tensor(diracDelta(outChannels, inChannels, kernelSize), [outChannels, inChannels, kernelSize, kernelSize]), { persistent: false });
  }

  /** The effective kernel Ŵ = diag(a)·I + diag(b)·W/‖W‖ (differentiable in a, b and W). */
  effectiveWeight(): Tensor {
    const o = this.outChannels;
    const w = this.weight;
    const norm = maximum(sqrt(sum(mul(w, w), [1, 2, 3], true)), 1e-12);
    const normalized = w.div(norm);
    return add(mul(this.delta, this.alpha.reshape([o, 1, 1, 1])), mul(normalized, this.beta.reshape([o, 1, 1, 1])));
  }

  /** `[N, in, H, W]` → `[N, out, H, W]`. */
  override forward(x: Tensor): Tensor {
    return conv2d(x, this.effectiveWeight(), null, { padding: (this.kernelSize - 1) / 2 });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize}`;
  }
}

/** One layer of a DiracNet group: ReLU → {@link DiracConv2d} → BN (the reference code's `block`). */
export class DiracBlock extends Module {
  /** The Dirac convolution. */
  declare conv: DiracConv2d;
  /** Batch norm after it. */
  declare bn: BatchNorm2d;

  /** `inChannels → outChannels`. */
  constructor(inChannels: number, outChannels: number, options: DiracConv2dOptions = {}) {
    super();
    this.registerModule('conv', new DiracConv2d(inChannels, outChannels, 3, options));
    this.registerModule('bn', new BatchNorm2d(outChannels));
  }

  /** bn(conv(relu(x))). */
  override forward(x: Tensor): Tensor {
    return this.bn.call(this.conv.call(relu(x)));
  }
}

/** Options of {@link DiracNet}, {@link diracnet18} and {@link diracnet34}. */
export interface DiracNetOptions {
  /** Dirac layers per group. Default (4, 4, 4, 4) (DiracNet-18). */
  blocks?: readonly number[];
  /** Width of each group. Default (64, 128, 256, 512). */
  widths?: readonly number[];
  /** The CIFAR stem: 3×3/1 convolution, no pooling (instead of 7×7/2 and a 3×3/2 max pool). Default false. */
  cifar?: boolean;
  /** Maps of the stem. Default the first group's width. */
  stemWidth?: number;
  /** Input channels. Default 3. */
  inChannels?: number;
  /** Classes. Default 1000. */
  numClasses?: number;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

// The affine map of an eval-mode batch norm: y = s·x + t, in float64.
function bnAffine(bn: BatchNorm2d): { s: Float64Array; t: Float64Array } {
  const c = bn.numFeatures;
  const gamma = bn.weight ? bn.weight.dataSync() : new Float32Array(c).fill(1);
  const beta = bn.bias ? bn.bias.dataSync() : new Float32Array(c);
  const mean = bn.running_mean!.dataSync();
  const v = bn.running_var!.dataSync();
  const s = new Float64Array(c);
  const t = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    s[i] = gamma[i] / Math.sqrt(v[i] + bn.eps);
    t[i] = beta[i] - mean[i] * s[i];
  }
  return { s, t };
}

// A Conv2d with weight s·W (per output map) and bias s·b + t.
function foldedConv(weight: Tensor, bias: Tensor | null, bn: BatchNorm2d, conv: { stride: number; padding: number }): Conv2d {
  const [o, i, kh, kw] = weight.shape;
  const { s, t } = bnAffine(bn);
  const w = weight.dataSync();
  const b = bias ? bias.dataSync() : new Float32Array(o);
  const per = i * kh * kw;
  const fw = new Float32Array(w.length);
  const fb = new Float32Array(o);
  for (let c = 0; c < o; c++) {
    for (let j = 0; j < per; j++) fw[c * per + j] = s[c] * w[c * per + j];
    fb[c] = s[c] * b[c] + t[c];
  }
  const out = new Conv2d(i, o, [kh, kw], { stride: conv.stride, padding: conv.padding });
  out.weight.copyFromArray(fw);
  out.bias!.copyFromArray(fb);
  return out;
}

/**
 * A DiracNet without skip connections: `conv0`, `bn0` (the stem), `groups` (one Sequential of
 * {@link DiracBlock}s per group; max pooling between them) and `fc`.
 */
export class DiracNet extends Module implements Classifier {
  /** Stem convolution (7×7/2, or 3×3/1 for CIFAR), no bias. */
  declare conv0: Conv2d;
  /** Stem batch norm. */
  declare bn0: BatchNorm2d;
  /** The groups of Dirac layers. */
  declare groups: Sequential;
  /** The classifier. */
  declare fc: Linear;
  /** Whether the stem is the CIFAR one. */
  readonly cifar: boolean;

  /** Builds the network; see {@link DiracNetOptions}. */
  constructor(options: DiracNetOptions = {}) {
    super();
    const blocks = options.blocks ?? [4, 4, 4, 4];
    const widths = options.widths ?? [64, 128, 256, 512];
    if (blocks.length !== widths.length) throw new RangeError(`DiracNet: ${blocks.length} groups in 'blocks' but ${widths.length} widths`);
    this.cifar = options.cifar ?? false;
    const { generator } = options;
    const stem = options.stemWidth ?? widths[0];
    const conv0 = this.cifar
      ? new Conv2d(options.inChannels ?? 3, stem, 3, { padding: 1, bias: false, generator })
      : new Conv2d(options.inChannels ?? 3, stem, 7, { stride: 2, padding: 3, bias: false, generator });
    kaimingNormal_(conv0.weight, { generator });
    this.registerModule('conv0', conv0);
    this.registerModule('bn0', new BatchNorm2d(stem));
    let ni = stem;
    const groups = widths.map((no, g) => {
      const layers: Module[] = [];
      for (let j = 0; j < blocks[g]; j++) {
        layers.push(new DiracBlock(ni, no, { generator }));
        ni = no;
      }
      return new Sequential(...layers);
    });
    this.registerModule('groups', new Sequential(...groups));
    this.registerModule('fc', new Linear(ni, options.numClasses ?? 1000, { generator }));
  }

  /** [N, C, H, W] → [N, numClasses] logits. */
  override forward(x: Tensor): Tensor {
    let h = relu(this.bn0.call(this.conv0.call(x)));
    if (!this.cifar) h = maxPool2d(h, { kernelSize: 3, stride: 2, padding: 1 });
    const groups = this.groups.children();
    groups.forEach((g, i) => {
      h = g.call(h);
      if (i < groups.length - 1) h = maxPool2d(h, { kernelSize: 2 });
    });
    return this.fc.call(adaptiveAvgPool2d(relu(h), 1).flatten(1));
  }

  /**
   * The network as a plain chain: conv → ReLU (→ max pool) → conv → ReLU → ... → global average pool →
   * flatten → linear, every convolution an ordinary `Conv2d` with bias holding Ŵ and the following batch
   * norm (eval mode: running statistics) folded in, computed in float64. Its outputs equal this
   * network's in eval mode up to float32 rounding. The result owns fresh tensors.
   */
  fold(): Sequential {
    return noGrad(() => {
      const chain: Module[] = [];
      const stem = this.conv0;
      chain.push(foldedConv(stem.weight, null, this.bn0, { stride: stem.stride[0], padding: (stem.kernelSize[0] - 1) / 2 }), new ReLU());
      if (!this.cifar) chain.push(new MaxPool2d(3, { stride: 2, padding: 1 }));
      const groups = this.groups.children();
      groups.forEach((g, i) => {
        for (const b of g.children() as DiracBlock[]) {
          const w = b.conv.effectiveWeight();
          chain.push(foldedConv(w, null, b.bn, { stride: 1, padding: 1 }), new ReLU());
          w.dispose();
        }
        if (i < groups.length - 1) chain.push(new MaxPool2d(2));
      });
      const fc = new Linear(this.fc.inFeatures, this.fc.outFeatures);
      fc.weight.copy_(this.fc.weight);
      fc.bias!.copy_(this.fc.bias!);
      chain.push(new AdaptiveAvgPool2d(1), new Flatten(), fc);
      return new Sequential(...chain);
    });
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

type Preset = Omit<DiracNetOptions, 'blocks'>;

/** DiracNet-18 (groups of 4 Dirac layers; 11,523,368 parameters at 1000 classes). */
export function diracnet18(options: Preset = {}): DiracNet {
  return new DiracNet({ ...options, blocks: [4, 4, 4, 4] });
}

/** DiracNet-34 (groups of 6, 8, 12, 6 Dirac layers; 21,638,952 parameters at 1000 classes). */
export function diracnet34(options: Preset = {}): DiracNet {
  return new DiracNet({ ...options, blocks: [6, 8, 12, 6] });
}

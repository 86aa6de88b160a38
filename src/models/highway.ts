/**
 * Highway networks (Srivastava, Greff & Schmidhuber, "Training very deep networks", NeurIPS 2015; and
 * "Highway networks", arXiv:1505.00387).
 *
 * A highway layer computes y = H(x)·T(x) + x·C(x), with H the plain layer (an affine map or convolution
 * and a nonlinearity), T(x) = σ(W_T·x + b_T) the transform gate, and the carry gate C = 1 − T (the
 * paper's coupled form) or, with `carryGate: true`, an independent C(x) = σ(W_C·x + b_C). The transform
 * gate's bias starts negative (−2 by default; the paper uses −1 to −3 depending on depth) so that every
 * layer starts close to the identity and information and gradients flow through deep stacks.
 *
 * Parameters of a fully connected highway layer of width w: 2·(w² + w) (H and T), 3·(w² + w) with an
 * independent carry gate; of a convolutional one with c channels and a k×k kernel, 2·(c²k² + c) (or 3·).
 * @module
 */
import { Tensor } from '../tensor';
import { Generator } from '../random';
import { add, mul, relu, sigmoid, sub, tanh } from '../ops/elementwise';
import { crossEntropy } from '../ops/loss';
import { argmax } from '../ops/reduce';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { ModuleList } from '../nn/layers/container';
import { constant_ } from '../nn/init';
import type { Classifier } from './lenet';

/** Nonlinearity of H in a highway layer. */
export type HighwayActivation = 'relu' | 'tanh' | 'sigmoid' | ((x: Tensor) => Tensor);

function activationFn(a: HighwayActivation): (x: Tensor) => Tensor {
  if (typeof a === 'function') return a;
  switch (a) {
    case 'relu': return relu;
    case 'tanh': return tanh;
    case 'sigmoid': return sigmoid;
  }
  throw new RangeError(`highway: unknown activation '${String(a)}'`);
}

/** Options of {@link Highway}, {@link HighwayLinear} and {@link HighwayConv2d}. */
export interface HighwayLayerOptions {
  /** Initial bias of the transform gate T. Default −2. */
  gateBias?: number;
  /** An independent carry gate C(x) = σ(W_C·x + b_C) instead of C = 1 − T. Default false. */
  carryGate?: boolean;
  /** Initial bias of the independent carry gate. Default 2 (carry mostly open, as 1 − T at start). */
  carryBias?: number;
  /** Nonlinearity of H. Default `'relu'`. */
  activation?: HighwayActivation;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

/**
 * A highway layer around any three (or two) same-shaped maps: `plain` (H before its nonlinearity), `gate`
 * (T before its sigmoid) and optionally `carry` (C before its sigmoid). {@link HighwayLinear} and
 * {@link HighwayConv2d} build them.
 */
export class Highway extends Module {
  /** H's affine part (the nonlinearity is applied in forward). */
  declare plain: Module;
  /** The transform gate's affine part. */
  declare gate: Module;
  /** The independent carry gate's affine part, or null for C = 1 − T. */
  declare carry: Module | null;
  private readonly act: (x: Tensor) => Tensor;

  /** Wraps the given maps; `gate`'s bias (and `carry`'s) are set from the options. */
  constructor(plain: Module, gate: Module, carry: Module | null, options: HighwayLayerOptions = {}) {
    super();
    this.registerModule('plain', plain);
    this.registerModule('gate', gate);
    this.registerModule('carry', carry);
    this.act = activationFn(options.activation ?? 'relu');
    const gb = (gate as Linear).bias;
    if (gb) constant_(gb, options.gateBias ?? -2);
    const cb = carry ? (carry as Linear).bias : null;
    if (cb) constant_(cb, options.carryBias ?? 2);
  }

  /** The transform gate T(x) ∈ (0, 1), same shape as the output. */
  transformGate(x: Tensor): Tensor {
    return sigmoid(this.gate.call(x));
  }

  /** y = H(x)·T(x) + x·(1 − T(x)), or + x·C(x) with the independent carry gate. */
  override forward(x: Tensor): Tensor {
    const h = this.act(this.plain.call(x));
    const t = this.transformGate(x);
    const c = this.carry ? sigmoid(this.carry.call(x)) : sub(1, t);
    return add(mul(h, t), mul(x, c));
  }
}

/** A fully connected highway layer of width `features` (H and T are `Linear(features, features)`). */
export class HighwayLinear extends Highway {
  /** H's affine part. */
  declare plain: Linear;
  /** The transform gate's affine part. */
  declare gate: Linear;
  /** The independent carry gate's affine part, or null. */
  declare carry: Linear | null;

  /** A layer on `[N, features]`. */
  constructor(
    /** Width. */ readonly features: number,
    options: HighwayLayerOptions = {},
  ) {
    const { generator } = options;
    super(
      new Linear(features, features, { generator }),
      new Linear(features, features, { generator }),
      options.carryGate ? new Linear(features, features, { generator }) : null,
      options,
    );
  }

  override extraRepr(): string {
    return `${this.features}`;
  }
}

/** A convolutional highway layer: H, T (and C) are `channels → channels` k×k convolutions with 'same' padding. */
export class HighwayConv2d extends Highway {
  /** H's convolution. */
  declare plain: Conv2d;
  /** The transform gate's convolution. */
  declare gate: Conv2d;
  /** The independent carry gate's convolution, or null. */
  declare carry: Conv2d | null;

  /** A layer on `[N, channels, H, W]` with a `kernelSize`×`kernelSize` kernel (odd). */
  constructor(
    /** Channels in and out. */ readonly channels: number,
    /** Odd kernel size. Default 3. */ readonly kernelSize = 3,
    options: HighwayLayerOptions = {},
  ) {
    if (kernelSize % 2 !== 1) throw new RangeError(`HighwayConv2d: kernelSize must be odd, got ${kernelSize}`);
    const { generator } = options;
    const conv = () => new Conv2d(channels, channels, kernelSize, { padding: (kernelSize - 1) / 2, generator });
    super(conv(), conv(), options.carryGate ? conv() : null, options);
  }

  override extraRepr(): string {
    return `${this.channels}, kernelSize=${this.kernelSize}`;
  }
}

/** A plain fully connected layer y = H(x), the highway layer's counterpart for comparison studies. */
export class PlainLinear extends Module {
  /** H's affine part. */
  declare plain: Linear;
  private readonly act: (x: Tensor) => Tensor;

  /** A `features → features` layer with the nonlinearity of the options. */
  constructor(
    /** Width. */ readonly features: number,
    options: Pick<HighwayLayerOptions, 'activation' | 'generator'> & {
      /** A ready `Linear(features, features)` to use as H instead of a new one. */ layer?: Linear;
    } = {},
  ) {
    super();
    this.registerModule('plain', options.layer ?? new Linear(features, features, { generator: options.generator }));
    this.act = activationFn(options.activation ?? 'relu');
  }

  /** y = H(x). */
  override forward(x: Tensor): Tensor {
    return this.act(this.plain.call(x));
  }
}

/** Options of {@link highwayMLP}. */
export interface HighwayMLPOptions extends HighwayLayerOptions {
  /** Number of highway (or plain) hidden layers. Default 10. */
  depth?: number;
  /** Width of the hidden layers. Default 50 (the paper's MNIST highway networks). */
  width?: number;
  /** Size of each input (flattened). Default 784 (MNIST). */
  inFeatures?: number;
  /** Classes of the output layer. Default 10. */
  numClasses?: number;
  /**
   * Plain layers y = H(x) instead of highway layers, for comparison: with the same generator state the
   * input layer, every H and the output layer get the same initial weights as the highway network's.
   */
  plain?: boolean;
}

/**
 * A deep highway MLP: `input` (Linear to `width` + the activation), `layers` (`depth` highway layers) and
 * `output` (Linear to the classes). Inputs of any shape [N, ...] are flattened.
 */
export class HighwayMLP extends Module implements Classifier {
  /** Input projection to the hidden width. */
  declare input: Linear;
  /** The hidden layers ({@link HighwayLinear}, or {@link PlainLinear} when `plain`). */
  declare layers: ModuleList;
  /** Output layer. */
  declare output: Linear;
  private readonly act: (x: Tensor) => Tensor;

  /** Builds the network; see {@link HighwayMLPOptions}. */
  constructor(options: HighwayMLPOptions = {}) {
    super();
    const depth = options.depth ?? 10;
    const width = options.width ?? 50;
    const { generator } = options;
    this.act = activationFn(options.activation ?? 'relu');
    // Every H, then the output layer, then the gates: a plain network built from the same generator state
    // draws the same H and output weights as the highway one.
    this.registerModule('input', new Linear(options.inFeatures ?? 784, width, { generator }));
    const hs = Array.from({ length: depth }, () => new Linear(width, width, { generator }));
    this.registerModule('output', new Linear(width, options.numClasses ?? 10, { generator }));
    const layers: Module[] = hs.map((h) => {
      if (options.plain) {
        return new PlainLinear(width, { activation: options.activation, layer: h });
      }
      const gate = new Linear(width, width, { generator });
      const carry = options.carryGate ? new Linear(width, width, { generator }) : null;
      return new Highway(h, gate, carry, options);
    });
    this.registerModule('layers', new ModuleList(layers));
  }

  /** [N, ...] → [N, numClasses] logits. */
  override forward(x: Tensor): Tensor {
    let h = this.act(this.input.call(x.flatten(1)));
    for (const layer of this.layers.children()) h = layer.call(h);
    return this.output.call(h);
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
 * A deep highway MLP (or its plain counterpart with `{ plain: true }`).
 * @example
 * const net = models.highwayMLP({ depth: 50, width: 50 }); // trains; { plain: true } at depth 50 does not
 */
export function highwayMLP(options: HighwayMLPOptions = {}): HighwayMLP {
  return new HighwayMLP(options);
}

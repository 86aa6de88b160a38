/**
 * LeNet-5 (LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to document recognition",
 * Proc. IEEE 1998), as the paper describes it, and the modern variant most tutorials call LeNet-5.
 *
 * The classic network, on 32×32 inputs (MNIST's 28×28 digits padded by 2):
 *
 * | layer | what | trainable parameters |
 * | --- | --- | --- |
 * | C1 | 6 maps, 5×5 convolution → 28×28 | 6·(25+1) = 156 |
 * | S2 | per map: f(α·mean of 2×2 + b) → 14×14 | 6·2 = 12 |
 * | C3 | 16 maps, 5×5, each on the subset of S2 maps of the paper's Table I → 10×10 | 6·(3·25+1) + 9·(4·25+1) + 1·(6·25+1) = 1,516 |
 * | S4 | as S2 → 5×5 | 16·2 = 32 |
 * | C5 | 120 maps, 5×5 convolution → 1×1 | 120·(400+1) = 48,120 |
 * | F6 | 84 units | 84·(120+1) = 10,164 |
 * | output | 10 Euclidean RBF units, y_i = Σ_j (x_j − w_ij)², w fixed ±1 codes | 0 (fixed) |
 *
 * 156 + 12 + 1,516 + 32 + 48,120 + 10,164 = **60,000** trainable parameters, the paper's "60,000". Every
 * unit but the RBFs squashes its weighted sum with f(a) = 1.7159·tanh(2a/3) (Appendix A); weights start
 * uniform in ±2.4/F_i, F_i the fan-in (Appendix A). The paper drew its RBF codes by hand as 7×12 bitmaps
 * that it does not publish; here they are fixed, seeded ±1 codes (a non-trainable buffer), which keeps
 * the classes equidistant in expectation. The loss is the paper's MAP criterion (eq. 9).
 * @module
 */
import { Tensor } from '../tensor';
import { Generator, defaultGenerator } from '../random';
import { bernoulli, full, tensor, zeros } from '../ops/creation';
import { add, mul, tanh } from '../ops/elementwise';
import { logsumexp, argmax, argmin } from '../ops/reduce';
import { cat, gather, indexSelect } from '../ops/indexing';
import { conv2d } from '../ops/conv';
import { avgPool2d } from '../ops/pool';
import { crossEntropy } from '../ops/loss';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { ReLU } from '../nn/layers/activation';
import { MaxPool2d } from '../nn/layers/pooling';
import { Flatten } from '../nn/layers/flatten';
import { Sequential } from '../nn/layers/container';
import { uniform_ } from '../nn/init';

/** The squashing function of the paper, f(a) = 1.7159·tanh(2a/3). */
export function scaledTanh(x: Tensor): Tensor {
  return mul(tanh(mul(x, 2 / 3)), 1.7159);
}

/** A classifier: a module whose output has a loss and a prediction rule. */
export interface Classifier extends Module {
  /** The training loss of a batch of outputs against int32 labels. */
  loss(output: Tensor, target: Tensor): Tensor;
  /** Predicted classes (int32) from a batch of outputs. */
  predict(output: Tensor): Tensor;
}

// Appendix A: weights uniform in ±2.4 / fan-in.
function lecunInit(weight: Tensor, bias: Tensor | null, fanIn: number, generator?: Generator): void {
  const bound = 2.4 / fanIn;
  uniform_(weight, -bound, bound, { generator });
  if (bias) uniform_(bias, -bound, bound, { generator });
}

/** S2/S4: per map, f(α·(mean of each 2×2 block) + b), with a trainable α and b per map. */
export class Subsampling extends Module {
  /** Coefficient α per map. */
  declare weight: Tensor;
  /** Bias b per map. */
  declare bias: Tensor;

  /** `channels` maps, each with its coefficient and bias. */
  constructor(
    /** Number of maps. */ readonly channels: number,
    options: { generator?: Generator } = {},
  ) {
    super();
    this.registerParameter('weight', zeros([channels]));
    this.registerParameter('bias', zeros([channels]));
    // Fan-in of a subsampling unit: its four inputs.
    lecunInit(this.weight, this.bias, 4, options.generator);
  }

  /** [N, C, H, W] → [N, C, H/2, W/2]. */
  override forward(x: Tensor): Tensor {
    const c = this.channels;
    return scaledTanh(add(mul(avgPool2d(x, { kernelSize: 2 }), this.weight.reshape([1, c, 1, 1])), this.bias.reshape([1, c, 1, 1])));
  }

  override extraRepr(): string {
    return `${this.channels}`;
  }
}

/**
 * Table I of the paper: the S2 maps each C3 map reads. Maps 0–5 read 3 contiguous maps, 6–11 read 4
 * contiguous, 12–14 read 4 non-contiguous, 15 reads all six.
 */
export const C3_TABLE: readonly (readonly number[])[] = [
  [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 0], [5, 0, 1],
  [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 0], [4, 5, 0, 1], [5, 0, 1, 2],
  [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5],
  [0, 1, 2, 3, 4, 5],
];

/**
 * C3 with the paper's partial connections, exactly 1,516 parameters. Consecutive maps with the same
 * number of inputs form one grouped convolution (for Table I: the 6 maps reading 3 maps, the 9 reading 4,
 * the one reading all 6), on the S2 maps they read gathered in table order; the results are concatenated
 * in map order.
 */
export class PartialConv extends Module {
  private readonly groups: { maps: number; fanIn: number; channels: number[] }[];

  /** The table: for each output map, the input maps it reads. */
  constructor(
    /** For each output map, the input maps it reads. */ readonly table: readonly (readonly number[])[] = C3_TABLE,
    /** Square kernel size. */ readonly kernelSize = 5,
    options: { generator?: Generator } = {},
  ) {
    super();
    this.groups = [];
    let start = 0;
    while (start < table.length) {
      let end = start + 1;
      while (end < table.length && table[end].length === table[start].length) end++;
      this.groups.push({ maps: end - start, fanIn: table[start].length, channels: table.slice(start, end).flat() });
      start = end;
    }
    this.groups.forEach((g, i) => {
      const w = zeros([g.maps, g.fanIn, kernelSize, kernelSize]);
      const b = zeros([g.maps]);
      lecunInit(w, b, g.fanIn * kernelSize * kernelSize, options.generator);
      this.registerParameter(`weight${i}`, w);
      this.registerParameter(`bias${i}`, b);
      this.registerBuffer(`index${i}`, tensor(g.channels, undefined, { dtype: 'int32' }), { persistent: false });
    });
  }

  /** [N, 6, H, W] → [N, 16, H−4, W−4]. */
  override forward(x: Tensor): Tensor {
    const outs = this.groups.map((g, i) => {
      const p = this._parameters;
      const picked = indexSelect(x, 1, this._buffers.get(`index${i}`)!);
      return conv2d(picked, p.get(`weight${i}`)!, p.get(`bias${i}`)!, { groups: g.maps });
    });
    return cat(outs, 1);
  }

  override extraRepr(): string {
    return `table=${this.table.length} maps, kernelSize=${this.kernelSize}`;
  }
}

/** The output layer: y_i = Σ_j (x_j − w_ij)² against fixed codes w (a buffer, not trained). */
export class EuclideanRBF extends Module {
  /** The fixed codes, [classes, inFeatures] of ±1 (a buffer). */
  declare weight: Tensor;

  /** `classes` units over `inFeatures` inputs, with ±1 codes drawn from the generator. */
  constructor(
    /** Size of each input vector. */ readonly inFeatures: number,
    /** Number of units (classes). */ readonly classes: number,
    options: { generator?: Generator } = {},
  ) {
    super();
    const bits = bernoulli([classes, inFeatures], 0.5, { generator: options.generator ?? new Generator(1998) });
    this.registerBuffer('weight', add(mul(bits, 2), -1));
    bits.dispose();
  }

  /** [N, F] → [N, classes] squared distances (smaller is more likely). */
  override forward(x: Tensor): Tensor {
    // ‖x − w‖² = ‖x‖² − 2·x·wᵀ + ‖w‖², as one matmul.
    const xx = mul(x, x).sum(1, true);
    const ww = mul(this.weight, this.weight).sum(1).reshape([1, this.classes]);
    return add(add(xx, mul(x.matmul(this.weight.t()), -2)), ww);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, classes=${this.classes}`;
  }
}

/**
 * The MAP criterion of the paper (eq. 9): E = y_D + log(e^{−j} + Σ_i e^{−y_i}), averaged over the batch,
 * where y are the RBF outputs and D the correct class. The first term pulls the correct unit's distance
 * down; the second pushes the others up, and the constant j keeps already-large penalties from being
 * pushed further.
 */
export function lenet5Loss(output: Tensor, target: Tensor, options: { j?: number } = {}): Tensor {
  const j = options.j ?? 1;
  const n = output.shape[0];
  const correct = gather(output, 1, target.reshape([n, 1])).reshape([n]);
  const withJ = cat([mul(output, -1), full([n, 1], -j, { device: output.device })], 1);
  return add(correct, logsumexp(withJ, 1)).mean();
}

/** Options of {@link lenet5}. */
export interface LeNet5Options {
  /** The modern variant: ReLU, max pooling, a linear output with softmax cross-entropy. Default false. */
  modern?: boolean;
  /** Classic only: connect C3 to all six S2 maps (2,416 parameters instead of 1,516). Default false. */
  fullC3?: boolean;
  /** Classes of the output layer. Default 10. */
  numClasses?: number;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

/** The classic LeNet-5 of the paper (see the module description). Input [N, 1, 32, 32]. */
export class LeNet5 extends Module implements Classifier {
  /** C1: 6 maps, 5×5. */
  declare c1: Conv2d;
  /** S2: subsampling of the 6 maps. */
  declare s2: Subsampling;
  /** C3: 16 maps, partially connected ({@link PartialConv}) unless `fullC3`. */
  declare c3: Module;
  /** S4: subsampling of the 16 maps. */
  declare s4: Subsampling;
  /** C5: 120 maps, 5×5 (a full connection on 5×5 inputs). */
  declare c5: Conv2d;
  /** F6: 84 units. */
  declare f6: Linear;
  /** The Euclidean RBF output layer. */
  declare output: EuclideanRBF;

  /** Builds the network; see {@link LeNet5Options}. */
  constructor(options: Omit<LeNet5Options, 'modern'> = {}) {
    super();
    const generator = options.generator ?? defaultGenerator;
    const classes = options.numClasses ?? 10;
    this.registerModule('c1', new Conv2d(1, 6, 5, { generator }));
    this.registerModule('s2', new Subsampling(6, { generator }));
    this.registerModule('c3', options.fullC3 ? new Conv2d(6, 16, 5, { generator }) : new PartialConv(C3_TABLE, 5, { generator }));
    this.registerModule('s4', new Subsampling(16, { generator }));
    this.registerModule('c5', new Conv2d(16, 120, 5, { generator }));
    this.registerModule('f6', new Linear(120, 84, { generator }));
    this.registerModule('output', new EuclideanRBF(84, classes));
    for (const m of [this.c1, this.c5, this.f6]) {
      const w = m.weight;
      lecunInit(w, m.bias, w.size / w.shape[0], generator);
    }
    if (options.fullC3) lecunInit((this.c3 as Conv2d).weight, (this.c3 as Conv2d).bias, 150, generator);
  }

  /** [N, 1, 32, 32] → [N, classes] RBF distances. */
  override forward(x: Tensor): Tensor {
    let h = scaledTanh(this.c1.call(x));
    h = this.s2.call(h);
    h = scaledTanh(this.c3.call(h));
    h = this.s4.call(h);
    h = scaledTanh(this.c5.call(h)).flatten(1);
    h = scaledTanh(this.f6.call(h));
    return this.output.call(h);
  }

  /** {@link lenet5Loss}. */
  loss(output: Tensor, target: Tensor): Tensor {
    return lenet5Loss(output, target);
  }

  /**
   * The class scores explanations and attacks work with: the negated penalties (the most likely class
   * has the largest score).
   */
  classScores(output: Tensor): Tensor {
    return output.neg();
  }

  /** The class of the nearest code (smallest distance). */
  predict(output: Tensor): Tensor {
    return argmin(output, 1);
  }
}

/**
 * The modern LeNet-5: conv 6@5×5 → ReLU → max-pool 2 → conv 16@5×5 → ReLU → max-pool 2 → 120 → ReLU →
 * 84 → ReLU → classes (logits; softmax cross-entropy). Input [N, 1, 32, 32]; 61,706 parameters.
 */
export class LeNet5Modern extends Sequential implements Classifier {
  /** Builds the network with PyTorch's default initialisation. */
  constructor(options: Omit<LeNet5Options, 'modern' | 'fullC3'> = {}) {
    const generator = options.generator;
    super({
      features: new Sequential(
        new Conv2d(1, 6, 5, { generator }), new ReLU(), new MaxPool2d(2),
        new Conv2d(6, 16, 5, { generator }), new ReLU(), new MaxPool2d(2),
      ),
      classifier: new Sequential(
        new Flatten(),
        new Linear(400, 120, { generator }), new ReLU(),
        new Linear(120, 84, { generator }), new ReLU(),
        new Linear(84, options.numClasses ?? 10, { generator }),
      ),
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

/**
 * LeNet-5, classic (the paper's, 60,000 parameters) or `{ modern: true }`.
 * @example
 * const net = models.lenet5();             // 32×32 inputs: data.mnist({ padTo32: true })
 * const out = net.call(x);                 // RBF distances
 * const loss = net.loss(out, labels);      // the paper's MAP criterion
 */
export function lenet5(options: LeNet5Options = {}): LeNet5 | LeNet5Modern {
  return options.modern ? new LeNet5Modern(options) : new LeNet5(options);
}

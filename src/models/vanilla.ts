/**
 * Very deep vanilla CNNs (Xiao, Bahri, Sohl-Dickstein, Schoenholz & Pennington, "Dynamical isometry and a
 * mean field theory of CNNs: how to train 10,000-layer vanilla convolutional neural networks", ICML 2018).
 *
 * `depth` 3×3 convolutions of `width` channels (padding 1, stride 1), each followed by the activation,
 * with no batch norm and no skip connection, then a global average pool and a linear classifier. With
 * `init: 'deltaOrthogonal'` every kernel is zero except its centre tap, σ_w·(a random orthogonal matrix),
 * and biases are drawn from N(0, σ_b²): the convolution is then norm-preserving and, at the critical point
 * (χ₁ = σ_w²·E[φ'(√q*·z)²] = 1 at the variance fixed point q*), the input-output Jacobian is well
 * conditioned at any depth.
 *
 * The defaults for tanh are the paper's: σ_b² = 2×10⁻⁵ and σ_w² on the order-to-chaos critical line for
 * that σ_b², computed here by {@link tanhCriticalPoint} (≈ 1.00 + O(√σ_b²)). ReLU's critical point is
 * σ_w² = 2, σ_b² = 0.
 * @module
 */
import { Tensor } from '../tensor';
import { Generator } from '../random';
import { argmax } from '../ops/reduce';
import { relu, tanh } from '../ops/elementwise';
import { crossEntropy } from '../ops/loss';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { ModuleList } from '../nn/layers/container';
import { deltaOrthogonal_, normal_, orthogonal_, kaimingNormal_, zeros_ } from '../nn/init';
import type { Classifier } from './lenet';

// Simpson nodes and weights for E[f(z)], z ~ N(0, 1), on [−8, 8] (400 intervals; the integrands here are
// smooth and bounded, so the error is far below 1e-9).
const QUAD = (() => {
  const n = 400;
  const h = 16 / n;
  const z: number[] = [];
  const w: number[] = [];
  for (let i = 0; i <= n; i++) {
    z.push(-8 + i * h);
    w.push(((i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * h * Math.exp(-z[i] * z[i] / 2)) / 3 / Math.sqrt(2 * Math.PI));
  }
  return { z, w };
})();

function gaussianMean(f: (z: number) => number): number {
  let s = 0;
  for (let i = 0; i < QUAD.z.length; i++) s += QUAD.w[i] * f(QUAD.z[i]);
  return s;
}

const criticalCache = new Map<number, CriticalPoint>();

/**
 * The critical point of tanh for a bias variance σ_b²: the σ_w² at which the fixed point q* of
 * q ← σ_w²·E[tanh(√q·z)²] + σ_b² has χ₁ = σ_w²·E[sech⁴(√q*·z)] = 1. Returns `{ weightVariance, biasVariance, q }`.
 * @example tanhCriticalPoint(2e-5) // { weightVariance: ≈1.0 , biasVariance: 2e-5, q: ≈0.005 }
 */
export function tanhCriticalPoint(biasVariance = 2e-5): CriticalPoint {
  const cached = criticalCache.get(biasVariance);
  if (cached) return { ...cached };
  // The fixed point q* of q ↦ σ_w²·E[tanh²(√q·z)] + σ_b², by bisection on g(q) = map(q) − q (g > 0 below q*).
  const fixedPoint = (sw2: number) => {
    const g = (q: number) => sw2 * gaussianMean((z) => Math.tanh(Math.sqrt(q) * z) ** 2) + biasVariance - q;
    let lo = 0;
    let hi = sw2 + biasVariance + 1;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (g(mid) > 0) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const chi = (sw2: number) => {
    const q = fixedPoint(sw2);
    return sw2 * gaussianMean((z) => 1 / Math.cosh(Math.sqrt(q) * z) ** 4);
  };
  let lo = 0.5;
  let hi = 3;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (chi(mid) < 1) lo = mid;
    else hi = mid;
  }
  const weightVariance = (lo + hi) / 2;
  const result = { weightVariance, biasVariance, q: fixedPoint(weightVariance) };
  criticalCache.set(biasVariance, result);
  return { ...result };
}

/** The weight and bias variances of an initialisation. */
export interface VarianceSetting {
  /** σ_w². */
  weight: number;
  /** σ_b². */
  bias: number;
}

/** A critical point of tanh, from {@link tanhCriticalPoint}. */
export interface CriticalPoint {
  /** σ_w² on the critical line. */
  weightVariance: number;
  /** The σ_b² asked for. */
  biasVariance: number;
  /** The fixed point q* of the variance map. */
  q: number;
}

/** Options of {@link vanillaCNN}. */
export interface VanillaCNNOptions {
  /** Number of convolutions. Default 10. */
  depth?: number;
  /** Channels of every convolution. Default 32. */
  width?: number;
  /** `'tanh'` (default) or `'relu'`. */
  activation?: 'tanh' | 'relu';
  /**
   * `'deltaOrthogonal'` (default; centre tap σ_w·orthogonal, other taps 0), `'orthogonal'` (the whole
   * [out, in·k²] matrix orthogonal, times σ_w), `'gaussian'` (N(0, σ_w²/fan-in)) or `'kaiming'` (PyTorch's
   * kaiming normal with the activation's gain; biases 0).
   */
  init?: 'deltaOrthogonal' | 'orthogonal' | 'gaussian' | 'kaiming';
  /** σ_w². Default: the critical point ({@link tanhCriticalPoint} for tanh, 2 for ReLU). */
  weightVariance?: number;
  /** σ_b². Default 2×10⁻⁵ for tanh, 0 for ReLU. */
  biasVariance?: number;
  /** Input channels (must be ≤ width for delta-orthogonal). Default 1. */
  inChannels?: number;
  /** Classes of the linear head. Default 10. */
  numClasses?: number;
  /** Stream for the initial weights. */
  generator?: Generator;
}

/**
 * A vanilla CNN: `convs.<i>` (depth 3×3 convolutions, each followed by the activation), global average
 * pooling, `fc`. No normalisation and no shortcuts.
 */
export class VanillaCNN extends Module implements Classifier {
  /** The convolutions. */
  declare convs: ModuleList;
  /** The linear head. */
  declare fc: Linear;
  /** The activation. */
  readonly activation: 'tanh' | 'relu';
  /** σ_w² and σ_b² used by the initialisation. */
  readonly variances: VarianceSetting;

  /** Builds the network; see {@link VanillaCNNOptions}. */
  constructor(options: VanillaCNNOptions = {}) {
    super();
    const depth = options.depth ?? 10;
    const width = options.width ?? 32;
    const act = (this.activation = options.activation ?? 'tanh');
    const init = options.init ?? 'deltaOrthogonal';
    const generator = options.generator;
    const crit = act === 'tanh' ? tanhCriticalPoint(options.biasVariance ?? 2e-5) : { weightVariance: 2, biasVariance: 0 };
    const sw2 = options.weightVariance ?? crit.weightVariance;
    const sb2 = options.biasVariance ?? crit.biasVariance;
    this.variances = { weight: sw2, bias: sb2 };
    const convs: Conv2d[] = [];
    let cin = options.inChannels ?? 1;
    for (let i = 0; i < depth; i++) {
      const c = new Conv2d(cin, width, 3, { padding: 1, generator });
      const fanIn = cin * 9;
      if (init === 'deltaOrthogonal') deltaOrthogonal_(c.weight, { gain: Math.sqrt(sw2), generator });
      else if (init === 'orthogonal') orthogonal_(c.weight, { gain: Math.sqrt(sw2), generator });
      else if (init === 'gaussian') normal_(c.weight, 0, Math.sqrt(sw2 / fanIn), { generator });
      else kaimingNormal_(c.weight, { nonlinearity: act, generator });
      if (init === 'kaiming' || sb2 === 0) zeros_(c.bias!);
      else normal_(c.bias!, 0, Math.sqrt(sb2), { generator });
      convs.push(c);
      cin = width;
    }
    this.registerModule('convs', new ModuleList(convs));
    this.registerModule('fc', new Linear(cin, options.numClasses ?? 10, { generator }));
  }

  /** The activation after every convolution. */
  act(x: Tensor): Tensor {
    return this.activation === 'tanh' ? tanh(x) : relu(x);
  }

  /** [N, C, H, W] → [N, classes] logits. */
  override forward(x: Tensor): Tensor {
    let h = x;
    for (const c of this.convs.children()) h = this.act(c.call(h));
    return this.fc.call(h.mean([2, 3]));
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
 * A very deep vanilla CNN, delta-orthogonal at the critical point by default.
 * @example const net = models.vanillaCNN({ depth: 1000, width: 16, activation: 'tanh' });
 */
export function vanillaCNN(options: VanillaCNNOptions = {}): VanillaCNN {
  return new VanillaCNN(options);
}

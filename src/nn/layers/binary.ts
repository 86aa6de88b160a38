/**
 * Binary layers of XNOR-Net (Rastegari et al. 2016): `BinaryConv2d` and `BinaryLinear`, each in the
 * paper's two modes:
 *
 * - `'bwn'` (Binary-Weight-Network): weights α·sign(W), α = mean |W| per output filter; real inputs.
 * - `'xnor'`: inputs binarised too, y = (sign(x) ⊛ sign(W)) · α · K, K the mean |x| of each input patch
 *   (`xnorScale`; for the linear layer, the mean |x| of each row).
 *
 * The layers keep real-valued latent weights, which the optimiser updates; the sign's gradient is the
 * straight-through estimator (passed where |x| ≤ 1), and α and K are differentiated as they are computed.
 * While a gradient is wanted the layers run float convolutions on the ±1 tensors (exact integers, scaled);
 * otherwise (`noGrad`, inference) an XNOR layer runs the bit-packed XNOR + popcount kernels, which give the
 * same values. `pack()` turns a trained layer into its inference form: packed weights and α only, 32×
 * smaller, in `memory()` and in checkpoints alike. Binary activation is part of an XNOR layer, so the
 * paper's block reads `BatchNorm → BinaryConv2d → pool`.
 * @module
 */
import { Tensor } from '../../tensor';
import { Generator } from '../../random';
import { needsGrad, noGrad } from '../../autograd';
import { zeros } from '../../ops/creation';
import { abs, add, mul } from '../../ops/elementwise';
import { mean } from '../../ops/reduce';
import { Conv2dPadding, Size2, conv2d } from '../../ops/conv';
import { linear } from '../../ops/matmul';
import { PackedTensor, binarize, binaryConv2d, binaryMatmul, bitpack, bitunpack, filterScale, xnorScale } from '../../ops/binary';
import { Module } from '../module';
import { kaimingUniform_, uniform_ } from '../init';
import { boolArg, generatorArg, intArg, optionsArg, pairArg, tuple } from './util';

/** The two networks of the paper: Binary-Weight-Network or XNOR-Network. */
export type BinaryMode = 'bwn' | 'xnor';

/** Options shared by {@link BinaryConv2d} and {@link BinaryLinear}. */
export interface BinaryLayerOptions {
  /** `'xnor'` (binary inputs and weights) or `'bwn'` (binary weights, real inputs). Default `'xnor'`. */
  mode?: BinaryMode;
  /** Learn an additive (real) bias. Default false: in the paper's blocks a BatchNorm supplies the shift. */
  bias?: boolean;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

/** Options of {@link BinaryConv2d}. */
export interface BinaryConv2dLayerOptions extends BinaryLayerOptions {
  /** Step of the kernel. Default 1. */
  stride?: Size2;
  /** Zero padding: a number, `[h, w]`, `[top, bottom, left, right]`, `'same'` or `'valid'`. Default 0. */
  padding?: Conv2dPadding;
  /** Spacing between kernel taps. Default 1. */
  dilation?: Size2;
}

function modeArg(layer: string, v: unknown): BinaryMode {
  if (v === undefined) return 'xnor';
  if (v !== 'xnor' && v !== 'bwn') throw new TypeError(`${layer}: 'mode' must be 'xnor' or 'bwn', got ${JSON.stringify(v)}`);
  return v;
}

// The weight, bias and inference buffers of a binary layer, and what they share: initialisation as
// PyTorch's Conv2d/Linear, packing, and the α·sign(W) of the float path.
abstract class BinaryLayer extends Module {
  /** `'xnor'` or `'bwn'`. */
  readonly mode: BinaryMode;
  /** Latent real weights (trained); null once `pack()` ran. */
  declare weight: Tensor | null;
  /** Real bias `[out]`, or null. */
  declare bias: Tensor | null;
  /** Packed signs of the weights (int32 storage of a {@link PackedTensor}); set by `pack()`. */
  declare packedWeight: Tensor | null;
  /** α: mean |W| per output unit `[out]`; set by `pack()`. */
  declare alpha: Tensor | null;

  constructor(layer: string, weightShape: number[], options: BinaryLayerOptions) {
    super();
    this.mode = modeArg(layer, options.mode);
    const generator = generatorArg(layer, options.generator);
    const w = this.registerParameter('weight', zeros(weightShape));
    const b = this.registerParameter('bias', boolArg(layer, 'bias', options.bias, false) ? zeros([weightShape[0]]) : null);
    this.registerBuffer('packedWeight', null);
    this.registerBuffer('alpha', null);
    kaimingUniform_(w, { a: Math.sqrt(5), generator });
    const fanIn = weightShape.slice(1).reduce((a, d) => a * d, 1);
    if (b) uniform_(b, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), { generator });
  }

  /** True once `pack()` replaced the latent weights by packed signs and α. */
  get packed(): boolean {
    return this.weight === null;
  }

  /**
   * The inference form: stores the packed signs of the weights and α, and frees the latent weights (32×
   * less weight memory; a state dict then holds `packedWeight` and `alpha` instead of `weight`). To load
   * such a checkpoint, `pack()` a freshly built model first. The layer can no longer be trained.
   * @example const layer = new nn.BinaryConv2d(64, 64, 3, { padding: 1 }).pack();
   */
  pack(): this {
    const w = this.weight;
    if (w === null) return this;
    noGrad(() => {
      this.packedWeight = bitpack(w).bits;
      this.alpha = filterScale(w);
    });
    this.weight = null;
    w.dispose();
    return this;
  }

  /**
   * @internal Packed weights (made on the fly from the latent ones when not packed) and α, both for noGrad
   * use; `owned` receives what the caller must free.
   */
  protected packedParts(shape: readonly number[], owned: (Tensor | PackedTensor)[]): [PackedTensor, Tensor] {
    if (this.weight === null) return [new PackedTensor(this.packedWeight!, shape), this.alpha!];
    const p = bitpack(this.weight);
    const a = filterScale(this.weight);
    owned.push(p, a);
    return [p, a];
  }

  /** @internal α·sign(W) for the BWN float path, differentiable (STE through the sign, α through mean |W|). */
  protected scaledSignWeight(w: Tensor): Tensor {
    return mul(binarize(w), filterScale(w).reshape([w.shape[0], ...w.shape.slice(1).map(() => 1)]));
  }

  /** @internal The BWN weights of a packed layer: the unpacked signs times α. */
  protected unpackedWeight(shape: readonly number[]): Tensor {
    const signs = bitunpack(new PackedTensor(this.packedWeight!, shape));
    const w = mul(signs, this.alpha!.reshape([shape[0], ...shape.slice(1).map(() => 1)]));
    signs.dispose();
    return w;
  }

  /** @internal Forward through the packed kernels (no gradient wanted) or through float ops on ±1 values. */
  protected usePacked(x: Tensor): boolean {
    return this.weight === null || !needsGrad(x, this.weight, this.bias);
  }
}

/**
 * Binary 2-D convolution over `[N, inChannels, H, W]` input (see the module comment for the modes).
 * Parameter `weight` `[outChannels, inChannels, kH, kW]` (latent, real), optional `bias`. No groups.
 * @example
 * // The paper's block: BatchNorm → binary activation and convolution → pooling.
 * const block = new nn.Sequential(new nn.BatchNorm2d(64), new nn.BinaryConv2d(64, 128, 3, { padding: 1 }), new nn.MaxPool2d(2));
 */
export class BinaryConv2d extends BinaryLayer {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** `[kH, kW]`. */
  readonly kernelSize: [number, number];
  /** `[sH, sW]`. */
  readonly stride: [number, number];
  /** As given (default 0). */
  readonly padding: Conv2dPadding;
  /** `[dH, dW]`. */
  readonly dilation: [number, number];

  /** Creates the layer with PyTorch's Conv2d initialisation of the latent weights. */
  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options?: BinaryConv2dLayerOptions) {
    const L = 'BinaryConv2d';
    const o = optionsArg(L, options);
    const ks = pairArg(L, 'kernelSize', kernelSize);
    super(L, [intArg(L, 'outChannels', outChannels), intArg(L, 'inChannels', inChannels), ...ks], o);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = ks;
    this.stride = pairArg(L, 'stride', o.stride ?? 1);
    this.dilation = pairArg(L, 'dilation', o.dilation ?? 1);
    this.padding = o.padding ?? 0;
  }

  private get geometry(): { stride: Size2; padding: Conv2dPadding; dilation: Size2 } {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation };
  }

  /** `[N, inChannels, H, W]` → `[N, outChannels, H_out, W_out]`. */
  override forward(x: Tensor): Tensor {
    const g = this.geometry;
    const shape = [this.outChannels, this.inChannels, ...this.kernelSize];
    const bias = this.bias?.reshape([1, this.outChannels, 1, 1]) ?? null;
    const withBias = (y: Tensor) => (bias ? add(y, bias) : y);
    if (this.mode === 'bwn') {
      const w = this.weight === null ? this.unpackedWeight(shape) : this.scaledSignWeight(this.weight);
      return conv2d(x, w, this.bias, g);
    }
    const k = xnorScale(x, this.kernelSize, g);
    if (this.usePacked(x)) {
      const owned: (Tensor | PackedTensor)[] = [k];
      try {
        const [pw, alpha] = this.packedParts(shape, owned);
        return withBias(binaryConv2d(x, pw, { ...g, alpha, scale: k }));
      } finally {
        for (const t of owned) t.dispose();
      }
    }
    const d = conv2d(binarize(x), binarize(this.weight!), null, g);
    return withBias(mul(mul(d, filterScale(this.weight!).reshape([1, this.outChannels, 1, 1])), k));
  }

  /** PyTorch-style repr with the mode. */
  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernelSize=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}, mode='${this.mode}'`;
    if (this.padding !== 0) s += `, padding=${typeof this.padding === 'object' ? tuple(this.padding) : JSON.stringify(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${tuple(this.dilation)}`;
    if (this.bias !== null) s += ', bias=true';
    if (this.packed) s += ', packed';
    return s;
  }
}

/**
 * Binary fully connected layer over `[N, inFeatures]` input (see the module comment for the modes; in
 * XNOR mode K is the mean |x| of each input row). Parameter `weight` `[outFeatures, inFeatures]`.
 * @example const fc = new nn.BinaryLinear(4096, 4096, { mode: 'bwn' });
 */
export class BinaryLinear extends BinaryLayer {
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;

  /** Creates the layer with PyTorch's Linear initialisation of the latent weights. */
  constructor(inFeatures: number, outFeatures: number, options?: BinaryLayerOptions) {
    const L = 'BinaryLinear';
    const o = optionsArg(L, options);
    super(L, [intArg(L, 'outFeatures', outFeatures), intArg(L, 'inFeatures', inFeatures)], o);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
  }

  /** `[N, inFeatures]` → `[N, outFeatures]`. */
  override forward(x: Tensor): Tensor {
    const shape = [this.outFeatures, this.inFeatures];
    const withBias = (y: Tensor) => (this.bias ? add(y, this.bias) : y);
    if (this.mode === 'bwn') {
      const w = this.weight === null ? this.unpackedWeight(shape) : this.scaledSignWeight(this.weight);
      return linear(x, w, this.bias);
    }
    const k = mean(abs(x), 1, true);
    if (this.usePacked(x)) {
      const owned: (Tensor | PackedTensor)[] = [k];
      try {
        const [pw, alpha] = this.packedParts(shape, owned);
        return withBias(binaryMatmul(x, pw, { alpha, scale: k }));
      } finally {
        for (const t of owned) t.dispose();
      }
    }
    const d = linear(binarize(x), binarize(this.weight!));
    return withBias(mul(mul(d, filterScale(this.weight!).reshape([1, this.outFeatures])), k));
  }

  /** PyTorch-style repr with the mode. */
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, mode='${this.mode}'${this.bias ? ', bias=true' : ''}${this.packed ? ', packed' : ''}`;
  }
}

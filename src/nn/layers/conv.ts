/**
 * Convolution layers: `Conv2d` and `ConvTranspose2d`, with PyTorch's argument order and default
 * initialisation (kaiming-uniform with a = √5 for the weight, uniform on ±1/√fanIn for the bias).
 * @module
 */
import { Tensor, fmtShape } from '../../tensor';
import { Generator } from '../../random';
import { zeros } from '../../ops/creation';
import { Conv2dPadding, Size2, conv2d, convTranspose2d } from '../../ops/conv';
import { Module } from '../module';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init';
import { boolArg, generatorArg, intArg, optionsArg, pairArg, tuple } from './util';

/** Options of {@link Conv2d}. */
export interface Conv2dLayerOptions {
  /** Step of the kernel. Default 1. */
  stride?: Size2;
  /** Zero padding: a number, `[h, w]`, `[top, bottom, left, right]`, `'same'` or `'valid'`. Default 0. */
  padding?: Conv2dPadding;
  /** Spacing between kernel taps. Default 1. */
  dilation?: Size2;
  /** Channel groups (both channel counts must be divisible by it). Default 1. */
  groups?: number;
  /** Learn an additive bias. Default true. */
  bias?: boolean;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

/** Options of {@link ConvTranspose2d}. */
export interface ConvTranspose2dLayerOptions {
  /** Stride of the convolution this layer transposes (the upsampling factor). Default 1. */
  stride?: Size2;
  /** Padding of the convolution this layer transposes. Default 0. */
  padding?: Size2;
  /** Extra rows/columns on the bottom/right of the output. Default 0. */
  outputPadding?: Size2;
  /** Channel groups. Default 1. */
  groups?: number;
  /** Learn an additive bias. Default true. */
  bias?: boolean;
  /** Spacing between kernel taps. Default 1. */
  dilation?: Size2;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

function checkGroups(layer: string, groups: number, inChannels: number, outChannels: number): void {
  if (inChannels % groups !== 0) throw new RangeError(`${layer}: inChannels ${inChannels} must be divisible by groups ${groups}`);
  if (outChannels % groups !== 0) throw new RangeError(`${layer}: outChannels ${outChannels} must be divisible by groups ${groups}`);
}

// PyTorch's reset_parameters of _ConvNd.
function initConv(weight: Tensor, bias: Tensor | null, generator: Generator | undefined): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound, { generator });
  }
}

function paddingRepr(p: Conv2dPadding): string {
  if (typeof p === 'string') return `'${p}'`;
  if (typeof p === 'number') return tuple([p, p]);
  return tuple(p);
}

/**
 * 2-D convolution over `[N, inChannels, H, W]` input (see `conv2d` for the output size). Parameters
 * `weight` `[outChannels, inChannels/groups, kH, kW]` and `bias` `[outChannels]` (or null).
 * @example
 * const conv = new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }); // ResNet's stem
 * conv.call(ds.randn([1, 3, 224, 224])).shape // [1, 64, 112, 112]
 */
export class Conv2d extends Module {
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
  /** Channel groups. */
  readonly groups: number;
  /** `[outChannels, inChannels/groups, kH, kW]`. */
  declare weight: Tensor;
  /** `[outChannels]`, or null without bias. */
  declare bias: Tensor | null;

  /** Creates the layer with PyTorch's default initialisation. */
  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options?: Conv2dLayerOptions) {
    super();
    const L = 'Conv2d';
    const o = optionsArg(L, options);
    this.inChannels = intArg(L, 'inChannels', inChannels);
    this.outChannels = intArg(L, 'outChannels', outChannels);
    this.kernelSize = pairArg(L, 'kernelSize', kernelSize);
    this.stride = pairArg(L, 'stride', o.stride ?? 1);
    this.dilation = pairArg(L, 'dilation', o.dilation ?? 1);
    this.groups = intArg(L, 'groups', o.groups ?? 1);
    this.padding = o.padding ?? 0;
    const p = this.padding;
    const ok =
      p === 'same' || p === 'valid' || (typeof p === 'number' && Number.isInteger(p) && p >= 0) ||
      (Array.isArray(p) && (p.length === 2 || p.length === 4) && p.every((v) => Number.isInteger(v) && v >= 0));
    if (!ok) throw new TypeError(`${L}: 'padding' must be a non-negative integer, [h, w], [top, bottom, left, right], 'same' or 'valid', got ${JSON.stringify(p)}`);
    if (p === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) throw new RangeError(`${L}: padding 'same' needs stride 1, got stride ${tuple(this.stride)}`);
    checkGroups(L, this.groups, inChannels, outChannels);
    const generator = generatorArg(L, o.generator);
    const w = this.registerParameter('weight', zeros([outChannels, inChannels / this.groups, ...this.kernelSize]));
    const b = this.registerParameter('bias', boolArg(L, 'bias', o.bias, true) ? zeros([outChannels]) : null);
    initConv(w, b, generator);
  }

  /** `[N, inChannels, H, W]` → `[N, outChannels, H_out, W_out]`. */
  override forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  /** PyTorch's repr, with camelCase names; defaults are omitted. */
  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernelSize=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    if (this.padding !== 0) s += `, padding=${paddingRepr(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${tuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=false';
    return s;
  }
}

/**
 * Transposed 2-D convolution ("deconvolution") over `[N, inChannels, H, W]` input (see
 * `convTranspose2d` for the output size). Parameters `weight` `[inChannels, outChannels/groups, kH, kW]`
 * and `bias` `[outChannels]` (or null). `forward(x, outputSize)` picks the output padding that gives
 * `outputSize` (`[H, W]`, or `[N, C, H, W]`), as PyTorch's `output_size` argument does.
 * @example
 * const up = new nn.ConvTranspose2d(64, 32, 4, { stride: 2, padding: 1 });
 * up.call(ds.randn([1, 64, 16, 16])).shape // [1, 32, 32, 32]
 */
export class ConvTranspose2d extends Module {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** `[kH, kW]`. */
  readonly kernelSize: [number, number];
  /** `[sH, sW]`. */
  readonly stride: [number, number];
  /** `[pH, pW]`. */
  readonly padding: [number, number];
  /** `[oH, oW]`. */
  readonly outputPadding: [number, number];
  /** `[dH, dW]`. */
  readonly dilation: [number, number];
  /** Channel groups. */
  readonly groups: number;
  /** `[inChannels, outChannels/groups, kH, kW]`. */
  declare weight: Tensor;
  /** `[outChannels]`, or null without bias. */
  declare bias: Tensor | null;

  /** Creates the layer with PyTorch's default initialisation. */
  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options?: ConvTranspose2dLayerOptions) {
    super();
    const L = 'ConvTranspose2d';
    const o = optionsArg(L, options);
    this.inChannels = intArg(L, 'inChannels', inChannels);
    this.outChannels = intArg(L, 'outChannels', outChannels);
    this.kernelSize = pairArg(L, 'kernelSize', kernelSize);
    this.stride = pairArg(L, 'stride', o.stride ?? 1);
    this.padding = pairArg(L, 'padding', o.padding ?? 0, 0);
    this.outputPadding = pairArg(L, 'outputPadding', o.outputPadding ?? 0, 0);
    this.dilation = pairArg(L, 'dilation', o.dilation ?? 1);
    this.groups = intArg(L, 'groups', o.groups ?? 1);
    for (let i = 0; i < 2; i++) {
      if (this.outputPadding[i] >= this.stride[i] && this.outputPadding[i] >= this.dilation[i]) {
        throw new RangeError(
          `${L}: 'outputPadding' ${tuple(this.outputPadding)} must be smaller than either stride ${tuple(this.stride)} or dilation ${tuple(this.dilation)}`,
        );
      }
    }
    checkGroups(L, this.groups, inChannels, outChannels);
    const generator = generatorArg(L, o.generator);
    const w = this.registerParameter('weight', zeros([inChannels, outChannels / this.groups, ...this.kernelSize]));
    const b = this.registerParameter('bias', boolArg(L, 'bias', o.bias, true) ? zeros([outChannels]) : null);
    initConv(w, b, generator);
  }

  /**
   * `[N, inChannels, H, W]` → `[N, outChannels, H_out, W_out]`; with `outputSize`, the output padding is
   * chosen to reach it (RangeError when it is out of reach).
   */
  override forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    let outputPadding = this.outputPadding;
    if (outputSize !== undefined) outputPadding = this.paddingFor(x, outputSize);
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  private paddingFor(x: Tensor, outputSize: readonly number[]): [number, number] {
    const L = 'ConvTranspose2d';
    if (!Array.isArray(outputSize) || (outputSize.length !== 2 && outputSize.length !== 4)) {
      throw new TypeError(`${L}: 'outputSize' must be [H, W] or [N, C, H, W], got ${JSON.stringify(outputSize)}`);
    }
    const size = outputSize.slice(-2);
    if (x.ndim !== 4) throw new RangeError(`${L}: input must be 4-D (N, C, H, W), got shape ${fmtShape(x.shape)}`);
    const res: [number, number] = [0, 0];
    for (let i = 0; i < 2; i++) {
      const min = (x.shape[2 + i] - 1) * this.stride[i] - 2 * this.padding[i] + this.dilation[i] * (this.kernelSize[i] - 1) + 1;
      const max = min + Math.max(this.stride[i], this.dilation[i]) - 1;
      if (!(size[i] >= min && size[i] <= max)) {
        throw new RangeError(`${L}: requested output size ${fmtShape(size)} is not reachable from input ${fmtShape(x.shape)}: axis ${i} must lie in ${min}..${max}`);
      }
      res[i] = size[i] - min;
    }
    return res;
  }

  /** PyTorch's repr, with camelCase names; defaults are omitted. */
  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernelSize=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    if (this.padding.some((v) => v !== 0)) s += `, padding=${tuple(this.padding)}`;
    if (this.outputPadding.some((v) => v !== 0)) s += `, outputPadding=${tuple(this.outputPadding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${tuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=false';
    return s;
  }
}

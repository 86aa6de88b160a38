/**
 * Pooling layers: `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d`.
 * @module
 */
import { Tensor } from '../../tensor';
import { AdaptiveSize, PoolSize, adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../../ops/pool';
import { Module } from '../module';
import { boolArg, optionsArg, pairArg, tuple } from './util';

/** Options of {@link MaxPool2d}. */
export interface MaxPool2dLayerOptions {
  /** Step between windows; the kernel size by default. */
  stride?: PoolSize | null;
  /** Implicit −∞ padding on each side (at most half the kernel). Default 0. */
  padding?: PoolSize;
  /** Spacing between window elements. Default 1. */
  dilation?: PoolSize;
  /** Round the output size up. Default false. */
  ceilMode?: boolean;
  /** Return `[output, indices]` (int32 argmax, flat per plane) instead of the output. Default false. */
  returnIndices?: boolean;
}

function size(v: PoolSize): string {
  return typeof v === 'number' ? String(v) : tuple(v);
}

// The window options both pooling layers share, validated under the layer's name.
function windowOptions(layer: string, kernelSize: PoolSize, o: { stride?: PoolSize | null; padding?: PoolSize; ceilMode?: boolean }) {
  pairArg(layer, 'kernelSize', kernelSize);
  const stride = o.stride ?? null;
  if (stride !== null) pairArg(layer, 'stride', stride);
  const padding = o.padding ?? 0;
  pairArg(layer, 'padding', padding, 0);
  return { kernelSize, stride, padding, ceilMode: boolArg(layer, 'ceilMode', o.ceilMode, false) };
}

/**
 * Max pooling over `[N, C, H, W]` (or `[C, H, W]`) input; see `maxPool2d`.
 * @example new nn.MaxPool2d(3, { stride: 2, padding: 1 }) // ResNet's stem
 */
export class MaxPool2d extends Module {
  /** Window size. */
  readonly kernelSize: PoolSize;
  /** Step (the kernel size when null). */
  readonly stride: PoolSize | null;
  /** Padding. */
  readonly padding: PoolSize;
  /** Dilation. */
  readonly dilation: PoolSize;
  /** Ceil mode. */
  readonly ceilMode: boolean;
  /** Whether forward returns `[output, indices]`. */
  readonly returnIndices: boolean;
  /** Creates the layer; the sizes are checked by the first forward. */
  constructor(kernelSize: PoolSize, options?: MaxPool2dLayerOptions) {
    super();
    const L = 'MaxPool2d';
    const o = optionsArg(L, options);
    ({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode } = windowOptions(L, kernelSize, o));
    this.dilation = o.dilation ?? 1;
    pairArg(L, 'dilation', this.dilation);
    this.returnIndices = boolArg(L, 'returnIndices', o.returnIndices, false);
  }
  /** Pools `x`; `[output, indices]` when `returnIndices` was set. */
  override forward(x: Tensor): Tensor | [Tensor, Tensor] {
    return maxPool2d(x, {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
    });
  }
  /** PyTorch's repr with camelCase names. */
  override extraRepr(): string {
    return `kernelSize=${size(this.kernelSize)}, stride=${size(this.stride ?? this.kernelSize)}, padding=${size(this.padding)}, dilation=${size(this.dilation)}, ceilMode=${this.ceilMode}`;
  }
}

/** Options of {@link AvgPool2d}. */
export interface AvgPool2dLayerOptions {
  /** Step between windows; the kernel size by default. */
  stride?: PoolSize | null;
  /** Implicit zero padding on each side (at most half the kernel). Default 0. */
  padding?: PoolSize;
  /** Round the output size up. Default false. */
  ceilMode?: boolean;
  /** Count padded positions in the divisor. Default true. */
  countIncludePad?: boolean;
  /** A fixed divisor instead of the window size. */
  divisorOverride?: number | null;
}

/**
 * Average pooling over `[N, C, H, W]` (or `[C, H, W]`) input; see `avgPool2d`.
 * @example new nn.AvgPool2d(2) // halves H and W
 */
export class AvgPool2d extends Module {
  /** Window size. */
  readonly kernelSize: PoolSize;
  /** Step (the kernel size when null). */
  readonly stride: PoolSize | null;
  /** Padding. */
  readonly padding: PoolSize;
  /** Ceil mode. */
  readonly ceilMode: boolean;
  /** Whether padding counts in the divisor. */
  readonly countIncludePad: boolean;
  /** Fixed divisor, or null. */
  readonly divisorOverride: number | null;
  /** Creates the layer; the sizes are checked by the first forward. */
  constructor(kernelSize: PoolSize, options?: AvgPool2dLayerOptions) {
    super();
    const L = 'AvgPool2d';
    const o = optionsArg(L, options);
    ({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode } = windowOptions(L, kernelSize, o));
    this.countIncludePad = boolArg(L, 'countIncludePad', o.countIncludePad, true);
    this.divisorOverride = o.divisorOverride ?? null;
  }
  /** Pools `x`. */
  override forward(x: Tensor): Tensor {
    return avgPool2d(x, {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }
  /** PyTorch's repr with camelCase names. */
  override extraRepr(): string {
    return `kernelSize=${size(this.kernelSize)}, stride=${size(this.stride ?? this.kernelSize)}, padding=${size(this.padding)}`;
  }
}

/**
 * Average pooling to a fixed output size, whatever the input size; see `adaptiveAvgPool2d`.
 * @example new nn.AdaptiveAvgPool2d(1) // global average pooling: [N, C, H, W] -> [N, C, 1, 1]
 */
export class AdaptiveAvgPool2d extends Module {
  /** Output size (`[h, w]` entries may be null: keep that input size). */
  readonly outputSize: AdaptiveSize;
  /** @param outputSize one number or `[h, w]` */
  constructor(outputSize: AdaptiveSize) {
    super();
    const ok = (v: unknown) => v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 1);
    if (!(typeof outputSize === 'number' ? ok(outputSize) : Array.isArray(outputSize) && outputSize.length === 2 && outputSize.every(ok))) {
      throw new TypeError(`AdaptiveAvgPool2d: 'outputSize' must be a positive integer or an [h, w] pair (null keeps the input size), got ${JSON.stringify(outputSize)}`);
    }
    this.outputSize = outputSize;
  }
  /** Pools `x` to the output size. */
  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  /** `outputSize=…`. */
  override extraRepr(): string {
    const o = this.outputSize;
    return `outputSize=${typeof o === 'number' ? o : `(${o.map((v) => (v === null ? 'null' : v)).join(', ')})`}`;
  }
}

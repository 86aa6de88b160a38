/**
 * Input upsampling (Ashraf, Khan, Khan & Bennamoun, "Shallow networks for high-accuracy road
 * object-detection"): small inputs are enlarged by interpolation before a network, so that a shallow
 * network sees objects at a scale its receptive fields suit. {@link withInputUpsampling} puts such a stage
 * (an `nn.Upsample`, no parameters) in front of any model.
 * @module
 */
import { Tensor } from '../tensor';
import { InterpolateMode } from '../ops/resample';
import { Module } from '../nn/module';
import { Upsample } from '../nn/layers/upsampling';

/** Options of {@link withInputUpsampling}: exactly one of `size` and `scaleFactor`. */
export interface InputUpsamplingOptions {
  /** Multiplier of the input size: a number or `[sh, sw]`. */
  scaleFactor?: number | readonly [number, number];
  /** Output size: a number or `[h, w]`. */
  size?: number | readonly [number, number];
  /** `'bilinear'` (default) or `'nearest'`. */
  mode?: InterpolateMode;
  /** Bilinear only: align the corners. Default false. */
  alignCorners?: boolean;
}

/**
 * `upsample` (the interpolation stage) followed by `model`. The wrapped model's parameters appear under
 * `model.` in the state dict; its `loss` and `predict` are forwarded when it has them.
 */
export class InputUpsampling<M extends Module = Module> extends Module {
  /** The interpolation stage. */
  declare upsample: Upsample;
  /** The wrapped model. */
  declare model: M;

  /** Wraps `model`; see {@link InputUpsamplingOptions}. */
  constructor(model: M, options: InputUpsamplingOptions) {
    super();
    this.registerModule('upsample', new Upsample({ mode: 'bilinear', ...options }));
    this.registerModule('model', model);
  }

  /** Upsamples `x`, then runs the model. */
  override forward(x: Tensor): Tensor {
    return (this.model as Module).call(this.upsample.call(x));
  }

  /** The wrapped model's loss (throws if it has none). */
  loss(output: Tensor, target: Tensor): Tensor {
    const m = this.model as unknown as { loss?: (o: Tensor, t: Tensor) => Tensor };
    if (!m.loss) throw new TypeError('InputUpsampling: the wrapped model has no loss()');
    return m.loss(output, target);
  }

  /** The wrapped model's prediction rule (throws if it has none). */
  predict(output: Tensor): Tensor {
    const m = this.model as unknown as { predict?: (o: Tensor) => Tensor };
    if (!m.predict) throw new TypeError('InputUpsampling: the wrapped model has no predict()');
    return m.predict(output);
  }
}

/**
 * Puts an input-upsampling stage in front of `model`.
 * @example const net = models.withInputUpsampling(models.simpnet(), { scaleFactor: 2 }); // 16×16 → 32×32
 */
export function withInputUpsampling<M extends Module>(model: M, options: InputUpsamplingOptions): InputUpsampling<M> {
  return new InputUpsampling(model, options);
}

/**
 * Perceptual losses (Johnson, Alahi & Fei-Fei, "Perceptual losses for real-time style transfer and
 * super-resolution", ECCV 2016): distances between images measured in a fixed network's feature space
 * instead of pixels, feature reconstruction for content and Gram matrices for style.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Module } from '../nn/module';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { bmm } from '../ops/matmul';
import { checkTensor } from '../ops/util';
import { captureOutputs, layerOption } from './capture';
import { checkOptions, numberOption } from './optimize';
import type { ResolvedLayer } from './layers';
import type { LayerRef } from './types';

/** Options of {@link perceptualLoss}; at least one of `content` and `style` is needed. */
export interface PerceptualOptions {
  /** Layers of the feature reconstruction (content) loss, e.g. VGG-16's `relu2_2` (`features.8`). */
  content?: LayerRef | readonly LayerRef[];
  /** Layers of the style loss; their outputs must be 4-D. Johnson et al. use relu1_2 … relu4_3. */
  style?: LayerRef | readonly LayerRef[];
  /** Weight of the content loss in {@link PerceptualLoss.loss}. Default 1. */
  contentWeight?: number;
  /** Weight of the style loss in {@link PerceptualLoss.loss}. Default 1. */
  styleWeight?: number;
}

/**
 * Differentiable losses between images `x` [N, C, H, W] and targets (N images, or one for the whole
 * batch), each a scalar averaged over the batch. The target's features are computed without gradient;
 * `x`'s with the caller's grad mode, so `grad(() => loss.loss(x, y), [x])` or a training step works.
 */
export interface PerceptualLoss {
  /** `contentWeight · content(x, target) + styleWeight · style(x, target)`, from one forward pass of each. */
  loss(x: Tensor, target: Tensor): Tensor;
  /** Σ_j ‖φ_j(x) − φ_j(y)‖² / (C_j·H_j·W_j) over the content layers; needs `target` shaped as `x` (its batch may be 1). */
  content(x: Tensor, target: Tensor): Tensor;
  /** Σ_j ‖G_j(x) − G_j(y)‖²_F over the style layers ({@link gramMatrix}); the target may have another size. */
  style(x: Tensor, target: Tensor): Tensor;
  /** The content layers' module paths. */
  readonly contentLayers: string[];
  /** The style layers' module paths. */
  readonly styleLayers: string[];
}

/**
 * The Gram matrices G = φφᵀ / (C·H·W) of features φ [N, C, H, W] viewed as [N, C, H·W]: [N, C, C]. The
 * normalisation makes the style loss comparable across layers of different sizes.
 * @example const g = gramMatrix(features); // [N, C, C]
 */
export function gramMatrix(features: Tensor): Tensor {
  const f = checkTensor('gramMatrix', 'features', features);
  if (f.dtype !== 'float32' || f.ndim !== 4) {
    throw new TypeError(`gramMatrix: argument 'features' must be a float32 [N, C, H, W] tensor, got ${f.dtype} ${fmtShape(f.shape)}`);
  }
  const [n, c, h, w] = f.shape;
  const flat = f.reshape([n, c, h * w]);
  return bmm(flat, flat.transpose(1, 2)).div(c * h * w);
}

function checkBatch(op: string, arg: string, t: unknown): Tensor {
  const x = checkTensor(op, arg, t);
  if (x.dtype !== 'float32' || x.ndim !== 4) throw new TypeError(`${op}: argument '${arg}' must be a float32 [N, C, H, W] batch, got ${x.dtype} ${fmtShape(x.shape)}`);
  return x;
}

const KNOWN = ['content', 'style', 'contentWeight', 'styleWeight'];

/**
 * Perceptual losses measured by `model` (a fixed, trained network, such as VGG-16): feature
 * reconstruction ℓ_feat = ‖φ_j(x) − φ_j(y)‖² / (C_j·H_j·W_j) at the content layers, and style
 * ℓ_style = ‖G_j(x) − G_j(y)‖²_F with {@link gramMatrix} at the style layers, as Johnson et al. define
 * them (sums over layers, means over the batch). Each call runs the model on `x` and on the target with
 * forward hooks that are removed before it returns, in eval mode (restored afterwards), inside a `tidy`
 * scope that keeps only the loss. Freeze the model (`requiresGrad_(false)`) when training another
 * network with `backward()`, or its parameters collect gradients too.
 * @example
 * const perceptual = explain.perceptualLoss(vgg, { content: 'features.8', style: ['features.3', 'features.8', 'features.15', 'features.22'], styleWeight: 5 });
 * const [g] = grad(() => perceptual.loss(x, styleImage), [x]);
 */
export function perceptualLoss(model: Module, options: PerceptualOptions): PerceptualLoss {
  const op = 'perceptualLoss';
  if (!(model instanceof Module)) throw new TypeError(`${op}: argument 'model' must be a Module, got ${model === null ? 'null' : typeof model}`);
  if (options === undefined) throw new TypeError(`${op}: argument 'options' is required ({ content, style, ... })`);
  const o = checkOptions(op, options, KNOWN);
  const content = o.content === undefined ? [] : layerOption(op, 'content', model, o.content, true);
  const style = o.style === undefined ? [] : layerOption(op, 'style', model, o.style, true);
  if (content.length + style.length === 0) throw new RangeError(`${op}: give 'content' or 'style' layers (or both)`);
  const contentWeight = numberOption(op, 'contentWeight', o.contentWeight, 1, { min: 0 });
  const styleWeight = numberOption(op, 'styleWeight', o.styleWeight, 1, { min: 0 });

  const compute = (name: string, x: unknown, target: unknown, useContent: boolean, useStyle: boolean, weighted: boolean): Tensor => {
    const where = `${op}.${name}`;
    const xs = checkBatch(where, 'x', x);
    const ys = checkBatch(where, 'target', target);
    if (ys.shape[0] !== xs.shape[0] && ys.shape[0] !== 1) {
      throw new RangeError(`${where}: argument 'target' must hold ${xs.shape[0]} images (as 'x') or 1, got shape ${fmtShape(ys.shape)}`);
    }
    if (useContent && ys.shape.slice(1).some((d, i) => d !== xs.shape[i + 1])) {
      throw new RangeError(`${where}: argument 'target' must have the image shape of 'x' ${fmtShape(xs.shape.slice(1))} for the content loss, got ${fmtShape(ys.shape)}`);
    }
    const layers: ResolvedLayer[] = [...(useContent ? content : []), ...(useStyle ? style : [])];
    const rank4 = layers.map((_, i) => !useContent || i >= content.length);
    const wasTraining = model.training;
    model.eval();
    try {
      return tidy(() => {
        const fy = noGrad(() => captureOutputs(where, layers, () => model.call(ys), rank4).map((t) => t.detach()));
        const fx = captureOutputs(where, layers, () => model.call(xs), rank4);
        const terms: Tensor[] = [];
        if (useContent) {
          const c = content.map((_, j) => fx[j].sub(fy[j]).square().mean()).reduce((a, b) => a.add(b));
          terms.push(weighted ? c.mul(contentWeight) : c);
        }
        if (useStyle) {
          const k = useContent ? content.length : 0;
          const s = style
            .map((_, j) => gramMatrix(fx[k + j]).sub(gramMatrix(fy[k + j])).square().sum([1, 2]).mean())
            .reduce((a, b) => a.add(b));
          terms.push(weighted ? s.mul(styleWeight) : s);
        }
        return terms.length === 1 ? terms[0] : terms[0].add(terms[1]);
      });
    } finally {
      if (wasTraining) model.train();
    }
  };

  return {
    contentLayers: content.map((l) => l.name),
    styleLayers: style.map((l) => l.name),
    loss: (x, target) => compute('loss', x, target, content.length > 0, style.length > 0, true),
    content: (x, target) => {
      if (content.length === 0) throw new RangeError(`${op}.content: no 'content' layers were given`);
      return compute('content', x, target, true, false, false);
    },
    style: (x, target) => {
      if (style.length === 0) throw new RangeError(`${op}.style: no 'style' layers were given`);
      return compute('style', x, target, false, true, false);
    },
  };
}

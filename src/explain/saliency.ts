/**
 * Saliency from the gradient of the target score with respect to the input pixels, ∂S/∂x:
 *
 * - Vanilla gradient (Simonyan et al. 2014): ∂S/∂x itself; the map is its largest |value| over channels.
 * - SmoothGrad (Smilkov et al. 2017): the mean gradient over noisy copies x + ε, ε ~ N(0, σ²), σ a
 *   fraction of each image's value range; averaging removes the gradient's high-frequency noise
 *   (SmoothGrad-Squared averages the squared gradients).
 * - Guided backpropagation (Springenberg et al. 2015): ∂S/∂x with every ReLU of the model passing back
 *   only positive gradients, (x > 0)·relu(g): sharp, but largely class-insensitive on its own.
 * - Guided Grad-CAM (Selvaraju et al. 2017): guided backpropagation times the upsampled Grad-CAM map,
 *   which restores the class discrimination at pixel resolution.
 *
 * Integrated gradients live in `integrated.ts`.
 * @module
 */
import { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { add, mul, sub } from '../ops/elementwise';
import { max, min } from '../ops/reduce';
import { indexSelect } from '../ops/indexing';
import { randn, tensor } from '../ops/creation';
import { checkNumber } from '../ops/util';
import { Generator } from '../random';
import { inEvalMode, outputTensor } from './pipeline';
import { resolveTargets, targetScores } from './targets';
import { checkArgs, inputGradients, meanGradients, saliencyResult } from './gradients';
import { resolveLayers } from './layers';
import { gradCam } from './cam';
import type { CamOptions, Saliency, SaliencyOptions } from './types';

/**
 * The gradient of each image's target score with respect to its pixels (Simonyan et al. 2014).
 * @example const { maps, attributions } = await explain.saliency(model, images, { targets: 3 });
 */
export async function saliency(model: Module, input: Tensor, options: SaliencyOptions = {}): Promise<Saliency> {
  return gradientSaliency('saliency', model, input, options, false);
}

/**
 * Guided backpropagation: the input gradient with every ReLU of the model passing back only positive
 * gradients where its input was positive (the mode of `withGuidedRelu`).
 * @example const { maps } = await explain.guidedBackprop(models.resnet18(), x, { targets: 243 });
 */
export async function guidedBackprop(model: Module, input: Tensor, options: SaliencyOptions = {}): Promise<Saliency> {
  return gradientSaliency('guidedBackprop', model, input, options, true);
}

async function gradientSaliency(op: string, model: Module, input: Tensor, options: SaliencyOptions, guided: boolean): Promise<Saliency> {
  checkArgs(op, model, input, options);
  return inEvalMode(model, () =>
    tidy(async () => {
      const pass = await inputGradients(op, model, input, null, options.targets, guided);
      return saliencyResult(pass.grads, pass.scores, pass.targets);
    }),
  );
}

/** Options of {@link smoothGrad}. */
export interface SmoothGradOptions extends SaliencyOptions {
  /** Noisy copies per image. Default 25. */
  samples?: number;
  /**
   * The noise's standard deviation as a fraction of each image's value range (max − min), so that it
   * means the same for [0, 1] pixels and normalised ones. Default 0.15, the paper's sweet spot.
   */
  noiseLevel?: number;
  /** Average the squared gradients (SmoothGrad-Squared): signless, with less background. Default false. */
  squared?: boolean;
  /** The noise's random stream, for reproducible maps; the global generator by default. */
  generator?: Generator;
  /** Noisy copies per forward pass. Default 32. */
  batchSize?: number;
}

/**
 * SmoothGrad: the input gradient averaged over noisy copies of each image.
 * @example const { maps } = await explain.smoothGrad(model, x, { samples: 50, generator: new Generator(0) });
 */
export async function smoothGrad(model: Module, input: Tensor, options: SmoothGradOptions = {}): Promise<Saliency> {
  const op = 'smoothGrad';
  checkArgs(op, model, input, options, ['samples', 'batchSize']);
  const level = options.noiseLevel === undefined ? 0.15 : checkNumber(op, 'noiseLevel', options.noiseLevel, { min: 0 });
  if (!Number.isFinite(level)) throw new RangeError(`${op}: 'noiseLevel' must be finite, got ${level}`);
  if (options.squared !== undefined && typeof options.squared !== 'boolean') throw new TypeError(`${op}: 'squared' must be a boolean, got ${typeof options.squared}`);
  if (options.generator !== undefined && !(options.generator instanceof Generator)) throw new TypeError(`${op}: 'generator' must be a Generator`);
  const [n, ...chw] = input.shape;
  return inEvalMode(model, () =>
    tidy(async () => {
      const out = outputTensor(op, noGrad(() => model.call(input)), model);
      const targets = await resolveTargets(op, out, options.targets);
      const scores = noGrad(() => targetScores(op, out, targets));
      const flat = input.reshape([n, -1]);
      const sigma = mul(sub(max(flat, 1), min(flat, 1)), level);
      const attributions = await meanGradients(op, model, input, targets, {
        perImage: options.samples ?? 25,
        batchSize: options.batchSize ?? 32,
        squared: options.squared ?? false,
        make: (images) => {
          const idx = tensor(Int32Array.from(images), [images.length], { dtype: 'int32', device: input.device });
          const noise = randn([images.length, ...chw], { device: input.device, generator: options.generator });
          return add(indexSelect(input, 0, idx), mul(noise, indexSelect(sigma, 0, idx).reshape([images.length, 1, 1, 1])));
        },
      });
      return saliencyResult(attributions, scores, targets);
    }),
  );
}

/**
 * Guided Grad-CAM: guided backpropagation times the Grad-CAM map upsampled to the input, explaining the
 * same targets (resolved once, so both halves agree). Takes Grad-CAM's options; `scores` and `targets`
 * are those of the unmodified input.
 * @example const { maps } = await explain.guidedGradCam(models.resnet18(), x, { layers: 'layer4', targets: 243 });
 */
export async function guidedGradCam(model: Module, input: Tensor, options: CamOptions = {}): Promise<Saliency> {
  const op = 'guidedGradCam';
  checkArgs(op, model, input, options, ['batchSize']);
  // Named layers are checked here so that a wrong one is reported as this op's, not Grad-CAM's.
  if (options.layers !== undefined) resolveLayers(op, model, options.layers);
  return inEvalMode(model, () =>
    tidy(async () => {
      const pass = await inputGradients(op, model, input, null, options.targets, true);
      const cam = await gradCam(model, input, { ...options, targets: pass.targets });
      const [n, , h, w] = input.shape;
      return saliencyResult(mul(pass.grads, cam.maps.reshape([n, 1, h, w])), pass.scores, pass.targets);
    }),
  );
}

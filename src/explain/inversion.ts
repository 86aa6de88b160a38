/**
 * Feature inversion (Mahendran & Vedaldi, "Understanding deep image representations by inverting them",
 * CVPR 2015): the image a layer "sees", reconstructed from the layer's representation alone.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Module } from '../nn/module';
import { Generator } from '../random';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { clone, randn, zeros } from '../ops/creation';
import { checkTensor } from '../ops/util';
import { captureOutputs, layerOption } from './capture';
import { inEvalMode } from './pipeline';
import { alphaNorm, randomShifts, totalVariation } from './regularizers';
import {
  callbackOption,
  checkOptions,
  generatorOption,
  initOption,
  numberOption,
  optimizeImage,
  optimizerOption,
  signalOption,
  type ImageOptimizer,
} from './optimize';
import type { LayerRef } from './types';

/** Progress of {@link invert}, after each step. */
export interface InvertStep {
  /** The step just taken, 1 to `steps`. */
  step: number;
  /** The number of steps in all. */
  steps: number;
  /** The objective at this step: `reconstruction + regularisation`. */
  loss: number;
  /** ‖Φ(x) − Φ₀‖² / ‖Φ₀‖² (mean over the batch). */
  reconstruction: number;
  /** The weighted, normalised priors λ_α·N_α(x) + λ_TV·N_TV^β(x). */
  regularisation: number;
}

/** Options of {@link invert}. */
export interface InvertOptions {
  /** The layer whose representation Φ is inverted: a module path (`features.3`) or the module. */
  layer: LayerRef;
  /** Optimisation steps. Default 200. */
  steps?: number;
  /**
   * Learning rate. Adam moves a pixel by about `lr` per step, so it is in the image's units: default
   * `range / 50`. SGD's step is `lr` times a gradient that scales as 1/‖image‖ (the objective is
   * normalised): default ‖image‖² / (50·N), the same relative move.
   */
  lr?: number;
  /** Exponent of the α-norm prior. Default 6. */
  alpha?: number;
  /** Weight λ_α of the normalised α-norm prior (dimensionless). Default 1e-3. */
  lambdaAlpha?: number;
  /** Exponent of the total-variation prior. Default 2. */
  beta?: number;
  /** Weight λ_TV of the normalised total-variation prior (dimensionless). Default 1e-5. */
  lambdaTV?: number;
  /** The data range B of the normalisation: pixels are expected in [−B, B]. Default max |image|. */
  range?: number;
  /** Random circular shift of up to this many pixels per step (Mahendran & Vedaldi 2016). Default 0. */
  jitter?: number;
  /** The starting image, shaped as the input; default Gaussian noise of standard deviation `range / 10`. */
  init?: Tensor;
  /** Adam (default), or SGD with momentum 0.9 as in the paper. */
  optimizer?: ImageOptimizer;
  /** The random stream of the starting noise and the jitter; the global one by default. */
  generator?: Generator;
  /** Progress callback after each step (awaited when it returns a promise). */
  onStep?: (progress: InvertStep) => void | Promise<void>;
  /** Aborts between steps; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What {@link invert} resolves to. */
export interface Inversion {
  /** The reconstruction, shaped as the input [N, C, H, W]. */
  image: Tensor;
  /** The objective at each step (before that step's update). */
  losses: number[];
  /** ‖Φ(x) − Φ₀‖ / ‖Φ₀‖ of the final image, over the whole batch. */
  featureError: number;
}

const KNOWN = ['layer', 'steps', 'lr', 'alpha', 'lambdaAlpha', 'beta', 'lambdaTV', 'range', 'jitter', 'init', 'optimizer', 'generator', 'onStep', 'signal'];

/** The fraction a of the range B that the paper takes as the typical difference between neighbours. */
const TV_FRACTION = 0.01;

const TINY = 1e-12;

/**
 * Reconstructs images from their representation Φ₀ = Φ(image) at `layer` by minimising, over x,
 *
 * ```text
 * ‖Φ(x) − Φ₀‖² / ‖Φ₀‖²  +  λ_α · R_α(x) / (H·W·B^α)  +  λ_TV · R_TV^β(x) / (H·W·(a·B)^β)
 * ```
 *
 * with R_α = Σ|x|^α ({@link alphaNorm}) and R_TV^β the total variation ({@link totalVariation}). The
 * normalisation is the paper's (section 3.3, with its scale σ = 1: x is optimised in the input's own
 * units): dividing the loss by ‖Φ₀‖² puts it in [0, 1) near the optimum; an image whose pixels mostly
 * reach the range B has R_α ≈ H·W·B^α, and one whose neighbours differ by a = 1 % of B has
 * R_TV^β ≈ H·W·(aB)^β, so after dividing, the λ's are dimensionless and comparable across image sizes and
 * ranges. B is `range`, by default the largest |pixel| of `image`. A batch is N independent inversions:
 * the terms are per image, averaged over the batch.
 *
 * Φ is captured by a forward hook on `layer` (the rest of the forward pass runs too). Each step takes
 * the gradient with `grad()`, so the parameters' `.grad` is left alone, runs inside its own `tidy`
 * scope, and awaits its numbers, so the event loop keeps running. The model is in eval mode during the
 * call and restored afterwards. Bad arguments throw at once; failures during the optimisation reject.
 *
 * @example
 * const { image, featureError } = await explain.invert(net, x, { layer: 'features.1', steps: 300, onStep: (p) => bar.update(p.step) });
 */
export function invert(model: Module, image: Tensor, options: InvertOptions): Promise<Inversion> {
  const op = 'invert';
  if (!(model instanceof Module)) throw new TypeError(`${op}: argument 'model' must be a Module, got ${model === null ? 'null' : typeof model}`);
  const x0 = checkTensor(op, 'image', image);
  if (x0.dtype !== 'float32' || x0.ndim !== 4) {
    throw new TypeError(`${op}: argument 'image' must be a float32 [N, C, H, W] batch, got ${x0.dtype} ${fmtShape(x0.shape)}`);
  }
  if (options === undefined) throw new TypeError(`${op}: argument 'options' is required ({ layer, ... })`);
  const o = checkOptions(op, options, KNOWN);
  const [layer] = layerOption(op, 'layer', model, o.layer);
  const steps = numberOption(op, 'steps', o.steps, 200, { min: 1, integer: true });
  const alpha = numberOption(op, 'alpha', o.alpha, 6, { min: 1 });
  const beta = numberOption(op, 'beta', o.beta, 2, { min: 1 });
  const lambdaAlpha = numberOption(op, 'lambdaAlpha', o.lambdaAlpha, 1e-3, { min: 0 });
  const lambdaTV = numberOption(op, 'lambdaTV', o.lambdaTV, 1e-5, { min: 0 });
  const givenRange = o.range === undefined ? undefined : numberOption(op, 'range', o.range, 1, { min: 0, exclusiveMin: true });
  const givenLr = o.lr === undefined ? undefined : numberOption(op, 'lr', o.lr, 0, { min: 0, exclusiveMin: true });
  const maxShift = numberOption(op, 'jitter', o.jitter, 0, { min: 0, integer: true });
  const init = initOption(op, o.init, x0.shape);
  const optimizer = optimizerOption(op, o.optimizer);
  const generator = generatorOption(op, o.generator);
  const onStep = callbackOption<InvertOptions['onStep']>(op, 'onStep', o.onStep);
  const signal = signalOption(op, o.signal);
  const [n, , h, w] = x0.shape;

  return inEvalMode(model, () =>
    tidy(async () => {
      const range = givenRange ?? ((await noGrad(() => x0.abs().max()).item()) || 1);
      const lr = givenLr ?? (optimizer === 'adam' ? range / 50 : (await noGrad(() => x0.square().sum()).item()) / (50 * n) || 1);
      const phi0 = tidy(() => noGrad(() => captureOutputs(op, [layer], () => model.call(x0))[0].detach()));
      const dims = phi0.shape.map((_, i) => i).slice(1);
      const energy0 = noGrad(() => phi0.square().sum(dims).maximum(TINY));
      const x = noGrad(() => (init ? clone(init.detach()) : randn(x0.shape, { generator, device: x0.device }).mul(range / 10)));
      const shifts = await randomShifts(steps, maxShift, generator);
      const alphaScale = lambdaAlpha / (n * h * w);
      const tvScale = lambdaTV / (n * h * w);
      const losses: number[] = [];
      await optimizeImage({
        x,
        steps,
        lr,
        optimizer,
        shifts,
        signal,
        objective: (xj, xs) => {
          const [phi] = captureOutputs(op, [layer], () => model.call(xj));
          const reconstruction = phi.sub(phi0).square().sum(dims).div(energy0).mean();
          // The priors see x in units of B (of aB for TV): the same value as dividing by B^α, without
          // float32 overflow for large ranges and exponents.
          let reg: Tensor = zeros([], { device: xs.device });
          if (alphaScale > 0) reg = reg.add(alphaNorm(xs.div(range), alpha).mul(alphaScale));
          if (tvScale > 0) reg = reg.add(totalVariation(xs.div(TV_FRACTION * range), beta).mul(tvScale));
          return { loss: reconstruction.add(reg), parts: [reconstruction, reg] };
        },
        report: (step, [loss, reconstruction, regularisation]) => {
          losses.push(loss);
          return onStep?.({ step, steps, loss, reconstruction, regularisation });
        },
      });
      const featureError = await tidy(() =>
        noGrad(() => {
          const [phi] = captureOutputs(op, [layer], () => model.call(x));
          return phi.sub(phi0).square().sum().div(phi0.square().sum().maximum(TINY)).sqrt();
        }),
      ).item();
      const result: Inversion = { image: x, losses, featureError };
      return result;
    }),
  );
}

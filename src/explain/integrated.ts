/**
 * Integrated gradients (Sundararajan et al. 2017): the path integral of the input gradient along the
 * straight line from a baseline x′ to the input x,
 *
 *   IG(x) = (x − x′) ⊙ ∫₀¹ ∂S/∂x (x′ + α(x − x′)) dα,
 *
 * by the midpoint rule, α_k = (k + ½)/steps, whose error falls as 1/steps² for a smooth model (the left
 * Riemann sum's only as 1/steps). The attributions then add up to S(x) − S(x′) (completeness); the gap
 * left over is returned so that callers can tell whether `steps` was enough.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Module } from '../nn/module';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { add, mul, sub } from '../ops/elementwise';
import { indexSelect } from '../ops/indexing';
import { full, tensor } from '../ops/creation';
import { expand } from '../ops/layout';
import { checkSameDevice } from '../ops/util';
import { inEvalMode, outputTensor } from './pipeline';
import { resolveTargets, targetScores } from './targets';
import { checkArgs, meanGradients, saliencyResult } from './gradients';
import type { Saliency, SaliencyOptions } from './types';

/** Options of {@link integratedGradients}. */
export interface IntegratedGradientsOptions extends SaliencyOptions {
  /** Points on the path (gradient evaluations per image). Default 50. */
  steps?: number;
  /**
   * The reference input x′ that stands for "no signal": a number for every value, or a tensor that
   * broadcasts to the input ([C, H, W], [1, C, H, W] or [N, C, H, W]). Default 0 (black images; for
   * normalised inputs pass the normalised black, or the dataset mean).
   */
  baseline?: Tensor | number;
  /** Points per forward pass. Default 32. */
  batchSize?: number;
}

/** What {@link integratedGradients} resolves to. */
export interface IntegratedGradientsResult extends Saliency {
  /**
   * Per image, Σ attributions − (S(x) − S(x′)): the discretisation error of the path integral. Large
   * against S(x) − S(x′), it asks for more `steps`.
   */
  completenessGap: number[];
}

// The baseline broadcast to the input's shape.
function baselineFor(op: string, input: Tensor, baseline: unknown): Tensor {
  if (baseline === undefined) return full(input.shape, 0, { device: input.device });
  if (typeof baseline === 'number') {
    if (!Number.isFinite(baseline)) throw new RangeError(`${op}: argument 'baseline' must be finite, got ${baseline}`);
    return full(input.shape, baseline, { device: input.device });
  }
  if (!(baseline instanceof Tensor)) throw new TypeError(`${op}: argument 'baseline' must be a Tensor or a number, got ${baseline === null ? 'null' : typeof baseline}`);
  checkSameDevice(op, { input, baseline });
  const lead = input.ndim - baseline.ndim;
  const fits = baseline.dtype === 'float32' && lead >= 0 && baseline.shape.every((d, i) => d === 1 || d === input.shape[lead + i]);
  if (!fits) {
    throw new RangeError(`${op}: argument 'baseline' must be float32 and broadcast to the input ${fmtShape(input.shape)}, got ${baseline.dtype} ${fmtShape(baseline.shape)}`);
  }
  return expand(baseline.detach(), input.shape);
}

/**
 * Integrated gradients: (x − x′) times the mean input gradient at `steps` points between the baseline x′
 * and x, `batchSize` points per forward pass; with the completeness gap of each image.
 * @example
 * const { attributions, completenessGap } = await explain.integratedGradients(model, x, { steps: 64, targets: 7 });
 */
export async function integratedGradients(model: Module, input: Tensor, options: IntegratedGradientsOptions = {}): Promise<IntegratedGradientsResult> {
  const op = 'integratedGradients';
  checkArgs(op, model, input, options, ['steps', 'batchSize']);
  const steps = options.steps ?? 50;
  const n = input.shape[0];
  return inEvalMode(model, () =>
    tidy(async () => {
      const base = baselineFor(op, input, options.baseline);
      const out = outputTensor(op, noGrad(() => model.call(input)), model);
      const targets = await resolveTargets(op, out, options.targets);
      const scores = noGrad(() => targetScores(op, out, targets));
      const baseScores = noGrad(() => targetScores(op, outputTensor(op, model.call(base), model), targets));
      const diff = sub(input, base);
      const mean = await meanGradients(op, model, input, targets, {
        perImage: steps,
        batchSize: options.batchSize ?? 32,
        make: (images, points) => {
          const b = images.length;
          const idx = tensor(Int32Array.from(images), [b], { dtype: 'int32', device: input.device });
          const alpha = tensor(Float32Array.from(points, (k) => (k + 0.5) / steps), [b, 1, 1, 1], { device: input.device });
          return add(indexSelect(base, 0, idx), mul(indexSelect(diff, 0, idx), alpha));
        },
      });
      const attributions = mul(diff, mean);
      const total = await attributions.reshape([n, -1]).sum(1).data();
      const [s, s0] = [await scores.data(), await baseScores.data()];
      const result: IntegratedGradientsResult = {
        ...(await saliencyResult(attributions, scores, targets)),
        completenessGap: Array.from(total, (t, i) => t - (s[i] - s0[i])),
      };
      return result;
    }),
  );
}

/**
 * The input gradients every saliency method is built on: ∂S/∂x of the target scores for a batch, and
 * their per-image means over many points (noisy copies, points on a path) computed a batch of points per
 * forward pass and summed on the device. Gradients come from `grad`, so no parameter's `.grad` changes.
 * @module
 */
import { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { enableGrad, grad } from '../autograd';
import { tidy } from '../memory';
import { abs, add, mul, withGuidedRelu } from '../ops/elementwise';
import { max } from '../ops/reduce';
import { matmul } from '../ops/matmul';
import { tensor, zeros } from '../ops/creation';
import { checkNumber } from '../ops/util';
import { checkImages, outputTensor } from './pipeline';
import { resolveTargets, targetClasses, targetScores, type ResolvedTargets } from './targets';
import { normalizePerImage } from './postprocess';
import type { Saliency, Target, Targets } from './types';

/**
 * Checks what every saliency method takes: a module, a float32 [N, C, H, W] batch, an options object, and
 * the integer counts named in `counts` (at least 1 when given). Returns the options.
 */
export function checkArgs<O extends object>(op: string, model: unknown, input: unknown, options: O, counts: readonly (keyof O & string)[] = []): O {
  if (!(model instanceof Module)) throw new TypeError(`${op}: argument 'model' must be a Module, got ${model === null ? 'null' : typeof model}`);
  checkImages(op, input);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: argument 'options' must be an object, got ${options === null ? 'null' : typeof options}`);
  for (const name of counts) {
    const v = (options as Record<string, unknown>)[name];
    if (v !== undefined) checkNumber(op, name, v, { min: 1, integer: true });
  }
  return options;
}

/** One forward and backward pass over a batch. */
export interface GradientPass {
  /** ∂S_n/∂x_n for every image n, [N, C, H, W]. */
  grads: Tensor;
  /** The target scores, [N] (detached). */
  scores: Tensor;
  /** The targets, resolved on this pass's output when none were given resolved. */
  targets: ResolvedTargets;
}

/**
 * The input gradient of each image's target score. Scores of different images do not interact in eval
 * mode, so one backward of their sum gives every image its own gradient. `resolved` targets are used as
 * they are; otherwise `given` ones are resolved against this pass's output. With `guided`, the model's
 * ReLUs are recorded in guided mode (the score functions' own ReLUs are not).
 */
export async function inputGradients(
  op: string,
  model: Module,
  x: Tensor,
  resolved: ResolvedTargets | null,
  given: Targets | undefined,
  guided = false,
): Promise<GradientPass> {
  const xin = x.detach();
  xin.requiresGrad = true;
  const forward = () => model.call(xin);
  const out = outputTensor(op, enableGrad(() => (guided ? withGuidedRelu(forward) : forward())), model);
  const targets = resolved ?? (await resolveTargets(op, out, given));
  const scores = enableGrad(() => targetScores(op, out, targets));
  const [grads] = grad(scores.sum(), [xin]);
  return { grads, scores: scores.detach(), targets };
}

// Image i's target for a point of image i; a score function still sees image i's index.
function targetOf(targets: ResolvedTargets, i: number): Target {
  const t = targets[i];
  return typeof t === 'number' ? t : (row: Tensor) => t(row, i);
}

/** How {@link meanGradients} builds and weighs the points. */
export interface PointSpec {
  /** Points per image. */
  perImage: number;
  /** Points per forward pass. */
  batchSize: number;
  /** The points [b, C, H, W] for the images `images[j]` and their point numbers `points[j]`. */
  make: (images: number[], points: number[]) => Tensor;
  /** Average the squared gradients instead (SmoothGrad-Squared). */
  squared?: boolean;
  /** Record the model's ReLUs in guided mode. */
  guided?: boolean;
}

/**
 * Per image, the mean over its points of the input gradient of its target score, [N, C, H, W]. The
 * points of all images are laid end to end and cut into batches, so a few images with many points and
 * many images with few both fill the forward passes; a segment matrix [N, b] of 1/perImage sums each
 * batch's gradients into their images with one matmul. Each batch waits for its scores, which lets the
 * event loop run and keeps at most one batch queued.
 */
export async function meanGradients(op: string, model: Module, input: Tensor, targets: ResolvedTargets, spec: PointSpec): Promise<Tensor> {
  const n = input.shape[0];
  const total = n * spec.perImage;
  let acc: Tensor | null = null;
  for (let s = 0; s < total; s += spec.batchSize) {
    const b = Math.min(spec.batchSize, total - s);
    const images = Array.from({ length: b }, (_, j) => Math.floor((s + j) / spec.perImage));
    const points = Array.from({ length: b }, (_, j) => (s + j) % spec.perImage);
    const prev: Tensor | null = acc;
    acc = await tidy(async (): Promise<Tensor> => {
      const pts = spec.make(images, points);
      const pass = await inputGradients(op, model, pts, images.map((i) => targetOf(targets, i)), undefined, spec.guided);
      const g = spec.squared ? mul(pass.grads, pass.grads) : pass.grads;
      const seg = new Float32Array(n * b);
      images.forEach((i, j) => (seg[i * b + j] = 1 / spec.perImage));
      const part = matmul(tensor(seg, [n, b], { device: input.device }), g.reshape([b, -1]));
      const next: Tensor = prev ? add(prev, part) : part;
      await pass.scores.data();
      return next;
    });
    prev?.dispose();
  }
  return acc ? acc.reshape([...input.shape]) : zeros(input.shape, { device: input.device });
}

/** The result of a saliency method: maps from the attributions, scores and classes read back. */
export async function saliencyResult(attributions: Tensor, scores: Tensor, targets: ResolvedTargets): Promise<Saliency> {
  return {
    attributions,
    maps: normalizePerImage(max(abs(attributions), 1)),
    scores: Array.from(await scores.data()),
    targets: targetClasses(targets),
  };
}

/**
 * Faithfulness metrics, to compare explanation methods on a model by how its confidence reacts when the
 * image is reduced to, or stripped of, what a map highlights:
 *
 * - Average Drop and Increase in Confidence (Chattopadhyay et al. 2018, Grad-CAM++): the image masked by
 *   its map, E = map ⊙ image; with Y the softmax probability of the target on the image and O on E,
 *   drop = max(0, Y − O) / Y per image, averaged (lower is better), and the share of images with O > Y
 *   (higher is better).
 * - Deletion and insertion (Petsiuk et al. 2018, RISE): pixels in decreasing order of the map are
 *   replaced by a baseline (deletion; a faithful map makes the probability fall fast, a low AUC) or
 *   brought into the baseline (insertion; it should rise fast, a high AUC).
 *
 * All run the model in eval mode without gradients, `batchSize` images per forward pass.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Module } from '../nn/module';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { full, tensor, zerosLike } from '../ops/creation';
import { sub } from '../ops/elementwise';
import { cat, gather, indexSelect, narrow } from '../ops/indexing';
import { softmax } from '../ops/softmax';
import { checkNumber, checkTensor } from '../ops/util';
import { checkImages, inEvalMode, outputTensor } from './pipeline';
import { resolveTargets } from './targets';
import { upsampleTo } from './postprocess';
import { gaussianBlur } from './blur';

/** Class targets of the metrics: one class for all images, one per image, or an int32 tensor [N]. */
export type ClassTargets = number | readonly number[] | Tensor;

/** Options of {@link confidenceChange}. */
export interface ConfidenceChangeOptions {
  /** The class whose probability is measured; default each image's predicted class. */
  targets?: ClassTargets;
  /** Images per forward pass. Default 32. */
  batchSize?: number;
}

/** What {@link confidenceChange} resolves to. */
export interface ConfidenceChange {
  /** Mean of `drop`, in percent: how much confidence the highlighted region alone loses (lower is better). */
  averageDrop: number;
  /** Percentage of images whose target probability rises on the masked image (higher is better). */
  increaseInConfidence: number;
  /** Per image, max(0, Y − O) / Y, in [0, 1]. */
  drop: number[];
  /** Per image, Y: the target's softmax probability on the image. */
  original: number[];
  /** Per image, O: the target's softmax probability on map ⊙ image. */
  explained: number[];
  /** The class measured for each image. */
  targets: number[];
}

/** Baselines of {@link deletionInsertion}: zeros, the Gaussian-blurred image, or a constant value. */
export type Baseline = 'zero' | 'blur' | number;

/** Options of {@link deletionInsertion}. */
export interface DeletionInsertionOptions {
  /** The class whose probability is measured; default each image's predicted class. */
  targets?: ClassTargets;
  /** Steps from none to all pixels; the curves have steps + 1 points. Default 50. */
  steps?: number;
  /**
   * What deleted pixels become and insertion starts from: `'zero'` (default), `'blur'` (the image blurred
   * by an 11-tap Gaussian of σ = 5, as RISE's insertion) or a constant, e.g. the dataset mean after
   * normalisation.
   */
  baseline?: Baseline;
  /** Perturbed images per forward pass. Default 32. */
  batchSize?: number;
}

/** The curves of one of the two metrics. */
export interface MetricCurves {
  /** Per image, the target's softmax probability at each step. */
  curves: number[][];
  /** Per image, the area under its curve over the fraction of pixels, by the trapezoid rule. */
  auc: number[];
}

/** What {@link deletionInsertion} resolves to. */
export interface DeletionInsertion {
  /** Probabilities as the most salient pixels are removed (lower AUC is better). */
  deletion: MetricCurves;
  /** Probabilities as the most salient pixels are inserted into the baseline (higher AUC is better). */
  insertion: MetricCurves;
  /** The fraction of pixels removed (or inserted) at each step, from 0 to 1: the curves' x axis. */
  fractions: number[];
  /** The class measured for each image. */
  targets: number[];
}

/**
 * The area under a curve by the trapezoid rule: `values` at `fractions` (increasing; default equally
 * spaced from 0 to 1), as the deletion and insertion AUCs are computed.
 * @example explain.auc([1, 0.5, 0]) // 0.5
 */
export function auc(values: readonly number[], fractions?: readonly number[]): number {
  const op = 'auc';
  if (!Array.isArray(values) || values.length < 2) throw new TypeError(`${op}: argument 'values' must be an array of at least 2 numbers`);
  const xs = fractions ?? values.map((_, i) => i / (values.length - 1));
  if (!Array.isArray(xs) || xs.length !== values.length) {
    throw new RangeError(`${op}: argument 'fractions' must have one entry per value (${values.length}), got ${Array.isArray(xs) ? xs.length : typeof xs}`);
  }
  let area = 0;
  for (let i = 1; i < values.length; i++) area += ((xs[i] - xs[i - 1]) * (values[i] + values[i - 1])) / 2;
  return area;
}

interface Checked {
  model: Module;
  input: Tensor;
  maps: Tensor;
  batchSize: number;
}

function checkCommon(op: string, model: unknown, input: unknown, maps: unknown, options: unknown): Checked {
  if (!(model instanceof Module)) throw new TypeError(`${op}: argument 'model' must be a Module`);
  const x = checkImages(op, input);
  const m = checkTensor(op, 'maps', maps);
  const [n, , h, w] = x.shape;
  if (m.dtype !== 'float32' || m.ndim !== 3 || m.shape[0] !== n) {
    throw new TypeError(`${op}: argument 'maps' must be a float32 [N, H, W] tensor with N = ${n} (one map per image), got ${m.dtype} ${fmtShape(m.shape)}`);
  }
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object`);
  const batchSize = checkNumber(op, 'batchSize', (options as { batchSize?: number }).batchSize ?? 32, { min: 1, integer: true });
  return { model, input: x, maps: upsampleTo(m, [h, w]), batchSize };
}

// The target's softmax probability in each row of a model output [B, classes].
function probabilities(op: string, out: Tensor, targets: readonly number[]): Tensor {
  if (out.ndim !== 2) throw new TypeError(`${op}: the model's output must be [N, classes] (its softmax is measured), got ${fmtShape(out.shape)}`);
  const idx = tensor(Int32Array.from(targets), [targets.length, 1], { dtype: 'int32', device: out.device });
  return gather(softmax(out, 1), 1, idx).reshape([targets.length]);
}

/** The model's output on `input` in batches (awaiting each), with the targets resolved against it. */
async function originalPass(op: string, { model, input, batchSize }: Checked, given: ClassTargets | undefined): Promise<{ targets: number[]; probs: Float32Array }> {
  const n = input.shape[0];
  const outs: Tensor[] = [];
  for (let s = 0; s < n; s += batchSize) {
    const out = outputTensor(op, model.call(narrow(input, 0, s, Math.min(batchSize, n - s))), model);
    await out.data();
    outs.push(out);
  }
  const out = cat(outs, 0);
  if (out.ndim !== 2) throw new TypeError(`${op}: the model's output must be [N, classes] (its softmax is measured), got ${fmtShape(out.shape)}`);
  const resolved = await resolveTargets(op, out, given);
  resolved.forEach((t, i) => {
    if (typeof t !== 'number') throw new TypeError(`${op}: targets[${i}] must be a class index (a class probability is measured), got ${typeof t}`);
  });
  const targets = resolved as number[];
  return { targets, probs: (await probabilities(op, out, targets).data()) as Float32Array };
}

/**
 * Average Drop and Increase in Confidence of maps [N, H, W] in [0, 1] (an {@link Explanation}'s `maps`;
 * another size is resized bilinearly) for images [N, C, H, W]: the image is multiplied by its map and
 * the model's softmax probability for the target compared with that on the image. Resolves to
 * percentages and the per-image numbers.
 * @example
 * const { maps } = await explain.gradCam(model, x);
 * const { averageDrop, increaseInConfidence } = await explain.confidenceChange(model, x, maps);
 */
export async function confidenceChange(model: Module, input: Tensor, maps: Tensor, options: ConfidenceChangeOptions = {}): Promise<ConfidenceChange> {
  const op = 'confidenceChange';
  return tidy(async () => {
    const checked = checkCommon(op, model, input, maps, options);
    return inEvalMode(checked.model, () =>
      noGrad(async () => {
        const { targets, probs } = await originalPass(op, checked, options.targets);
        const { input: x, maps: m, batchSize } = checked;
        const [n, , h, w] = x.shape;
        const explained = new Float32Array(n);
        for (let s = 0; s < n; s += batchSize) {
          const b = Math.min(batchSize, n - s);
          const part = await tidy(async () => {
            const e = narrow(x, 0, s, b).mul(narrow(m, 0, s, b).reshape([b, 1, h, w]));
            return probabilities(op, outputTensor(op, checked.model.call(e), checked.model), targets.slice(s, s + b)).data();
          });
          explained.set(part, s);
        }
        const original = Array.from(probs);
        const drop = original.map((y, i) => (y > 0 ? Math.max(0, y - explained[i]) / y : 0));
        const mean = (v: number[]) => (100 * v.reduce((a, c) => a + c, 0)) / v.length;
        return {
          averageDrop: mean(drop),
          increaseInConfidence: mean(original.map((y, i) => (explained[i] > y ? 1 : 0))),
          drop,
          original,
          explained: Array.from(explained),
          targets,
        };
      }),
    );
  });
}

function baselineOf(op: string, x: Tensor, baseline: unknown): Tensor {
  if (baseline === 'zero') return zerosLike(x);
  if (baseline === 'blur') return gaussianBlur(x);
  if (typeof baseline === 'number' && Number.isFinite(baseline)) return full([...x.shape], baseline, { device: x.device });
  throw new TypeError(`${op}: 'baseline' must be 'zero', 'blur' or a finite number, got ${JSON.stringify(baseline)}`);
}

// Each pixel's place in the order of deletion: decreasing map value, ties (and NaN, last) by index.
function ranks(map: Float32Array | Int32Array, offset: number, count: number): Int32Array {
  const value = (p: number) => (Number.isNaN(map[offset + p]) ? -Infinity : map[offset + p]);
  const order = Array.from({ length: count }, (_, p) => p).sort((a, b) => value(b) - value(a) || a - b);
  const rank = new Int32Array(count);
  order.forEach((p, r) => (rank[p] = r));
  return rank;
}

/**
 * Deletion and insertion curves (RISE) of maps [N, H, W] (resized bilinearly to the images if needed)
 * for images [N, C, H, W]. Pixels are taken in decreasing order of the map (ties in index order, so the
 * result is deterministic); at step s of `steps` the first ⌊s·H·W / steps⌋ of them are replaced by the
 * baseline (deletion) or are all that is kept of the image over the baseline (insertion), across all
 * channels. The target's softmax probability at the steps + 1 points gives the curves, and their areas
 * over the fraction of pixels (trapezoid rule) the AUCs. Costs 2·N·(steps + 1) images of forward passes,
 * `batchSize` at a time.
 * @example
 * const r = await explain.deletionInsertion(model, x, maps, { steps: 28, baseline: 'blur' });
 * console.log(r.deletion.auc, r.insertion.auc);
 */
export async function deletionInsertion(model: Module, input: Tensor, maps: Tensor, options: DeletionInsertionOptions = {}): Promise<DeletionInsertion> {
  const op = 'deletionInsertion';
  return tidy(async () => {
    const checked = checkCommon(op, model, input, maps, options);
    const steps = checkNumber(op, 'steps', options.steps ?? 50, { min: 1, integer: true });
    const { input: x, maps: m, batchSize } = checked;
    const base = baselineOf(op, x, options.baseline ?? 'zero');
    return inEvalMode(checked.model, () =>
      noGrad(async () => {
        const { targets } = await originalPass(op, checked, options.targets);
        const [n, , h, w] = x.shape;
        const pixels = h * w;
        const counts = Array.from({ length: steps + 1 }, (_, s) => Math.floor((s * pixels) / steps));
        const mapData = await m.data();
        const order = Array.from({ length: n }, (_, i) => ranks(mapData, i * pixels, pixels));
        // One job per (image, metric, step): the mask says which pixels come from the baseline.
        const jobs = n * 2 * (steps + 1);
        const probs = new Float32Array(jobs);
        for (let start = 0; start < jobs; start += batchSize) {
          const b = Math.min(batchSize, jobs - start);
          const mask = new Float32Array(b * pixels);
          const images = new Int32Array(b);
          for (let j = 0; j < b; j++) {
            const job = start + j;
            const i = Math.floor(job / (2 * (steps + 1)));
            const insertion = Math.floor(job / (steps + 1)) % 2 === 1;
            const k = counts[job % (steps + 1)];
            images[j] = i;
            const rank = order[i];
            for (let p = 0; p < pixels; p++) mask[j * pixels + p] = (rank[p] < k) !== insertion ? 1 : 0;
          }
          const part = await tidy(async () => {
            const idx = tensor(images, [b], { dtype: 'int32', device: x.device });
            const fromBase = tensor(mask, [b, 1, h, w], { device: x.device });
            // x·(1 − mask) + base·mask is exact for 0/1 masks, unlike x + (base − x)·mask.
            const mixed = indexSelect(x, 0, idx).mul(sub(1, fromBase)).add(indexSelect(base, 0, idx).mul(fromBase));
            return probabilities(op, outputTensor(op, checked.model.call(mixed), checked.model), Array.from(images, (i) => targets[i])).data();
          });
          probs.set(part, start);
        }
        const fractions = counts.map((k) => k / pixels);
        const metric = (which: number) => {
          const curves = Array.from({ length: n }, (_, i) => Array.from(probs.subarray((2 * i + which) * (steps + 1), (2 * i + which + 1) * (steps + 1))));
          return { curves, auc: curves.map((c) => auc(c, fractions)) };
        };
        return { deletion: metric(0), insertion: metric(1), fractions, targets };
      }),
    );
  });
}

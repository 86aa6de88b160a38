/**
 * Loss surfaces along one or two directions in weight space (Li et al. 2018): L(θ₀ + α·δ) on a line, or
 * L(θ₀ + α·δ + β·η) on a grid, with the directions random and filter-normalised, the line to another model
 * or principal components of a trajectory ({@link randomDirection}, {@link directionBetween},
 * {@link pcaDirections}).
 *
 * **Batch norm.** The paper's code evaluates each point in evaluation mode: the batch-norm layers use the
 * running statistics of the trained model, and their parameters do not move (their directions are zero).
 * That is the default (`bn: 'eval'`). `bn: 'train'` normalises with each batch's own statistics instead;
 * the running statistics are restored afterwards either way, as are the weights and the training mode.
 *
 * **Cost.** One forward pass over `data` per point: a 2-D surface of 21×21 points is 441 passes.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Generator } from '../random';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { argmax } from '../ops/reduce';
import { eq } from '../ops/elementwise';
import { Module } from '../nn/module';
import { ParameterVector, checkModule, combine, getWeights, setWeights } from './weights';
import { DirectionNormalization, checkDirections, randomDirection } from './directions';

/** A loss of the model's output against the target: a scalar tensor (the mean over the batch). */
export type LossFn = (output: Tensor, target: Tensor) => Tensor;

/** The data a surface is measured on: one `[input, target]` batch, or several. */
export type LandscapeData = readonly [Tensor, Tensor] | readonly (readonly [Tensor, Tensor])[];

/** Progress of {@link landscape}: points done out of all, and the loss of the latest. */
export interface LandscapeProgress {
  /** Points evaluated. */
  done: number;
  /** Points in all. */
  total: number;
  /** Loss at the latest point. */
  loss: number;
}

/** Options of {@link landscape}. */
export interface LandscapeOptions {
  /**
   * The directions: 1 or 2 (default 2) for that many random filter-normalised ones, or the directions
   * themselves (one or two weight vectors, e.g. from {@link directionBetween} or {@link pcaDirections}).
   */
  directions?: 1 | 2 | readonly ParameterVector[];
  /** Coordinates along the first direction: `[min, max]`, or r for [−r, r]. Default [−1, 1]. */
  range?: number | readonly [number, number];
  /** Coordinates along the second direction. Default: `range`. */
  yRange?: number | readonly [number, number];
  /** Points per axis (both ends included): n, or [along x, along y]. Default 21. */
  steps?: number | readonly [number, number];
  /**
   * Batch norm: the trained model's running statistics (`'eval'`, default, as the paper) or each batch's
   * (`'train'`: the model runs in training mode, so dropout is active too).
   */
  bn?: 'eval' | 'train';
  /** Normalisation of random directions (see {@link RandomDirectionOptions}). Default `'filter'`. */
  normalization?: DirectionNormalization;
  /** Zero the random directions of biases and batch-norm parameters. Default true. */
  ignoreBiasBN?: boolean;
  /** Stream of the random directions. */
  generator?: Generator;
  /** Called after every point. */
  onProgress?: (progress: LandscapeProgress) => void;
}

/** A loss surface: values on the grid `x` × `y` (`y` null for a 1-D line). */
export interface Landscape {
  /** Coordinates along the first direction. */
  x: number[];
  /** Coordinates along the second direction; null for a line. */
  y: number[] | null;
  /** Mean loss per sample at each point, row-major: `loss[j·x.length + i]` at (x[i], y[j]). */
  loss: Float64Array;
  /**
   * Accuracy at each point (same layout) when the output is [N, classes] and the target int32 labels [N];
   * null otherwise.
   */
  accuracy: Float64Array | null;
  /** The directions used. */
  directions: ParameterVector[];
}

function axis(op: string, name: string, r: number | readonly [number, number], steps: number): number[] {
  if (!Array.isArray(r) && typeof r !== 'number') throw new TypeError(`${op}: ${name} must be a number or [min, max]`);
  const [lo, hi] = typeof r === 'number' ? [-r, r] : r;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) throw new RangeError(`${op}: ${name} must be finite with min < max, got [${lo}, ${hi}]`);
  if (!Number.isInteger(steps) || steps < 2 || steps > 10001) throw new RangeError(`${op}: steps must be integers from 2 to 10001, got ${steps}`);
  return Array.from({ length: steps }, (_, i) => (i === steps - 1 ? hi : lo + ((hi - lo) * i) / (steps - 1)));
}

/** @internal The batches of `data`, checked. */
export function batchesOf(op: string, data: LandscapeData): (readonly [Tensor, Tensor])[] {
  if (!Array.isArray(data) || data.length === 0) throw new TypeError(`${op}: data must be an [input, target] pair or a non-empty array of them`);
  const list = (data[0] instanceof Tensor ? [data] : data) as (readonly [Tensor, Tensor])[];
  list.forEach((b, i) => {
    if (!Array.isArray(b) || b.length !== 2 || !(b[0] instanceof Tensor) || !(b[1] instanceof Tensor)) throw new TypeError(`${op}: data[${i}] must be an [input, target] pair of tensors`);
    if (b[0].ndim === 0 || b[1].ndim === 0 || b[0].shape[0] !== b[1].shape[0]) {
      throw new RangeError(`${op}: data[${i}] has input ${fmtShape(b[0].shape)} and target ${fmtShape(b[1].shape)}; they need the same batch size`);
    }
  });
  return list;
}

/** The result of {@link evaluateLoss}. */
export interface LossAndAccuracy {
  /** Mean loss per sample. */
  loss: number;
  /** Fraction of correct predictions (argmax of the output); null unless the targets are int32 labels of a [N, classes] output. */
  accuracy: number | null;
}

/**
 * Mean loss (and accuracy, for labelled classification) of `model` on `batches` at its current weights,
 * without recording gradients. Batch losses are weighted by batch size.
 * @example const { loss, accuracy } = await analysis.evaluateLoss(model, ds.crossEntropy, [[x, y]]);
 */
export async function evaluateLoss(model: Module, lossFn: LossFn, batches: readonly (readonly [Tensor, Tensor])[]): Promise<LossAndAccuracy> {
  let loss = 0;
  let correct = 0;
  let samples = 0;
  let classify = true;
  for (const [x, y] of batches) {
    const n = x.shape[0];
    const [l, c] = noGrad(() => tidy(() => {
      const out = model.call(x) as Tensor;
      if (!(out instanceof Tensor)) throw new TypeError('landscape: the model must return a Tensor');
      const value = lossFn(out, y);
      if (!(value instanceof Tensor) || value.size !== 1) throw new TypeError(`landscape: lossFn must return a scalar Tensor, got ${value instanceof Tensor ? fmtShape(value.shape) : typeof value}`);
      const labelled = out.ndim === 2 && y.dtype === 'int32' && y.ndim === 1;
      return [value.reshape([]), labelled ? eq(argmax(out, 1), y).sum() : null] as const;
    }));
    loss += (await l.item()) * n;
    l.dispose();
    if (c) {
      correct += await c.item();
      c.dispose();
    } else classify = false;
    samples += n;
  }
  return { loss: loss / samples, accuracy: classify ? correct / samples : null };
}

/**
 * The loss surface of `model` around its current weights θ₀ (see the module description):
 * `L(θ₀ + x·d₁ [+ y·d₂])` on `data` at every grid point. The weights, batch-norm statistics and training
 * mode are restored afterwards, also on error.
 * @example
 * const surface = await analysis.landscape(model, (out, y) => ds.crossEntropy(out, y), [x, y], {
 *   directions: 2, range: 1, steps: 21, onProgress: ({ done, total }) => bar.update(done),
 * });
 * await io.writeHeatmap('landscape.png', surface, { contours: 20 });
 */
export async function landscape(model: Module, lossFn: LossFn, data: LandscapeData, options: LandscapeOptions = {}): Promise<Landscape> {
  const op = 'landscape';
  const m = checkModule(op, model);
  if (typeof lossFn !== 'function') throw new TypeError(`${op}: lossFn must be a function (output, target) => scalar Tensor`);
  const batches = batchesOf(op, data);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object`);
  const { bn = 'eval', onProgress } = options;
  if (bn !== 'eval' && bn !== 'train') throw new TypeError(`${op}: bn must be 'eval' or 'train', got ${JSON.stringify(bn)}`);
  const spec = options.directions ?? 2;
  let directions: ParameterVector[];
  if (spec === 1 || spec === 2) {
    directions = [];
    for (let k = 0; k < spec; k++) {
      directions.push(await randomDirection(m, { normalization: options.normalization, ignoreBiasBN: options.ignoreBiasBN, generator: options.generator }));
    }
  } else if (Array.isArray(spec) && (spec.length === 1 || spec.length === 2)) {
    directions = [...spec];
    checkDirections(op, m, directions);
  } else {
    throw new TypeError(`${op}: directions must be 1, 2 or an array of one or two weight vectors`);
  }
  const steps = typeof options.steps === 'object' ? options.steps : [options.steps ?? 21, options.steps ?? 21];
  const x = axis(op, 'range', options.range ?? 1, steps[0]);
  const y = directions.length === 2 ? axis(op, 'yRange', options.yRange ?? options.range ?? 1, steps[1]) : null;
  const total = x.length * (y?.length ?? 1);

  const theta = await getWeights(m);
  const buffers = await Promise.all(m.buffers().map(async (b) => [b, await b.data()] as const));
  const wasTraining = m.training;
  m.train(bn === 'train');
  const loss = new Float64Array(total);
  let accuracy: Float64Array | null = null;
  try {
    for (let j = 0; j < (y?.length ?? 1); j++) {
      for (let i = 0; i < x.length; i++) {
        const k = j * x.length + i;
        setWeights(m, combine(theta, directions, y ? [x[i], y[j]] : [x[i]]));
        const r = await evaluateLoss(m, lossFn, batches);
        loss[k] = r.loss;
        if (r.accuracy !== null) {
          accuracy ??= new Float64Array(total);
          accuracy[k] = r.accuracy;
        }
        onProgress?.({ done: k + 1, total, loss: r.loss });
      }
    }
  } finally {
    setWeights(m, theta);
    noGrad(() => {
      for (const [b, values] of buffers) if (!b.isDisposed) b.copyFromArray(values);
    });
    m.train(wasTraining);
  }
  return { x, y, loss, accuracy, directions };
}

/**
 * Directions in weight space for loss landscapes (Li, Xu, Taylor, Studer & Goldstein, "Visualizing the
 * loss landscape of neural nets", NeurIPS 2018):
 *
 * - {@link randomDirection}: a Gaussian direction with **filter normalisation** (§4): for every filter
 *   (a slice along the first axis of a weight of two or more axes: a convolution's output channel, a
 *   linear layer's row), d ← d / ‖d‖ · ‖θ‖ with θ the same filter of the weights, so a step of 1 moves each
 *   filter by its own norm and the picture does not depend on the scale invariance of ReLU/BN networks.
 *   Directions of biases and batch-norm parameters (every parameter of fewer than two axes) are zero, as
 *   the paper does (its code's `--xignore biasbn`).
 * - {@link directionBetween}: θ_B − θ_A, for the 1-D interpolation between two models (Goodfellow et al.
 *   2015; the paper's Fig. 2 and 3).
 * - {@link pcaDirections}: the top principal components of a training trajectory θ_0 … θ_n relative to
 *   its end (§7): the rows θ_i − θ_n, centred, decomposed through their small Gram matrix.
 * @module
 */
import { Generator } from '../random';
import { randn } from '../ops/creation';
import { Module } from '../nn/module';
import { symmetricEigen } from './linalg';
import { ParameterVector, checkFits, checkModule, dot, getWeights, subtract } from './weights';

/** How {@link randomDirection} scales the Gaussian draw. */
export type DirectionNormalization = 'filter' | 'layer' | 'none';

/** Options of {@link randomDirection}. */
export interface RandomDirectionOptions {
  /**
   * `'filter'` (default): each filter to its weight filter's norm. `'layer'`: each parameter tensor to the
   * norm of the weight tensor. `'none'`: the raw N(0, 1) draw.
   */
  normalization?: DirectionNormalization;
  /**
   * Zero the direction of biases and batch-norm parameters (parameters with fewer than two axes).
   * Default true, as the paper. When false (and normalising) they follow the paper's code: the direction
   * is the parameter's own value.
   */
  ignoreBiasBN?: boolean;
  /** Stream of the Gaussian draw. */
  generator?: Generator;
}

/** @internal The norm of x[start, start + len) in float64. */
function sliceNorm(x: Float32Array, start: number, len: number): number {
  let s = 0;
  for (let i = start; i < start + len; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

/**
 * Rescales `direction` in place as {@link randomDirection} describes, against `weights` (same parameters).
 * Filters (or layers) whose direction is zero stay zero.
 * @example analysis.normalizeDirection(d, theta, 'filter');
 */
export function normalizeDirection(
  direction: ParameterVector,
  weights: ParameterVector,
  shapes: ReadonlyMap<string, readonly number[]>,
  normalization: DirectionNormalization = 'filter',
  ignoreBiasBN = true,
): ParameterVector {
  if (!['filter', 'layer', 'none'].includes(normalization)) {
    throw new TypeError(`normalizeDirection: normalization must be 'filter', 'layer' or 'none', got ${JSON.stringify(normalization)}`);
  }
  for (const [name, d] of direction) {
    const w = weights.get(name);
    const shape = shapes.get(name);
    if (!w || !shape || w.length !== d.length) throw new RangeError(`normalizeDirection: no weights of ${d.length} values for parameter '${name}'`);
    if (shape.length < 2) {
      if (ignoreBiasBN) d.fill(0);
      else if (normalization !== 'none') d.set(w);
      continue;
    }
    if (normalization === 'none') continue;
    const len = normalization === 'filter' ? d.length / shape[0] : d.length;
    for (let start = 0; start < d.length; start += len) {
      const dn = sliceNorm(d, start, len);
      const scale = dn > 0 ? sliceNorm(w, start, len) / dn : 0;
      for (let i = start; i < start + len; i++) d[i] *= scale;
    }
  }
  return direction;
}

/**
 * A random direction for `model`'s current weights: N(0, 1) per weight, filter-normalised with
 * bias/BN directions zeroed by default (see the module description and {@link RandomDirectionOptions}).
 * @example
 * const g = new Generator(1);
 * const [dx, dy] = [await analysis.randomDirection(model, { generator: g }), await analysis.randomDirection(model, { generator: g })];
 */
export async function randomDirection(model: Module, options: RandomDirectionOptions = {}): Promise<ParameterVector> {
  const m = checkModule('randomDirection', model);
  const { normalization = 'filter', ignoreBiasBN = true, generator } = options;
  const weights = await getWeights(m);
  const shapes = new Map<string, readonly number[]>();
  const direction: ParameterVector = new Map();
  for (const [name, p] of m.namedParameters()) {
    shapes.set(name, p.shape);
    const draw = randn(p.shape, { generator, device: p.device });
    try {
      direction.set(name, Float32Array.from(await draw.data()));
    } finally {
      draw.dispose();
    }
  }
  return normalizeDirection(direction, weights, shapes, normalization, ignoreBiasBN);
}

/**
 * The direction from one set of weights to another, `to − from` (both of the same model): the line
 * θ(α) = from + α·(to − from) passes through `from` at α = 0 and `to` at α = 1.
 * @example const d = analysis.directionBetween(await analysis.getWeights(a), await analysis.getWeights(b));
 */
export function directionBetween(from: ParameterVector, to: ParameterVector): ParameterVector {
  if (!(from instanceof Map) || !(to instanceof Map)) throw new TypeError('directionBetween: both arguments must be weight vectors (Map of name to Float32Array)');
  for (const [name, a] of from) {
    const b = to.get(name);
    if (!b || b.length !== a.length) throw new RangeError(`directionBetween: parameter '${name}' has ${a.length} values in 'from' but ${b?.length ?? 'none'} in 'to'`);
  }
  if (to.size !== from.size) throw new RangeError(`directionBetween: 'from' has ${from.size} parameters, 'to' has ${to.size}`);
  return subtract(to, from);
}

/** The result of {@link pcaDirections}. */
export interface PcaDirections {
  /** The principal directions, unit length, most explanatory first. */
  directions: ParameterVector[];
  /** The fraction of the trajectory's variance each direction explains. */
  explainedVariance: number[];
  /** Each checkpoint's coordinates along the directions, `(θ_i − θ_final)·d_k` (the path to draw on the contour). */
  path: number[][];
}

/**
 * The top `components` (default 2) principal directions of a training trajectory: the checkpoints'
 * differences from `final`, centred (as the paper's code, which calls scikit-learn's PCA), through
 * their Gram matrix (one entry per pair of checkpoints). Also the checkpoints' coordinates along them.
 * @example
 * const { directions, path } = analysis.pcaDirections(checkpoints, checkpoints[checkpoints.length - 1]);
 * const surface = await analysis.landscape(model, lossFn, data, { directions, range: 1.2 * Math.max(...path.flat().map(Math.abs)) });
 */
export function pcaDirections(trajectory: readonly ParameterVector[], final: ParameterVector, components = 2): PcaDirections {
  if (!Array.isArray(trajectory) || trajectory.length < 2) throw new RangeError(`pcaDirections: the trajectory needs at least 2 checkpoints, got ${Array.isArray(trajectory) ? trajectory.length : typeof trajectory}`);
  if (!Number.isInteger(components) || components < 1 || components > trajectory.length - 1) {
    throw new RangeError(`pcaDirections: components must be an integer from 1 to ${trajectory.length - 1} (checkpoints − 1), got ${components}`);
  }
  const rows = trajectory.map((t, i) => {
    try {
      return directionBetween(final, t);
    } catch (e) {
      throw new RangeError(`pcaDirections: checkpoint ${i} does not match 'final': ${(e as Error).message.replace(/^directionBetween: /, '')}`);
    }
  });
  const n = rows.length;
  const mean: ParameterVector = new Map();
  for (const [name, a] of rows[0]) {
    const s = new Float32Array(a.length);
    for (const r of rows) {
      const x = r.get(name)!;
      for (let i = 0; i < s.length; i++) s[i] += x[i] / n;
    }
    mean.set(name, s);
  }
  const centred = rows.map((r) => subtract(r, mean));
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) gram[i * n + j] = gram[j * n + i] = dot(centred[i], centred[j]);
  }
  const { values, vectors } = symmetricEigen(gram, n);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  const directions: ParameterVector[] = [];
  for (let k = 0; k < components; k++) {
    // d_k = Σ_i u_ik·x_i / ‖·‖ is the k-th right singular vector of the centred rows.
    const d: ParameterVector = new Map();
    for (const [name, a] of centred[0]) d.set(name, new Float32Array(a.length));
    centred.forEach((x, i) => {
      const u = vectors[k][i];
      for (const [name, dst] of d) {
        const src = x.get(name)!;
        for (let j = 0; j < dst.length; j++) dst[j] += u * src[j];
      }
    });
    const len = Math.sqrt(Math.max(dot(d, d), 0));
    if (len > 0) for (const a of d.values()) for (let j = 0; j < a.length; j++) a[j] /= len;
    directions.push(d);
  }
  return {
    directions,
    explainedVariance: Array.from(values.slice(0, components), (v) => (total > 0 ? Math.max(0, v) / total : 0)),
    path: rows.map((r) => directions.map((d) => dot(r, d))),
  };
}

/** @internal Directions checked against `model`'s parameters. */
export function checkDirections(op: string, model: Module, directions: readonly ParameterVector[]): void {
  directions.forEach((d, i) => checkFits(op, `directions[${i}]`, model, d));
}

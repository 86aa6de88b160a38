/**
 * Natural-image priors for optimising an input (feature inversion, activation maximisation), after
 * Mahendran & Vedaldi ("Understanding deep image representations by inverting them", CVPR 2015, and
 * "Visualizing deep convolutional neural networks using natural pre-images", IJCV 2016): the α-norm,
 * the total variation with exponent β, and random circular shifts (jitter). Each is differentiable and
 * usable on its own; the sums are raw, the callers normalise them.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Generator, defaultGenerator } from '../random';
import { rand } from '../ops/creation';
import { abs, gt, pow, where } from '../ops/elementwise';
import { cat, narrow, pad } from '../ops/indexing';
import { checkNumber, checkTensor } from '../ops/util';
import { noGrad } from '../autograd';

function floatInput(op: string, x: unknown, minRank: number): Tensor {
  const t = checkTensor(op, 'x', x);
  if (t.dtype !== 'float32' || t.ndim < minRank) {
    throw new TypeError(`${op}: argument 'x' must be a float32 tensor of rank >= ${minRank}${minRank === 2 ? ' ([..., H, W])' : ''}, got ${t.dtype} ${fmtShape(t.shape)}`);
  }
  return t;
}

/**
 * The α-norm prior R_α(x) = Σ |x|^α over every element, a scalar. A large α (the paper's default 6)
 * barely touches pixels inside the natural range and strongly pushes back the few that escape it, which
 * is what keeps an inversion from explaining features with extreme values.
 * @param alpha the exponent, at least 1 (below 1 the gradient at 0 is infinite). Default 6.
 * @example const r = alphaNorm(image, 6);
 */
export function alphaNorm(x: Tensor, alpha = 6): Tensor {
  const op = 'alphaNorm';
  floatInput(op, x, 0);
  checkNumber(op, 'alpha', alpha, { min: 1 });
  return pow(abs(x), alpha).sum();
}

/**
 * The total-variation prior R_TV^β(x) = Σ ((x_{i,j+1} − x_{ij})² + (x_{i+1,j} − x_{ij})²)^{β/2} over
 * the last two axes (H, W), every leading index (batch, channel) summed; a scalar. Past the last column
 * and row the difference is 0 (the edge is replicated, as in the authors' code), so every pixel has a
 * term. β = 2 (default) favours smooth images; β = 1 is the classic TV, which keeps edges. For β < 2
 * the power has an infinite slope where both differences vanish; those pixels get gradient 0, their
 * value being exactly 0 anyway.
 * @param beta the exponent, at least 1. Default 2.
 * @example const r = totalVariation(image, 1);
 */
export function totalVariation(x: Tensor, beta = 2): Tensor {
  const op = 'totalVariation';
  floatInput(op, x, 2);
  checkNumber(op, 'beta', beta, { min: 1 });
  const r = x.ndim;
  const [h, w] = [x.shape[r - 2], x.shape[r - 1]];
  // Replicate padding makes the difference after the last column/row zero.
  const dw = narrow(pad(x, [0, 1], { mode: 'replicate' }), r - 1, 1, w).sub(x);
  const dh = narrow(pad(x, [0, 0, 0, 1], { mode: 'replicate' }), r - 2, 1, h).sub(x);
  const s = dw.square().add(dh.square());
  if (beta === 2) return s.sum();
  const live = gt(s, 0);
  return where(live, pow(where(live, s, 1), beta / 2), 0).sum();
}

function rollAxis(x: Tensor, dim: number, shift: number): Tensor {
  const n = x.shape[dim];
  const s = ((shift % n) + n) % n;
  if (s === 0) return x;
  return cat([narrow(x, dim, n - s, s), narrow(x, dim, 0, n - s)], dim);
}

/**
 * Circular shift of the last two axes: `out[..., (i + dy) mod H, (j + dx) mod W] = x[..., i, j]`
 * (`torch.roll(x, [dy, dx], [-2, -1])`). Differentiable. Shifting wraps the content around instead of
 * padding it, so no artificial border enters the network during jitter.
 * @param shifts [dy, dx], integers of any sign
 * @example const moved = roll(image, [2, -1]); // down 2, left 1
 */
export function roll(x: Tensor, shifts: readonly [number, number]): Tensor {
  const op = 'roll';
  floatInput(op, x, 2);
  if (!Array.isArray(shifts) || shifts.length !== 2) {
    throw new TypeError(`${op}: argument 'shifts' must be a pair [dy, dx] of integers, got ${Array.isArray(shifts) ? fmtShape(shifts) : typeof shifts}`);
  }
  checkNumber(op, 'shifts[0]', shifts[0], { integer: true });
  checkNumber(op, 'shifts[1]', shifts[1], { integer: true });
  return rollAxis(rollAxis(x, x.ndim - 2, shifts[0]), x.ndim - 1, shifts[1]);
}

/**
 * `count` random shifts [dy, dx], each integer uniform in [−max, max], drawn from `generator` (one draw
 * for all, so a seeded run is reproducible whatever else uses the generator afterwards).
 * @internal
 */
export async function randomShifts(count: number, max: number, generator: Generator = defaultGenerator): Promise<[number, number][]> {
  if (max === 0 || count === 0) return Array.from({ length: count }, () => [0, 0] as [number, number]);
  const t = noGrad(() => rand([count, 2], { generator }));
  let u: Float32Array | Int32Array;
  try {
    u = await t.data();
  } finally {
    t.dispose();
  }
  return Array.from({ length: count }, (_, i) => [Math.floor(u[2 * i] * (2 * max + 1)) - max, Math.floor(u[2 * i + 1] * (2 * max + 1)) - max] as [number, number]);
}

/** Options of {@link jitter}. */
export interface JitterOptions {
  /** The random stream of the shift; the global one by default. */
  generator?: Generator;
}

/**
 * `x` circularly shifted ({@link roll}) by a random [dy, dx], each uniform in [−maxShift, maxShift]:
 * the jitter of Mahendran & Vedaldi (2016), which stops an optimised image from relying on exact pixel
 * positions and so from drifting into high-frequency patterns. Reads the draw synchronously.
 * @example const x1 = jitter(x, 4, { generator: new Generator(0) });
 */
export function jitter(x: Tensor, maxShift: number, options: JitterOptions = {}): Tensor {
  const op = 'jitter';
  floatInput(op, x, 2);
  checkNumber(op, 'maxShift', maxShift, { min: 0, integer: true });
  const generator = options.generator ?? defaultGenerator;
  if (!(generator instanceof Generator)) throw new TypeError(`${op}: option 'generator' must be a Generator`);
  if (maxShift === 0) return x;
  const u = noGrad(() => {
    const t = rand([2], { generator });
    const v = t.dataSync();
    t.dispose();
    return v;
  });
  const k = 2 * maxShift + 1;
  return roll(x, [Math.floor(u[0] * k) - maxShift, Math.floor(u[1] * k) - maxShift]);
}

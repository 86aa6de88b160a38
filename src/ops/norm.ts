/**
 * Normalisation layers: batch normalisation (training with batch statistics and running-buffer updates,
 * eval with the running statistics) and AlexNet's local response normalisation. PyTorch semantics;
 * forward and backward run native kernels.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { record } from '../autograd';
import { checkDtype, checkNumber, checkRank, checkSameDevice, checkTensor, empty, run } from './util';

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  /** Normalise with the batch statistics and update the running buffers (true), or use the running statistics (false, the default). */
  training?: boolean;
  /** Weight of the new batch statistic in the running average: running = (1 − m)·running + m·batch. Default 0.1. */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-5. */
  eps?: number;
}

function optional(op: string, arg: string, t: unknown, c: number, x: Tensor): Tensor | null {
  if (t === null || t === undefined) return null;
  checkTensor(op, arg, t);
  const tt = t as Tensor;
  checkDtype(op, arg, tt, ['float32']);
  if (tt.ndim !== 1 || tt.shape[0] !== c) {
    throw new RangeError(`${op}: argument '${arg}' must have shape [${c}] (one value per channel of input ${fmtShape(x.shape)}), got ${fmtShape(tt.shape)}`);
  }
  return tt;
}

/**
 * Batch normalisation over the channel axis (axis 1) of [N, C], [N, C, L], [N, C, H, W] or [N, C, D, H, W]
 * input: y = (x − mean) / sqrt(var + eps) · weight + bias.
 *
 * In training the batch mean and biased variance are used, and `runningMean`/`runningVar` (when given) are
 * updated in place, in stream order, with the unbiased variance. In eval the running statistics are used
 * (then required). `weight`, `bias` and the running buffers may be null, as in PyTorch. Gradients flow to
 * `x`, `weight` and `bias`.
 * @example
 * const mean = zeros([16]), vari = ones([16]);
 * const y = batchNorm(x, mean, vari, gamma, beta, { training: true });  // mean, vari updated
 * const z = batchNorm(x, mean, vari, gamma, beta);                       // eval
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  options: BatchNormOptions = {},
): Tensor {
  const op = 'batchNorm';
  checkTensor(op, 'input', x);
  checkDtype(op, 'input', x, ['float32']);
  checkRank(op, 'input', x, [2, 3, 4, 5], '(N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W)');
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object`);
  const c = x.shape[1];
  const rm = optional(op, 'runningMean', runningMean, c, x);
  const rv = optional(op, 'runningVar', runningVar, c, x);
  const w = optional(op, 'weight', weight, c, x);
  const b = optional(op, 'bias', bias, c, x);
  checkSameDevice(op, { input: x, runningMean: rm, runningVar: rv, weight: w, bias: b });
  if (options.training !== undefined && typeof options.training !== 'boolean') throw new TypeError(`${op}: 'training' must be a boolean`);
  const training = options.training ?? false;
  const momentum = checkNumber(op, 'momentum', options.momentum ?? 0.1);
  const eps = checkNumber(op, 'eps', options.eps ?? 1e-5, { min: 0 });
  if ((rm === null) !== (rv === null)) throw new TypeError(`${op}: 'runningMean' and 'runningVar' must be given together`);
  if (!training && rm === null) throw new TypeError(`${op}: 'runningMean' and 'runningVar' are required when training is false`);
  if (training && x.size / c <= 1) {
    throw new RangeError(`${op}: expected more than 1 value per channel when training, got input of shape ${fmtShape(x.shape)}`);
  }
  const attrs = { training, momentum, eps };
  const y = empty(x.shape, 'float32', x.device);
  const mean = empty([c], 'float32', x.device);
  const invstd = empty([c], 'float32', x.device);
  if (training) run('batch_norm', [x, w, b], rm ? [y, mean, invstd, rm, rv!] : [y, mean, invstd], attrs);
  else run('batch_norm', [x, w, b, rm, rv], [y, mean, invstd], attrs);
  record(op, [x, w, b], [y], [x, w, mean, invstd], ([g], [sx, sw, sm, si]) => {
    const dx = empty(sx!.shape, 'float32', sx!.device);
    const dw = empty([c], 'float32', sx!.device);
    const db = empty([c], 'float32', sx!.device);
    run('batch_norm_backward', [sx, g, sw, sm, si], [dx, dw, db], attrs);
    const keepW = w !== null;
    const keepB = b !== null;
    if (!keepW) dw.dispose();
    if (!keepB) db.dispose();
    return [dx, keepW ? dw : null, keepB ? db : null];
  });
  mean.dispose();
  invstd.dispose();
  return y;
}

/** Options of {@link localResponseNorm}. */
export interface LocalResponseNormOptions {
  /** Multiplier of the window's sum of squares (divided by `size`, as PyTorch). Default 1e-4. */
  alpha?: number;
  /** Exponent. Default 0.75. */
  beta?: number;
  /** Additive constant. Default 1. */
  k?: number;
}

/**
 * Local response normalisation across channels (AlexNet), PyTorch semantics:
 * y_c = x_c / (k + alpha/size · Σ x_j²)^beta over channels j = c − ⌊size/2⌋ … c + ⌊(size−1)/2⌋, zero padded.
 * Input [N, C, ...] with at least 3 axes.
 * @example localResponseNorm(x, 5, { alpha: 1e-4, beta: 0.75, k: 2 }) // AlexNet's setting
 */
export function localResponseNorm(x: Tensor, size: number, options: LocalResponseNormOptions = {}): Tensor {
  const op = 'localResponseNorm';
  checkTensor(op, 'input', x);
  checkDtype(op, 'input', x, ['float32']);
  checkRank(op, 'input', x, [3, 4, 5, 6], '(N, C, ...) with at least 3 axes');
  if (typeof size !== 'number' || !Number.isInteger(size)) throw new TypeError(`${op}: 'size' must be an integer, got ${JSON.stringify(size)}`);
  if (size <= 0) throw new RangeError(`${op}: 'size' must be positive, got ${size}`);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object`);
  const attrs = {
    size,
    alpha: checkNumber(op, 'alpha', options.alpha ?? 1e-4),
    beta: checkNumber(op, 'beta', options.beta ?? 0.75),
    k: checkNumber(op, 'k', options.k ?? 1),
  };
  const y = empty(x.shape, 'float32', x.device);
  const scale = empty(x.shape, 'float32', x.device);
  run('local_response_norm', [x], [y, scale], attrs);
  record(op, [x], [y], [x, y, scale], ([g], [sx, sy, ss]) => {
    const gx = empty(sx!.shape, 'float32', sx!.device);
    run('local_response_norm_backward', [sx, sy, ss, g], [gx], attrs);
    return [gx];
  });
  scale.dispose();
  return y;
}

/**
 * Dropout: zeroes elements (or whole channels) at random during training and scales the survivors by
 * 1/(1 − p), so the expected value is unchanged. Built on the seeded Philox `bernoulli` draws and `mul`:
 * the gradient goes through the same mask.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Generator } from '../random';
import { bernoulli } from './creation';
import { mul } from './elementwise';
import { checkDtype, checkRank, checkTensor } from './util';

/** Options of {@link dropout} and {@link dropout2d}. */
export interface DropoutOptions {
  /** Drop only in training (default true); otherwise the input is returned as is. */
  training?: boolean;
  /** The random stream for the mask; the global generator by default. */
  generator?: Generator;
}

function checkArgs(op: string, x: Tensor, p: unknown, options: unknown): { training: boolean; generator?: Generator } {
  checkTensor(op, 'input', x);
  checkDtype(op, 'input', x, ['float32']);
  if (typeof p !== 'number' || Number.isNaN(p)) throw new TypeError(`${op}: 'p' must be a number, got ${typeof p === 'number' ? 'NaN' : typeof p}`);
  if (p < 0 || p > 1) throw new RangeError(`${op}: 'p' must be in [0, 1], got ${p} (input shape ${fmtShape(x.shape)})`);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object`);
  const o = options as DropoutOptions;
  if (o.training !== undefined && typeof o.training !== 'boolean') throw new TypeError(`${op}: 'training' must be a boolean`);
  if (o.generator !== undefined && !(o.generator instanceof Generator)) throw new TypeError(`${op}: 'generator' must be a Generator`);
  return { training: o.training ?? true, generator: o.generator };
}

// x · mask / (1 − p), the mask drawn with `maskShape` (broadcast over x).
function masked(x: Tensor, p: number, maskShape: number[], generator: Generator | undefined): Tensor {
  if (p === 1) return mul(x, 0); // PyTorch: input * 0 (NaN stays NaN); the gradient is zero
  const mask = bernoulli(maskShape, 1 - p, { generator, device: x.device });
  const scaled = mul(mask, 1 / (1 - p));
  mask.dispose();
  const y = mul(x, scaled);
  scaled.dispose();
  return y;
}

/**
 * Zeroes each element with probability `p` and scales the rest by 1/(1 − p) (training); identity otherwise
 * (the input itself is returned, as PyTorch does). `p` = 1 gives zeros. Reproducible with a seeded
 * `generator`.
 * @example
 * const y = dropout(x, 0.5, { generator: new Generator(1) });
 * const z = dropout(x, 0.5, { training: false }); // z === x
 */
export function dropout(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  const { training, generator } = checkArgs('dropout', x, p, options);
  if (!training || p === 0) return x;
  return masked(x, p, [...x.shape], generator);
}

/**
 * Channel dropout: zeroes whole channels of [N, C, H, W] (or unbatched [C, H, W]) input with probability
 * `p` and scales the rest by 1/(1 − p) (training); identity otherwise.
 * @example const y = dropout2d(features, 0.2);
 */
export function dropout2d(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  const op = 'dropout2d';
  const { training, generator } = checkArgs(op, x, p, options);
  checkRank(op, 'input', x, [3, 4], '(N, C, H, W) or unbatched (C, H, W)');
  if (!training || p === 0) return x;
  const maskShape = x.ndim === 4 ? [x.shape[0], x.shape[1], 1, 1] : [x.shape[0], 1, 1];
  return masked(x, p, maskShape, generator);
}

/**
 * Gradient clipping, in place on `.grad` (PyTorch's `torch.nn.utils.clip_grad_norm_` and
 * `clip_grad_value_`).
 * @module
 */
import { Tensor } from '../tensor';
import { tidy } from '../memory';
import { noGrad } from '../autograd';
import { div } from '../ops/elementwise';
import { checkRange } from './optimizer';

/** Options of {@link clipGradNorm_}. */
export interface ClipGradNormOptions {
  /** The p of the p-norm: a number ≥ 1, or `Infinity` for the largest absolute value. Default 2. */
  normType?: number;
  /** Throw when the total norm is NaN or ±Infinity (the gradients are then left alone). Default false. */
  errorIfNonfinite?: boolean;
}

function gradsOf(op: string, params: Tensor | readonly Tensor[]): Tensor[] {
  const list = params instanceof Tensor ? [params] : params;
  if (!Array.isArray(list)) throw new TypeError(`${op}: params must be a Tensor or an array of Tensors`);
  const grads: Tensor[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${op}: params[${i}] must be a Tensor`);
    if (p.grad && !p.grad.isDisposed) grads.push(p.grad);
  });
  return grads;
}

/**
 * Rescales the gradients of `params` in place so that their total norm (the norm of all gradients
 * concatenated) is at most `maxNorm`: each is multiplied by min(1, maxNorm / (total + 1e-6)).
 * Parameters without `.grad` are skipped. The scaling runs on the stream without waiting; reading the
 * total norm for the return value is the one synchronisation.
 * @returns the total norm before clipping (0 when no parameter has a gradient)
 * @example const norm = optim.clipGradNorm_(model.parameters(), 1.0);
 */
export function clipGradNorm_(params: Tensor | readonly Tensor[], maxNorm: number, options: ClipGradNormOptions = {}): number {
  const op = 'clipGradNorm_';
  checkRange(op, 'maxNorm', maxNorm);
  const { normType = 2, errorIfNonfinite = false } = options;
  if (typeof normType !== 'number' || Number.isNaN(normType) || normType < 1) {
    throw new RangeError(`${op}: normType must be a number >= 1 or Infinity, got ${normType}`);
  }
  const grads = gradsOf(op, params);
  if (grads.length === 0) return 0;
  const dev = grads[0].device;
  return noGrad(() =>
    tidy(() => {
      // One 0-d partial per gradient, on the first gradient's device, combined into the total.
      let total: Tensor | null = null;
      for (const g of grads) {
        if (g.size === 0) continue;
        let part: Tensor;
        if (normType === Infinity) part = g.abs().max();
        else if (normType === 2) part = g.square().sum();
        else if (normType === 1) part = g.abs().sum();
        else part = g.abs().pow(normType).sum();
        part = part.to(dev);
        total = total === null ? part : normType === Infinity ? total.maximum(part) : total.add(part);
      }
      if (total === null) return 0;
      let norm: Tensor = total;
      if (normType === 2) norm = norm.sqrt();
      else if (normType !== Infinity && normType !== 1) norm = norm.pow(1 / normType);
      if (errorIfNonfinite) {
        const n = norm.itemSync();
        if (!Number.isFinite(n)) {
          throw new RangeError(`${op}: the total norm of order ${normType} of the gradients is ${n}; the gradients were left alone`);
        }
      }
      const coef = div(maxNorm, norm.add(1e-6)).clamp(null, 1);
      for (const g of grads) g.copy_(g.mul(coef.to(g.device)));
      return norm.itemSync();
    }),
  );
}

/**
 * Clamps every gradient of `params` into [-clipValue, clipValue], in place. Parameters without `.grad`
 * are skipped.
 * @example optim.clipGradValue_(model.parameters(), 0.5);
 */
export function clipGradValue_(params: Tensor | readonly Tensor[], clipValue: number): void {
  const op = 'clipGradValue_';
  checkRange(op, 'clipValue', clipValue);
  const grads = gradsOf(op, params);
  noGrad(() => tidy(() => grads.forEach((g) => g.copy_(g.clamp(-clipValue, clipValue)))));
}

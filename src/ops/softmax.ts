/**
 * Softmax and log-softmax along any axis: native, numerically stable forward (the maximum is subtracted
 * first) and native backward kernels. The axis is handled by strides in the kernel, with no permute copy.
 * @module
 */
import { Tensor } from '../tensor';
import { record } from '../autograd';
import { checkDtype, checkTensor, normAxis, run1 } from './util';

function softmaxLike(op: 'softmax' | 'logSoftmax', kernel: 'softmax' | 'log_softmax', x: Tensor, dim: number): Tensor {
  checkTensor(op, 'input', x);
  checkDtype(op, 'input', x, ['float32']);
  const d = x.ndim === 0 ? 0 : normAxis(op, dim, x.ndim);
  const out = run1(kernel, [x], x.shape, 'float32', x.device, { dim: d });
  record(op, [x], [out], [out], ([g], [y]) => [run1(`${kernel}_backward`, [y!, g], x.shape, 'float32', x.device, { dim: d })]);
  return out;
}

/**
 * exp(x) / sum(exp(x)) along `dim` (default: the last axis), computed stably: large logits do not
 * overflow. A 0-d input gives 1.
 * @example
 * const probs = softmax(logits, -1); // [N, C] rows that sum to 1
 */
export function softmax(x: Tensor, dim = -1): Tensor {
  return softmaxLike('softmax', 'softmax', x, dim);
}

/**
 * log(softmax(x)) along `dim` (default: the last axis), computed as x − max − log Σ exp(x − max), so it
 * stays finite where softmax underflows to 0.
 * @example
 * const logp = logSoftmax(logits, 1);
 * const loss = nllLoss(logp, labels);
 */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return softmaxLike('logSoftmax', 'log_softmax', x, dim);
}

declare module '../tensor' {
  interface Tensor {
    /** See {@link softmax}. */ softmax(dim?: number): Tensor;
    /** See {@link logSoftmax}. */ logSoftmax(dim?: number): Tensor;
  }
}

const proto = Tensor.prototype;
proto.softmax = function (this: Tensor, dim?: number) { return softmax(this, dim); };
proto.logSoftmax = function (this: Tensor, dim?: number) { return logSoftmax(this, dim); };

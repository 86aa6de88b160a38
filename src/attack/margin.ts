/**
 * The logit margin the minimisation attacks drive below zero: for a target t, max_{i≠t} Z_i − Z_t
 * (negative once t wins); for a true label y, Z_y − max_{i≠y} Z_i (negative once another class wins).
 * @module
 */
import { Tensor } from '../tensor';
import { arange } from '../ops/creation';
import { gather } from '../ops/indexing';
import { eq, sub } from '../ops/elementwise';

/** Per-image margin [N] of logits [N, C] against int32 labels [N]. */
export function margin(logits: Tensor, labels: Tensor, targeted: boolean): Tensor {
  const [n, classes] = logits.shape;
  const own = gather(logits, 1, labels.reshape([n, 1])).reshape([n]);
  const isOwn = eq(labels.reshape([n, 1]), arange(0, classes, 1, { dtype: 'int32', device: labels.device }).reshape([1, classes])).float();
  const others = logits.sub(isOwn.mul(1e9)).max(1);
  return targeted ? sub(others, own) : sub(own, others);
}

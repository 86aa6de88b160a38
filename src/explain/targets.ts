/**
 * Targets: which score of the model's output is explained, per image.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { tensor } from '../ops/creation';
import { argmax } from '../ops/reduce';
import { gather, narrow, stack } from '../ops/indexing';
import type { ScoreFn, Target, Targets } from './types';

/** One target per image: class indices resolved, functions kept. */
export type ResolvedTargets = Target[];

function checkClass(op: string, c: number, where: string, classes: number | null): void {
  if (!Number.isInteger(c) || c < 0 || (classes !== null && c >= classes)) {
    const range = classes === null ? 'a non-negative integer' : `an integer in [0, ${classes})`;
    throw new RangeError(`${op}: ${where} must be ${range}, got ${c}`);
  }
}

/**
 * Per-image targets for a model output [N, ...]: the given ones checked against the output's shape, or
 * the arg-max of each row when none are given.
 */
export async function resolveTargets(op: string, output: Tensor, targets: Targets | undefined): Promise<ResolvedTargets> {
  const n = output.shape[0];
  const classes = output.ndim === 2 ? output.shape[1] : null;
  if (targets === undefined || targets === null) {
    if (output.ndim !== 2) {
      throw new TypeError(`${op}: the model's output has shape ${fmtShape(output.shape)}; without 'targets' it must be [N, classes]`);
    }
    return Array.from(await argmax(output, 1).data());
  }
  let list: Target[];
  if (targets instanceof Tensor) {
    if (targets.dtype !== 'int32' || targets.ndim !== 1) {
      throw new TypeError(`${op}: 'targets' as a tensor must be int32 [N], got ${targets.dtype} ${fmtShape(targets.shape)}`);
    }
    list = Array.from(await targets.data());
  } else if (Array.isArray(targets)) {
    list = [...(targets as readonly Target[])];
  } else {
    list = new Array<Target>(n).fill(targets as Target);
  }
  if (list.length !== n) throw new RangeError(`${op}: ${list.length} targets for a batch of ${n} images`);
  list.forEach((t, i) => {
    if (typeof t === 'number') {
      if (classes === null) throw new TypeError(`${op}: class targets need an output of shape [N, classes], got ${fmtShape(output.shape)}; pass score functions`);
      checkClass(op, t, `targets[${i}]`, classes);
    } else if (typeof t !== 'function') {
      throw new TypeError(`${op}: targets[${i}] must be a class index or a score function, got ${typeof t}`);
    }
  });
  return list;
}

/** The target score of each image, [N]: gathered logits, or the score functions on each row. */
export function targetScores(op: string, output: Tensor, targets: ResolvedTargets): Tensor {
  if (targets.every((t) => typeof t === 'number')) {
    const idx = tensor(Int32Array.from(targets as number[]), [targets.length, 1], { dtype: 'int32', device: output.device });
    return gather(output, 1, idx).reshape([targets.length]);
  }
  const rows = targets.map((t, i) => {
    const row = narrow(output, 0, i, 1).reshape(output.shape.slice(1));
    if (typeof t === 'number') return narrow(row, 0, t, 1).reshape([]);
    const s = (t as ScoreFn)(row, i);
    if (!(s instanceof Tensor) || s.size !== 1) {
      throw new TypeError(`${op}: the score function of targets[${i}] must return a one-element tensor, got ${s instanceof Tensor ? fmtShape(s.shape) : typeof s}`);
    }
    return s.reshape([]);
  });
  return stack(rows, 0);
}

/** The class of each target, null for score functions. */
export function targetClasses(targets: ResolvedTargets): (number | null)[] {
  return targets.map((t) => (typeof t === 'number' ? t : null));
}

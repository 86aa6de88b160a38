/**
 * A backend case: a small computation through the public API that exercises some native ops, forward
 * and (where differentiable) backward. The backend test runs every case on the CPU and on every other
 * available backend and compares the results; it also checks that the cases cover the whole op table.
 */
import * as ds from '../../src';

export interface BackendCase {
  /** Native op names this case runs (forward and backward kernels). */
  ops: string[];
  /** Builds inputs on `device` from the fixed seed and returns the tensors to compare (outputs, grads). */
  run: (device: ds.Device) => ds.Tensor[];
  /**
   * Tolerance (normalised error) between backends: 1e-5 for exact float32 paths whose summation order
   * may differ, 0 for ops that move or select data.
   */
  tol: number;
}

/** Random float32 leaf on `device`, from a generator seeded per call site. */
export function input(shape: number[], device: ds.Device, seed: number, requiresGrad = true, lo = -1, hi = 1): ds.Tensor {
  const t = ds.uniform(shape, lo, hi, { generator: new ds.Generator(seed) }).to(device);
  if (requiresGrad) t.requiresGrad_(true);
  return t;
}

/** Runs `f` on leaves, backpropagates a fixed random cotangent, returns [output, ...grads]. */
export function withGrads(leaves: ds.Tensor[], f: () => ds.Tensor, seed = 99): ds.Tensor[] {
  const y = f();
  const cot = ds.uniform([...y.shape], -1, 1, { generator: new ds.Generator(seed) }).to(y.device);
  y.backward(cot);
  return [y, ...leaves.filter((l) => l.requiresGrad).map((l) => l.grad!)];
}

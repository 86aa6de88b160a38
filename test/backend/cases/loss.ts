/** Backend cases of the native losses: fused cross-entropy, NLL, and the two BCE forms (forward and backward). */
import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

// Fixed targets with ignored entries (ignoreIndex -100 and 2).
function labels(dev: ds.Device, values: number[], shape: number[]): ds.Tensor {
  return ds.tensor(values, shape, { dtype: 'int32' }).to(dev);
}

export const cases: BackendCase[] = [
  {
    ops: ['cross_entropy', 'cross_entropy_backward'],
    // Per-row log-sum-exp in double and a serial double sum: 1e-5 covers libm differences.
    tol: 1e-5,
    run: (dev) => {
      const x = input([6, 5], dev, 11, true, -3, 3);
      const t = labels(dev, [0, 4, -100, 2, 1, 3], [6]);
      const w = input([5], dev, 12, false, 0.5, 2);
      const mean = withGrads([x], () => ds.crossEntropy(x, t, { weight: w, labelSmoothing: 0.1 }), 13);
      const y = input([2, 4, 3, 2], dev, 14, true, -3, 3);
      const ty = labels(dev, [0, 1, 2, 3, 2, 1, 3, 3, 0, 2, 1, 0], [2, 3, 2]);
      const none = withGrads([y], () => ds.crossEntropy(y, ty, { reduction: 'none', ignoreIndex: 2 }), 15);
      return [...mean, ...none];
    },
  },
  {
    // Many classes (a warp loops over C), label smoothing with weights summed, and a single sample [C].
    ops: ['cross_entropy', 'cross_entropy_backward'],
    tol: 1e-5,
    run: (dev) => {
      const x = input([9, 1500], dev, 16, true, -3, 3);
      const t = labels(dev, [0, 1499, 700, -100, 3, 1200, 5, 6, 7], [9]);
      const w = input([1500], dev, 17, false, 0.5, 2);
      const v = input([7], dev, 18, true, -3, 3);
      return [
        ...withGrads([x], () => ds.crossEntropy(x, t, { weight: w, labelSmoothing: 0.2, reduction: 'sum' }), 19),
        ...withGrads([v], () => ds.crossEntropy(v, labels(dev, [4], []), { labelSmoothing: 0.05 }), 20),
      ];
    },
  },
  {
    ops: ['nll_loss', 'nll_loss_backward'],
    tol: 1e-5,
    run: (dev) => {
      const x = input([5, 4], dev, 21, true, -3, 0);
      const y = input([5, 4], dev, 25, true, -3, 0);
      const t = labels(dev, [3, 0, -100, 1, 1], [5]);
      const w = input([4], dev, 22, false, 0.5, 2);
      return [
        ...withGrads([x], () => ds.nllLoss(x, t, { weight: w, reduction: 'sum' }), 23),
        ...withGrads([y], () => ds.nllLoss(y, t, { reduction: 'none' }), 24),
      ];
    },
  },
  {
    ops: ['binary_cross_entropy', 'binary_cross_entropy_backward'],
    tol: 1e-5,
    run: (dev) => {
      const p = input([4, 3], dev, 31, true, 0.05, 0.95);
      const t = input([4, 3], dev, 32, true, 0, 1);
      const w = input([3], dev, 33, false, 0.5, 2);
      return withGrads([p, t], () => ds.binaryCrossEntropy(p, t, { weight: w, reduction: 'none' }), 34);
    },
  },
  {
    ops: ['binary_cross_entropy_with_logits', 'binary_cross_entropy_with_logits_backward'],
    tol: 1e-5,
    run: (dev) => {
      const x = input([4, 3], dev, 41, true, -5, 5);
      const t = input([4, 3], dev, 42, true, 0, 1);
      const pw = input([3], dev, 43, false, 0.5, 3);
      return withGrads([x, t], () => ds.binaryCrossEntropyWithLogits(x, t, { posWeight: pw, reduction: 'none' }), 44);
    },
  },
];

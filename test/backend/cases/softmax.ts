/** Backend cases of softmax and log-softmax (forward and backward kernels), over an inner and the last axis. */
import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

export const cases: BackendCase[] = [
  {
    ops: ['softmax', 'softmax_backward'],
    // Sums in double, one rounding; exp may differ by an ulp between backends.
    tol: 1e-5,
    run: (dev) => {
      const x = input([3, 70, 5], dev, 1, true, -4, 4);
      const a = withGrads([x], () => ds.softmax(x, 1), 2);
      const y = input([4, 129], dev, 3, true, -4, 4);
      return [...a, ...withGrads([y], () => ds.softmax(y, -1), 4)];
    },
  },
  {
    ops: ['log_softmax', 'log_softmax_backward'],
    tol: 1e-5,
    run: (dev) => {
      const x = input([2, 6, 3, 4], dev, 5, true, -4, 4);
      const a = withGrads([x], () => ds.logSoftmax(x, 2), 6);
      const y = input([7, 33], dev, 7, true, -4, 4);
      return [...a, ...withGrads([y], () => ds.logSoftmax(y, 1), 8)];
    },
  },
  {
    // Rows longer than 1024 (one block per row on a GPU), the first axis of a tall tensor (one thread per
    // column), and -inf entries.
    ops: ['softmax', 'softmax_backward', 'log_softmax', 'log_softmax_backward'],
    tol: 1e-5,
    run: (dev) => {
      // One leaf per call: a second backward through a leaf would replace the gradient returned first.
      const [x1, x2] = [input([3, 2000], dev, 9, true, -6, 6), input([3, 2000], dev, 9, true, -6, 6)];
      const [y1, y2] = [input([1100, 3], dev, 10, true, -6, 6), input([1100, 3], dev, 10, true, -6, 6)];
      const z = ds.tensor([0, -Infinity, 1, -Infinity, 2, 3], [2, 3]).to(dev).requiresGrad_(true);
      return [
        ...withGrads([x1], () => ds.softmax(x1, 1), 11),
        ...withGrads([x2], () => ds.logSoftmax(x2, -1), 12),
        ...withGrads([y1], () => ds.softmax(y1, 0), 13),
        ...withGrads([y2], () => ds.logSoftmax(y2, 0), 14),
        ...withGrads([z], () => ds.softmax(z, 1), 15),
      ];
    },
  },
];

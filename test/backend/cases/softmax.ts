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
];

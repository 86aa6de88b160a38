/** Backend cases of the normalisation ops: batch norm (training with running updates, and eval) and LRN. */
import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

export const cases: BackendCase[] = [
  {
    ops: ['batch_norm', 'batch_norm_backward'],
    run: (dev) => {
      const x = input([4, 3, 5, 6], dev, 11);
      const w = input([3], dev, 12, true, 0.5, 1.5);
      const b = input([3], dev, 13);
      const rm = ds.zeros([3], { device: dev });
      const rv = ds.ones([3], { device: dev });
      const train = withGrads([x, w, b], () => ds.batchNorm(x, rm, rv, w, b, { training: true, momentum: 0.2 }));
      return [...train, rm, rv];
    },
    tol: 1e-5,
  },
  {
    ops: ['batch_norm', 'batch_norm_backward'],
    run: (dev) => {
      const x = input([5, 4, 7], dev, 14);
      const w = input([4], dev, 15);
      const rm = input([4], dev, 16, false);
      const rv = input([4], dev, 17, false, 0.5, 2);
      return withGrads([x, w], () => ds.batchNorm(x, rm, rv, w, null, { training: false }));
    },
    tol: 1e-5,
  },
  {
    ops: ['local_response_norm', 'local_response_norm_backward'],
    run: (dev) => {
      const x = input([2, 7, 4, 5], dev, 18, true, -2, 2);
      return withGrads([x], () => ds.localResponseNorm(x, 5, { alpha: 0.5, beta: 0.75, k: 1 }));
    },
    tol: 1e-5,
  },
];

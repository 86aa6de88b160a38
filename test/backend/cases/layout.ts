import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

export const cases: BackendCase[] = [
  {
    ops: ['permute'],
    tol: 0,
    run: (d) => {
      const x = input([2, 3, 4, 5], d, 200);
      return withGrads([x], () => ds.permute(x, [0, 2, 3, 1]));
    },
  },
  {
    ops: ['expand'],
    tol: 1e-6,
    run: (d) => {
      const x = input([3, 1, 5], d, 201);
      return withGrads([x], () => ds.expand(x, [2, 3, 4, 5]));
    },
  },
  {
    ops: ['copy'],
    tol: 0,
    run: (d) => {
      const x = input([7, 3], d, 202);
      return withGrads([x], () => ds.clone(x));
    },
  },
];

import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

export const cases: BackendCase[] = [
  ...(['sum', 'mean', 'max', 'min'] as const).map((name, i): BackendCase => ({
    ops: [name],
    tol: 1e-5,
    run: (d) => {
      const x = input([3, 50, 7], d, 100 + i);
      return [...withGrads([x], () => ds[name](x, [0, 2])), ds[name](x)];
    },
  })),
  {
    ops: ['var'],
    tol: 1e-5,
    run: (d) => {
      const x = input([6, 33], d, 110);
      return withGrads([x], () => ds.variance(x, 1));
    },
  },
  {
    ops: ['argmax', 'argmin'],
    tol: 0,
    run: (d) => {
      const x = input([5, 41], d, 111, false);
      return [ds.argmax(x, 1), ds.argmin(x, 0), ds.argmax(x)];
    },
  },
];

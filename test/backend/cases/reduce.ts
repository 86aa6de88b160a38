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
  {
    // Long rows with few outputs (R split into chunks on a GPU), an inner extent >= 32 with a long R,
    // int32 input, ties (first occurrence wins) and NaN (it wins max/min, the first NaN's index).
    ops: ['sum', 'mean', 'max', 'min', 'argmax', 'argmin', 'var'],
    tol: 1e-5,
    run: (d) => {
      const long = input([2, 100003], d, 112, false);
      const tall = input([8, 3000, 40], d, 113, false);
      const ints = input([6, 50], d, 114, false, -3, 3).int();
      const ties = ints.float();
      const nan = ds.tensor([1, NaN, 3, 2, 5, NaN, 4, 0, -1, 2, 2, -1], [3, 4]).to(d);
      return [
        ds.sum(long, 1), ds.mean(long), ds.max(long, 1), ds.argmin(long, 1), ds.variance(long, 1),
        ds.sum(tall, 1), ds.max(tall, 1), ds.argmax(tall, 1), ds.variance(tall, [0, 1], { correction: 0 }),
        ds.sum(ints, 0), ds.max(ints, 1), ds.argmax(ints, 1), ds.argmin(ties, 0), ds.min(ties),
        ds.max(nan, 1), ds.argmax(nan, 1), ds.argmin(nan, 0), ds.min(nan, 0), ds.argmax(nan, 0),
      ];
    },
  },
];

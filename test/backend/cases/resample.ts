/** Backend cases of interpolate: nearest and bilinear, forward and backward, size and scale-factor forms. */
import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

export const cases: BackendCase[] = [
  {
    ops: ['upsample_nearest2d', 'upsample_nearest2d_backward'],
    run: (dev) => {
      const x = input([2, 3, 5, 4], dev, 21);
      return [...withGrads([x], () => ds.interpolate(x, { scaleFactor: 1.7 })), ds.interpolate(x, { size: [3, 9] })];
    },
    tol: 0,
  },
  {
    ops: ['upsample_bilinear2d', 'upsample_bilinear2d_backward'],
    run: (dev) => {
      const x = input([2, 3, 5, 4], dev, 22);
      return [
        ...withGrads([x], () => ds.interpolate(x, { scaleFactor: [2, 1.7], mode: 'bilinear' })),
        ds.interpolate(x, { size: [7, 3], mode: 'bilinear', alignCorners: true }),
      ];
    },
    tol: 1e-5,
  },
];

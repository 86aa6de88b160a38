/** Backend cases of the pooling ops: forward and backward kernels on odd sizes with padding and ceil mode. */
import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

export const cases: BackendCase[] = [
  {
    ops: ['max_pool2d', 'max_pool2d_backward'],
    run: (dev) => {
      const x = input([2, 3, 9, 7], dev, 1);
      const [vals, idx] = ds.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, dilation: [1, 2], ceilMode: true, returnIndices: true });
      return [...withGrads([x], () => ds.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, dilation: [1, 2], ceilMode: true })), vals, idx];
    },
    tol: 0, // selection and sums of the same cotangents in the same order
  },
  {
    ops: ['avg_pool2d', 'avg_pool2d_backward'],
    run: (dev) => {
      const x = input([2, 3, 8, 7], dev, 2);
      return [
        ...withGrads([x], () => ds.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false })),
        ds.avgPool2d(x, { kernelSize: [2, 3], stride: 1, divisorOverride: 4 }),
      ];
    },
    tol: 1e-5,
  },
  {
    ops: ['adaptive_avg_pool2d', 'adaptive_avg_pool2d_backward'],
    run: (dev) => {
      const x = input([2, 4, 7, 5], dev, 3);
      return withGrads([x], () => ds.adaptiveAvgPool2d(x, [3, 2]));
    },
    tol: 1e-5,
  },
  {
    ops: ['adaptive_max_pool2d', 'max_pool2d_backward'],
    run: (dev) => {
      const x = input([2, 4, 7, 5], dev, 4);
      const [, idx] = ds.adaptiveMaxPool2d(x, [3, 4], { returnIndices: true });
      return [...withGrads([x], () => ds.adaptiveMaxPool2d(x, [3, 4])), idx];
    },
    tol: 0,
  },
];

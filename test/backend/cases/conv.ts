/**
 * Backend cases of the convolutions: `conv2d` (forward, and convTranspose2d's backward data),
 * `conv2d_backward_data` (conv2d's backward data, convTranspose2d's forward) and `conv2d_backward_weight`
 * (both ops' weight gradient), with groups, strides, dilation and asymmetric padding.
 */
import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';
import { withTf32 } from './matmul';

// 1e-5: float32 GEMM sums (K = C_in/groups·kH·kW <= 300 here) whose order may differ between backends.
const TOL = 1e-5;

export const cases: BackendCase[] = [
  {
    ops: ['conv2d', 'conv2d_backward_data', 'conv2d_backward_weight', 'sum'],
    tol: TOL,
    run: (d) => {
      const x = input([2, 4, 9, 8], d, 11);
      const w = input([6, 2, 3, 3], d, 12);
      const b = input([6], d, 13);
      return withGrads([x, w, b], () => ds.conv2d(x, w, b, { stride: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2], groups: 2 }));
    },
  },
  {
    ops: ['conv2d', 'conv2d_backward_data', 'conv2d_backward_weight'],
    tol: TOL,
    run: (d) => {
      // Larger: im2col segments, the packed GEMM, 1x1 direct path in the second conv.
      const x = input([2, 16, 15, 13], d, 14);
      const w = input([32, 16, 3, 3], d, 15);
      const w1 = input([8, 32, 1, 1], d, 16);
      return withGrads([x, w, w1], () => ds.conv2d(ds.conv2d(x, w, null, { padding: 'same' }), w1));
    },
  },
  {
    ops: ['conv2d_backward_data', 'conv2d', 'conv2d_backward_weight', 'sum'],
    tol: TOL,
    run: (d) => {
      const x = input([2, 6, 5, 4], d, 17);
      const w = input([6, 2, 3, 3], d, 18);
      const b = input([6], d, 19);
      return withGrads([x, w, b], () => ds.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1, groups: 3 }));
    },
  },
  {
    // ResNet-like sizes: 128 x 128 GEMM tiles, split K in the weight gradient; then the same in TF32.
    ops: ['conv2d', 'conv2d_backward_data', 'conv2d_backward_weight'],
    tol: TOL,
    run: (d) => {
      const x = input([4, 64, 28, 28], d, 20);
      const w = input([128, 64, 3, 3], d, 21);
      return withGrads([x, w], () => ds.conv2d(x, w, null, { stride: 2, padding: 1 }));
    },
  },
  {
    ops: ['conv2d', 'conv2d_backward_data', 'conv2d_backward_weight'],
    tol: 3e-3, // TF32, as in matmul.ts
    run: (d) =>
      withTf32(() => {
        const x = input([4, 64, 28, 28], d, 22);
        const w = input([128, 64, 3, 3], d, 23);
        return withGrads([x, w], () => ds.conv2d(x, w, null, { padding: 1 }));
      }),
  },
];

/**
 * Backend cases of the matrix products: `matmul` (forward and, with flipped transposes, its own backward),
 * batched with broadcasting, the packed GEMM path, and `linear` with its bias.
 */
import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

// 1e-5: float32 GEMM sums whose order may differ between backends (K <= 200 here).
const TOL = 1e-5;

export const cases: BackendCase[] = [
  {
    ops: ['matmul', 'sum'],
    tol: TOL,
    run: (d) => {
      const a = input([2, 1, 5, 7], d, 1);
      const b = input([3, 7, 4], d, 2);
      return withGrads([a, b], () => ds.matmul(a, b));
    },
  },
  {
    ops: ['matmul'],
    tol: TOL,
    run: (d) => {
      const a = input([9, 6], d, 3);
      const b = input([2, 5, 9], d, 4);
      return withGrads([a, b], () => ds.matmul(a, b, { transA: true, transB: true }));
    },
  },
  {
    // Large enough for the packed, blocked GEMM (K crosses a KC block).
    ops: ['matmul'],
    tol: TOL,
    run: (d) => {
      const a = input([70, 300], d, 5);
      const b = input([300, 90], d, 6);
      return withGrads([a, b], () => ds.matmul(a, b));
    },
  },
  {
    ops: ['linear', 'matmul', 'sum'],
    tol: TOL,
    run: (d) => {
      const x = input([2, 3, 8], d, 7);
      const w = input([5, 8], d, 8);
      const b = input([5], d, 9);
      return withGrads([x, w, b], () => ds.linear(x, w, b));
    },
  },
];

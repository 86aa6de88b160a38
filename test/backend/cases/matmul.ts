/**
 * Backend cases of the matrix products: `matmul` (forward and, with flipped transposes, its own backward),
 * batched with broadcasting, the packed GEMM path, and `linear` with its bias.
 */
import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

// 1e-5: float32 GEMM sums whose order may differ between backends (K <= 200 here).
const TOL = 1e-5;

// 3e-3: TF32 keeps 10 mantissa bits of each operand (relative error near 2^-11 per product, about 5e-4
// normalised over random sums of a few hundred terms).
const TF32_TOL = 3e-3;

/**
 * Runs `f` with the CUDA GEMM's TF32 path enabled (DEEPSCOPE_CUDA_TF32=1; read when each kernel launches,
 * so the stream is drained before the variable goes). No effect on the CPU.
 */
export function withTf32(f: () => ds.Tensor[]): ds.Tensor[] {
  process.env.DEEPSCOPE_CUDA_TF32 = '1';
  try {
    const out = f();
    ds.synchronize();
    return out;
  } finally {
    delete process.env.DEEPSCOPE_CUDA_TF32;
  }
}

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
  {
    // Big enough for the 128 x 128 tiles and, with DEEPSCOPE_CUDA_TF32=1, the tensor-core path.
    ops: ['matmul'],
    tol: TOL,
    run: (d) => {
      const a = input([300, 200], d, 10);
      const b = input([200, 260], d, 11);
      return withGrads([a, b], () => ds.matmul(a, b));
    },
  },
  {
    ops: ['matmul', 'linear', 'sum'],
    tol: TF32_TOL,
    run: (d) =>
      withTf32(() => {
        const x = input([4, 100, 160], d, 12);
        const w = input([130, 160], d, 13);
        const b = input([130], d, 14);
        return withGrads([x, w, b], () => ds.matmul(ds.linear(x, w, b), w));
      }),
  },
];

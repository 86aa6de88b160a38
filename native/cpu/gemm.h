// Single-precision GEMM on row-major matrices with leading dimensions:
//   C[M x N] = alpha * op(A)[M x K] * op(B)[K x N] + beta * C
// op(A) = A (stored M x K, lda >= K) or, with transA, A^T (A stored K x M, lda >= M); likewise op(B).
// beta == 0 never reads C (it may hold garbage or NaN). Multi-threaded over ds::parallel_for; each element of
// C is computed by one thread in an order fixed by the shape alone, so the result does not depend on the
// thread count. Called inside a parallel_for body it runs serially on the calling thread.
#pragma once
#include <cstdint>

namespace ds::cpu {

void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Work of one GEMM in multiply-adds (callers use it to choose between parallelising outside or inside).
inline double gemm_work(int64_t M, int64_t N, int64_t K) { return double(M) * double(N) * double(K); }

// A thread-local scratch buffer of at least n floats, 64-byte aligned, reused across calls (grown, never
// shrunk). `slot` (0..4) picks one of a few independent buffers per thread (0 and 1 are used by gemm itself;
// convolution uses 2 and 3, its Winograd path 2, 3 and 4).
float* scratch(int slot, int64_t n);

}  // namespace ds::cpu

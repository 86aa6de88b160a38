// Matrix products on the GEMM (native/cpu/gemm.h, native/cuda/gemm.cuh): batched matmul with broadcast
// batch dims and optional transposes of either operand, and linear (x · Wᵀ + b) with the bias fused.
#pragma once
#include <cstdint>

#include "core/attrs.h"
#include "core/tensor_ref.h"

namespace ds {

struct MatmulParams {
  bool transA = false;  // a is stored [..., K, M]
  bool transB = false;  // b is stored [..., N, K]
  static MatmulParams from(const Attrs& a);
};

// The checked geometry of a matmul, shared by the backends: out[..., M, N] = op(a) · op(b) over `batch`
// products (out's batch dims, row-major); batch entry i reads a's matrix sum_d i_d · sa[d] and b's
// sum_d i_d · sb[d] (in matrices; 0 on broadcast dims), i_d its index along out's batch dim d < R.
struct MatmulDims {
  int64_t M = 0, N = 0, K = 0, batch = 1;
  int R = 0;
  int64_t sa[kMaxDims] = {}, sb[kMaxDims] = {};
  int64_t a_batch = 1, b_batch = 1;  // matrices stored in a and b
  MatmulDims(const TensorRef& a, const TensorRef& b, const TensorRef& out, const MatmulParams& p);
};

// The checked geometry of linear: out[M, N] = x[M, K] · w[N, K]ᵀ + bias[N].
struct LinearDims {
  int64_t M = 0, N = 0, K = 0;
  LinearDims(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& out);
};

namespace cpu {
// out[..., M, N] = op(a)[..., M, K] · op(b)[..., K, N]; a, b have rank >= 2 and their batch dims (all but the
// last two) broadcast, right-aligned, to out's. float32.
void matmul(const TensorRef& a, const TensorRef& b, const TensorRef& out, const MatmulParams& p);
// out[..., N] = x[..., K] · w[N, K]ᵀ + bias[N] (bias may be undefined). float32.
void linear(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& out);
}  // namespace cpu

namespace cuda {
// As cpu::matmul and cpu::linear, on the tiled GEMM of cuda/gemm.cuh (TF32 tensor cores when
// DEEPSCOPE_CUDA_TF32=1 on sm_80 and newer).
void matmul(const TensorRef& a, const TensorRef& b, const TensorRef& out, const MatmulParams& p);
void linear(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& out);
}  // namespace cuda

}  // namespace ds

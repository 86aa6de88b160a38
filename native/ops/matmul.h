// Matrix products on the GEMM (native/cpu/gemm.h): batched matmul with broadcast batch dims and optional
// transposes of either operand, and linear (x · Wᵀ + b) with the bias fused.
#pragma once
#include "core/attrs.h"
#include "core/tensor_ref.h"

namespace ds {

struct MatmulParams {
  bool transA = false;  // a is stored [..., K, M]
  bool transB = false;  // b is stored [..., N, K]
  static MatmulParams from(const Attrs& a);
};

namespace cpu {
// out[..., M, N] = op(a)[..., M, K] · op(b)[..., K, N]; a, b have rank >= 2 and their batch dims (all but the
// last two) broadcast, right-aligned, to out's. float32.
void matmul(const TensorRef& a, const TensorRef& b, const TensorRef& out, const MatmulParams& p);
// out[..., N] = x[..., K] · w[N, K]ᵀ + bias[N] (bias may be undefined). float32.
void linear(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& out);
}  // namespace cpu

}  // namespace ds

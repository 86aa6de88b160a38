#include "ops/matmul.h"

#include <algorithm>

#include "core/error.h"
#include "core/op_registry.h"

namespace ds {

MatmulParams MatmulParams::from(const Attrs& a) {
  MatmulParams p;
  p.transA = a.b("transA", false);
  p.transB = a.b("transB", false);
  return p;
}

MatmulDims::MatmulDims(const TensorRef& a, const TensorRef& b, const TensorRef& out, const MatmulParams& p) {
  DS_CHECK(a.dtype == DType::f32 && b.dtype == DType::f32 && out.dtype == DType::f32, "matmul: float32 only");
  DS_CHECK(a.ndim >= 2 && b.ndim >= 2 && out.ndim >= 2, "matmul: operands must be at least 2-D");
  DS_CHECK(a.ndim <= out.ndim && b.ndim <= out.ndim, "matmul: batch ranks");
  M = out.dim(-2), N = out.dim(-1);
  K = p.transA ? a.dim(-2) : a.dim(-1);
  DS_CHECK((p.transA ? a.dim(-1) : a.dim(-2)) == M, "matmul: rows of a " + a.shape_str() + " vs out " + out.shape_str());
  DS_CHECK((p.transB ? b.dim(-2) : b.dim(-1)) == N, "matmul: columns of b " + b.shape_str() + " vs out " + out.shape_str());
  DS_CHECK((p.transB ? b.dim(-1) : b.dim(-2)) == K, "matmul: inner dims of a " + a.shape_str() + " and b " + b.shape_str());
  R = out.ndim - 2;
  int64_t ma = 1, mb = 1;
  for (int d = R - 1; d >= 0; --d) {
    const int da = d - (R - (a.ndim - 2)), db = d - (R - (b.ndim - 2));
    const int64_t na = da >= 0 ? a.shape[da] : 1, nb = db >= 0 ? b.shape[db] : 1;
    DS_CHECK((na == out.shape[d] || na == 1) && (nb == out.shape[d] || nb == 1), "matmul: batch dims do not broadcast");
    sa[d] = na == 1 ? 0 : ma;
    sb[d] = nb == 1 ? 0 : mb;
    ma *= na;
    mb *= nb;
    batch *= out.shape[d];
  }
  a_batch = ma;
  b_batch = mb;
}

LinearDims::LinearDims(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& out) {
  DS_CHECK(x.dtype == DType::f32 && w.dtype == DType::f32 && out.dtype == DType::f32, "linear: float32 only");
  DS_CHECK(w.ndim == 2 && x.ndim >= 1, "linear: ranks");
  N = w.shape[0], K = w.shape[1];
  DS_CHECK(x.dim(-1) == K && out.dim(-1) == N, "linear: x " + x.shape_str() + ", weight " + w.shape_str() + ", out " + out.shape_str());
  M = K ? x.numel() / K : out.numel() / std::max<int64_t>(N, 1);
  DS_CHECK(out.numel() == M * N, "linear: output size");
  if (bias.defined) DS_CHECK(bias.numel() == N, "linear: bias size");
}

namespace {
TensorRef opt(const OpCall& c, size_t i) { return c.in.size() > i ? c.in[i] : TensorRef(); }
void matmul_cpu(const OpCall& c) { cpu::matmul(c.in[0], c.in[1], c.out[0], MatmulParams::from(c.attrs)); }
void linear_cpu(const OpCall& c) { cpu::linear(c.in[0], c.in[1], opt(c, 2), c.out[0]); }
#ifdef DEEPSCOPE_WITH_CUDA
void matmul_cuda(const OpCall& c) { cuda::matmul(c.in[0], c.in[1], c.out[0], MatmulParams::from(c.attrs)); }
void linear_cuda(const OpCall& c) { cuda::linear(c.in[0], c.in[1], opt(c, 2), c.out[0]); }
#endif
}  // namespace

// Backward of both is expressed with `matmul` (transposes instead of copies) and `sum`.
DS_REGISTER_OPS({"matmul", matmul_cpu, DS_CUDA(matmul_cuda)}, {"linear", linear_cpu, DS_CUDA(linear_cuda)});

}  // namespace ds

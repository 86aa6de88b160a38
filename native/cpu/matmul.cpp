// CPU matmul and linear on top of the GEMM. Batched products parallelise over the batch (serial GEMMs)
// when there are many small matrices, else run one parallel GEMM after another; a batch that only `a`
// carries (b shared, a not transposed) folds into one tall GEMM.
#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/gemm.h"
#include "ops/matmul.h"

namespace ds::cpu {

void matmul(const TensorRef& a, const TensorRef& b, const TensorRef& out, const MatmulParams& p) {
  DS_CHECK(a.dtype == DType::f32 && b.dtype == DType::f32 && out.dtype == DType::f32, "matmul: float32 only");
  DS_CHECK(a.ndim >= 2 && b.ndim >= 2 && out.ndim >= 2, "matmul: operands must be at least 2-D");
  DS_CHECK(a.ndim <= out.ndim && b.ndim <= out.ndim, "matmul: batch ranks");
  const int64_t M = out.dim(-2), N = out.dim(-1);
  const int64_t K = p.transA ? a.dim(-2) : a.dim(-1);
  DS_CHECK((p.transA ? a.dim(-1) : a.dim(-2)) == M, "matmul: rows of a " + a.shape_str() + " vs out " + out.shape_str());
  DS_CHECK((p.transB ? b.dim(-2) : b.dim(-1)) == N, "matmul: columns of b " + b.shape_str() + " vs out " + out.shape_str());
  DS_CHECK((p.transB ? b.dim(-1) : b.dim(-2)) == K, "matmul: inner dims of a " + a.shape_str() + " and b " + b.shape_str());

  // Batch strides (in matrices) of a and b over out's batch dims; 0 where broadcast.
  const int R = out.ndim - 2;
  int64_t sa[kMaxDims] = {}, sb[kMaxDims] = {};
  int64_t batch = 1;
  {
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
  }
  if (batch == 0 || M == 0 || N == 0) return;
  const float* A = a.f32();
  const float* B = b.f32();
  float* C = out.f32();
  const int64_t lda = p.transA ? M : K, ldb = p.transB ? K : N;
  const int64_t msa = M * K, msb = K * N, msc = M * N;

  int64_t a_batch = 1, b_batch = 1;
  for (int d = 0; d < a.ndim - 2; ++d) a_batch *= a.shape[d];
  for (int d = 0; d < b.ndim - 2; ++d) b_batch *= b.shape[d];
  if (!p.transA && b_batch == 1 && a_batch == batch) {
    gemm(false, p.transB, batch * M, N, K, 1.f, A, K, B, ldb, 0.f, C, N);
    return;
  }

  auto offsets = [&](int64_t i, int64_t& oa, int64_t& ob) {
    oa = ob = 0;
    for (int d = R - 1; d >= 0; --d) {
      const int64_t idx = i % out.shape[d];
      i /= out.shape[d];
      oa += idx * sa[d];
      ob += idx * sb[d];
    }
  };
  auto one = [&](int64_t i) {
    int64_t oa, ob;
    offsets(i, oa, ob);
    gemm(p.transA, p.transB, M, N, K, 1.f, A + oa * msa, lda, B + ob * msb, ldb, 0.f, C + i * msc, N);
  };
  const double work = gemm_work(M, N, K);
  if (batch >= 2 && (work < (1 << 20) || batch >= 4 * num_threads())) {
    // Many products: one serial GEMM per batch entry (a GEMM inside parallel_for runs on its thread).
    parallel_for(0, batch, std::max<int64_t>(1, int64_t(65536 / std::max(work, 1.0))), [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) one(i);
    });
  } else {
    for (int64_t i = 0; i < batch; ++i) one(i);
  }
}

void linear(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& out) {
  DS_CHECK(x.dtype == DType::f32 && w.dtype == DType::f32 && out.dtype == DType::f32, "linear: float32 only");
  DS_CHECK(w.ndim == 2 && x.ndim >= 1, "linear: ranks");
  const int64_t N = w.shape[0], K = w.shape[1];
  DS_CHECK(x.dim(-1) == K && out.dim(-1) == N, "linear: x " + x.shape_str() + ", weight " + w.shape_str() + ", out " + out.shape_str());
  const int64_t M = K ? x.numel() / K : out.numel() / std::max<int64_t>(N, 1);
  DS_CHECK(out.numel() == M * N, "linear: output size");
  if (M == 0 || N == 0) return;
  float* C = out.f32();
  float beta = 0.f;
  if (bias.defined) {
    DS_CHECK(bias.numel() == N, "linear: bias size");
    const float* bs = bias.f32();
    parallel_for(0, M, std::max<int64_t>(1, 16384 / N), [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) std::memcpy(C + i * N, bs, size_t(N) * sizeof(float));
    });
    beta = 1.f;
  }
  gemm(false, true, M, N, K, 1.f, x.f32(), K, w.f32(), K, beta, C, N);
}

}  // namespace ds::cpu

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
  const MatmulDims md(a, b, out, p);
  const int64_t M = md.M, N = md.N, K = md.K, batch = md.batch, a_batch = md.a_batch, b_batch = md.b_batch;
  const int R = md.R;
  const int64_t *sa = md.sa, *sb = md.sb;
  if (batch == 0 || M == 0 || N == 0) return;
  const float* A = a.f32();
  const float* B = b.f32();
  float* C = out.f32();
  const int64_t lda = p.transA ? M : K, ldb = p.transB ? K : N;
  const int64_t msa = M * K, msb = K * N, msc = M * N;

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
  const LinearDims ld(x, w, bias, out);
  const int64_t M = ld.M, N = ld.N, K = ld.K;
  if (M == 0 || N == 0) return;
  float* C = out.f32();
  float beta = 0.f;
  if (bias.defined) {
    const float* bs = bias.f32();
    parallel_for(0, M, std::max<int64_t>(1, 16384 / N), [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) std::memcpy(C + i * N, bs, size_t(N) * sizeof(float));
    });
    beta = 1.f;
  }
  gemm(false, true, M, N, K, 1.f, x.f32(), K, w.f32(), K, beta, C, N);
}

}  // namespace ds::cpu

// CUDA matmul and linear on the tiled GEMM (cuda/gemm.cuh).
//
// matmul: out[..., M, N] = op(a) · op(b) with a [..., M, K] (or [..., K, M] transposed) and b [..., K, N]
// (or [..., N, K]), batch dims broadcast to out's. One GEMM launch covers the whole batch (blockIdx.z);
// the batch entry's operand offsets come from the CPU's broadcast plan over out's batch dims. Transposes
// are template parameters, so the tile loads stay coalesced along whichever index is contiguous.
// linear: out[M, N] = x[M, K] · w[N, K]ᵀ + bias[N], the bias added in the GEMM's epilogue.
#include <cstdint>

#include "core/error.h"
#include "cuda/gemm.cuh"
#include "ops/matmul.h"

namespace ds::cuda {
namespace {

template <bool TA, bool TB>
struct MatmulProblem {
  static constexpr bool kAContigM = TA, kBContigN = !TB;
  int M, N, K, batch;
  const float* A;
  const float* B;
  float* C;
  const float* bias;  // per column; null when absent
  int64_t lda, ldb;
  Indexer<2, int64_t> ix;  // batch entry -> element offsets of its A and B

  struct Operands {
    const float* A;
    const float* B;
    int64_t lda, ldb;
    __device__ __forceinline__ float a(int m, int k) const { return TA ? A[int64_t(k) * lda + m] : A[int64_t(m) * lda + k]; }
    __device__ __forceinline__ float b(int k, int n) const { return TB ? B[int64_t(n) * ldb + k] : B[int64_t(k) * ldb + n]; }
  };
  struct Output {
    float* C;
    int N;
    const float* bias;
    __device__ __forceinline__ void store(int m, int n, float v) const { C[int64_t(m) * N + n] = bias ? v + bias[n] : v; }
  };
  __device__ __forceinline__ Operands operands(int z) const {
    int64_t off[2];
    ix.offsets(z, off);
    return {A + off[0], B + off[1], lda, ldb};
  }
  __device__ __forceinline__ Output output(int z) const { return {C + int64_t(z) * M * N, N, bias}; }
};

// The sizes of one launch: `batch` products of M x K by K x N.
struct Sizes {
  int64_t M, N, K, batch;
};

template <bool TA, bool TB>
void run_matmul(const Sizes& d, const float* A, const float* B, float* C, const float* bias,
                const Indexer<2, int64_t>& ix, int device, const char* name) {
  DS_CHECK(d.M <= INT32_MAX && d.N <= INT32_MAX && d.K <= INT32_MAX && d.batch <= INT32_MAX,
           std::string(name) + ": a dimension exceeds 2^31 - 1");
  MatmulProblem<TA, TB> p{int(d.M), int(d.N), int(d.K), int(d.batch), A, B, C, bias, TA ? d.M : d.K, TB ? d.K : d.N, ix};
  gemm::run(p, device, name);
}

void dispatch(bool ta, bool tb, const Sizes& d, const float* A, const float* B, float* C, const float* bias,
              const Indexer<2, int64_t>& ix, int device, const char* name) {
  if (!ta && !tb) run_matmul<false, false>(d, A, B, C, bias, ix, device, name);
  else if (!ta && tb) run_matmul<false, true>(d, A, B, C, bias, ix, device, name);
  else if (ta && !tb) run_matmul<true, false>(d, A, B, C, bias, ix, device, name);
  else run_matmul<true, true>(d, A, B, C, bias, ix, device, name);
}

}  // namespace

void matmul(const TensorRef& a, const TensorRef& b, const TensorRef& out, const MatmulParams& p) {
  const MatmulDims d(a, b, out, p);
  if (d.batch == 0 || d.M == 0 || d.N == 0) return;
  // The batch dims of out, with a's and b's element strides along them.
  TensorRef batch_shape;
  batch_shape.ndim = d.R;
  int64_t st[2][kMaxDims] = {};
  for (int i = 0; i < d.R; ++i) {
    batch_shape.shape[i] = out.shape[i];
    st[0][i] = d.sa[i] * d.M * d.K;
    st[1][i] = d.sb[i] * d.K * d.N;
  }
  const cpu::BroadcastPlan<2> plan(batch_shape, st);
  dispatch(p.transA, p.transB, {d.M, d.N, d.K, d.batch}, a.f32(), b.f32(), out.f32(), nullptr, make_indexer<2, int64_t>(plan),
           out.device.index, "matmul");
}

void linear(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& out) {
  const LinearDims l(x, w, bias, out);
  if (l.M == 0 || l.N == 0) return;
  Indexer<2, int64_t> ix;
  ix.shape[0] = 1;
  dispatch(false, true, {l.M, l.N, l.K, 1}, x.f32(), w.f32(), out.f32(), bias.defined ? bias.f32() : nullptr, ix, out.device.index,
           "linear");
}

}  // namespace ds::cuda

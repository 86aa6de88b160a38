// BLIS-style GEMM. Loops, outermost first:
//   jc over N in NC columns      B panel [KC x NC] packed once per (jc, pc), shared by all threads
//   pc over K in KC steps        the first step applies beta, the others accumulate (beta = 1)
//   units (ic block, jr group)   parallel: each thread packs its A block [MC x KC] into a thread-local
//                                buffer (reused while consecutive units share the block), then for each
//                                NR sliver of its group and each MR micro-panel calls the micro-kernel
// Transposes are absorbed by the packing routines. The block grid (MC, KC, NC, MR, NR) depends on the shape
// and the ISA only, and every micro-tile is written by one thread, so results are the same for any thread
// count. Small or skinny products (M or N below 4, or little work) skip packing: direct loops, parallel over
// (row, column chunk) units, again with a per-element order independent of the partition.
#include "cpu/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/thread_pool.h"
#include "cpu/isa_table.h"

namespace ds::cpu {
namespace {

constexpr int64_t KC = 256;
constexpr int64_t NC = 2048;      // a multiple of every NR (8, 16, 32)
constexpr int64_t MC_TARGET = 144;
constexpr int kSlots = 5;

struct Scratch {
  float* p[kSlots] = {};
  int64_t cap[kSlots] = {};
  ~Scratch() {
    for (float* q : p) std::free(q);
  }
};
thread_local Scratch tl_scratch;

// op(A)[i, k] and op(B)[k, j] through the transposes.
inline float at_a(const float* A, int64_t lda, bool t, int64_t i, int64_t k) { return t ? A[k * lda + i] : A[i * lda + k]; }

// Packs rows [0, mc) x cols [0, kc) of op(A) (already offset to the block's corner) into micro-panels of MR.
void pack_a(bool ta, const float* A, int64_t lda, int64_t mc, int64_t kc, int MR, float* dst) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    int64_t m = std::min<int64_t>(MR, mc - i0);
    float* d = dst + i0 * kc;
    if (!ta) {
      for (int64_t i = 0; i < m; ++i) {
        const float* src = A + (i0 + i) * lda;
        for (int64_t k = 0; k < kc; ++k) d[k * MR + i] = src[k];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = A + k * lda + i0;
        for (int64_t i = 0; i < m; ++i) d[k * MR + i] = src[i];
      }
    }
    if (m < MR)
      for (int64_t k = 0; k < kc; ++k)
        for (int64_t i = m; i < MR; ++i) d[k * MR + i] = 0.f;
  }
}

// Packs sliver s (columns [s*NR, s*NR+n)) of op(B)[0:kc, 0:nc] (offset to the panel's corner).
void pack_b_sliver(bool tb, const float* B, int64_t ldb, int64_t kc, int64_t j0, int64_t n, int NR, float* d) {
  if (!tb) {
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = B + k * ldb + j0;
      float* row = d + k * NR;
      for (int64_t j = 0; j < n; ++j) row[j] = src[j];
      for (int64_t j = n; j < NR; ++j) row[j] = 0.f;
    }
  } else {
    for (int64_t j = 0; j < n; ++j) {
      const float* src = B + (j0 + j) * ldb;
      for (int64_t k = 0; k < kc; ++k) d[k * NR + j] = src[k];
    }
    if (n < NR)
      for (int64_t k = 0; k < kc; ++k)
        for (int64_t j = n; j < NR; ++j) d[k * NR + j] = 0.f;
  }
}

void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  parallel_for(0, M, std::max<int64_t>(1, 16384 / std::max<int64_t>(N, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      float* c = C + i * ldc;
      if (beta == 0.f) std::memset(c, 0, size_t(N) * sizeof(float));
      else for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  });
}

// Dot product of two strided float vectors in 8 interleaved partial sums combined in a fixed order.
inline float dot(const float* a, int64_t sa, const float* b, int64_t sb, int64_t K) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  if (sa == 1 && sb == 1) {
    for (; k + 8 <= K; k += 8)
      for (int u = 0; u < 8; ++u) s[u] += a[k + u] * b[k + u];
  } else {
    for (; k + 8 <= K; k += 8)
      for (int u = 0; u < 8; ++u) s[u] += a[(k + u) * sa] * b[(k + u) * sb];
  }
  for (; k < K; ++k) s[0] += a[k * sa] * b[k * sb];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// Direct loops for small or skinny products: units are (row i, chunk of JB columns).
void gemm_direct(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  // Column chunks as long as the rows allow, one or more per thread: the row form then streams whole rows
  // of B, which the prefetchers follow (each element's sum runs over k in order whatever the chunking).
  const int64_t per_thread = (N + num_threads() - 1) / num_threads();
  const int64_t JB = std::clamp<int64_t>((per_thread + 15) / 16 * 16, 256, 4096);
  const int64_t nj = (N + JB - 1) / JB;
  const int64_t per_unit = std::max<int64_t>(1, K * std::min(N, JB));
  parallel_for(0, M * nj, std::max<int64_t>(1, 32768 / per_unit), [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; ++u) {
      const int64_t i = u / nj;
      const int64_t j0 = (u % nj) * JB, j1 = std::min(N, j0 + JB);
      float* c = C + i * ldc;
      if (tb) {
        // op(B)[k, j] = B[j, k]: one dot product per element.
        const float* arow = ta ? A + i : A + i * lda;
        const int64_t sa = ta ? lda : 1;
        for (int64_t j = j0; j < j1; ++j) {
          float d = alpha * dot(arow, sa, B + j * ldb, 1, K);
          c[j] = beta == 0.f ? d : d + beta * c[j];
        }
      } else {
        // Row form: c[j0:j1] = beta * c + sum_k (alpha * op(A)[i, k]) * B[k, j0:j1].
        if (beta == 0.f) std::fill(c + j0, c + j1, 0.f);
        else if (beta != 1.f) for (int64_t j = j0; j < j1; ++j) c[j] *= beta;
        for (int64_t k = 0; k < K; ++k) {
          const float a = alpha * at_a(A, lda, ta, i, k);
          const float* b = B + k * ldb;
          for (int64_t j = j0; j < j1; ++j) c[j] += a * b[j];
        }
      }
    }
  });
}

void gemm_packed(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const GemmMicroKernel& uk = gemm_microkernel();
  const int MR = uk.mr, NR = uk.nr;
  const int64_t MC = (MC_TARGET + MR - 1) / MR * MR;
  const int64_t n_ic = (M + MC - 1) / MC;
  const int threads = num_threads();

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    const int64_t nsl = (nc + NR - 1) / NR;
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const float beta_k = pc == 0 ? beta : 1.f;
      // The B panel lives in the calling thread's scratch; the workers only read it.
      float* bp = scratch(1, nsl * NR * kc);
      const float* bsrc = tb ? B + jc * ldb + pc : B + pc * ldb + jc;
      parallel_for(0, nsl, std::max<int64_t>(1, 8192 / (kc * NR)), [&](int64_t lo, int64_t hi) {
        for (int64_t s = lo; s < hi; ++s)
          pack_b_sliver(tb, bsrc, ldb, kc, s * NR, std::min<int64_t>(NR, nc - s * NR), NR, bp + s * NR * kc);
      });
      // Scheduling may use the thread count; the tile grid does not.
      const int64_t nj = std::max<int64_t>(1, std::min<int64_t>(nsl, (2 * threads + n_ic - 1) / n_ic));
      parallel_for(0, n_ic * nj, 1, [&](int64_t lo, int64_t hi) {
        float* ap = scratch(0, MC * kc);
        int64_t packed = -1;
        for (int64_t u = lo; u < hi; ++u) {
          const int64_t b = u / nj, g = u % nj;
          const int64_t ic = b * MC, mc = std::min(MC, M - ic);
          if (b != packed) {
            const float* asrc = ta ? A + pc * lda + ic : A + ic * lda + pc;
            pack_a(ta, asrc, lda, mc, kc, MR, ap);
            packed = b;
          }
          const int64_t s0 = nsl * g / nj, s1 = nsl * (g + 1) / nj;
          for (int64_t s = s0; s < s1; ++s) {
            const int64_t j = jc + s * NR;
            const int n = int(std::min<int64_t>(NR, N - j));
            const float* bs = bp + s * NR * kc;
            for (int64_t ir = 0; ir < mc; ir += MR) {
              const int m = int(std::min<int64_t>(MR, mc - ir));
              uk.fn(kc, ap + ir * kc, bs, C + (ic + ir) * ldc + j, ldc, m, n, alpha, beta_k);
            }
          }
        }
      });
    }
  }
}

}  // namespace

float* scratch(int slot, int64_t n) {
  Scratch& s = tl_scratch;
  if (n > s.cap[slot]) {
    std::free(s.p[slot]);
    s.p[slot] = nullptr;
    s.cap[slot] = 0;
    size_t bytes = (size_t(n) * sizeof(float) + 63) / 64 * 64;
    void* q = std::aligned_alloc(64, bytes);
    if (!q) throw std::bad_alloc();
    s.p[slot] = static_cast<float*>(q);
    s.cap[slot] = n;
  }
  return s.p[slot];
}

void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.f) {
    if (beta != 1.f) scale_c(M, N, beta, C, ldc);
    return;
  }
  if (M < 4 || N < 4 || gemm_work(M, N, K) <= 16384.0) gemm_direct(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else gemm_packed(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace ds::cpu

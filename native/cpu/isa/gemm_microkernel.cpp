// The GEMM micro-kernel, compiled once per instruction set (see CMakeLists.txt): a register block of
// MR x NR accumulators held in GCC vector-extension types, so the same portable source becomes SSE2 (generic),
// AVX2+FMA or AVX-512 code. Per step k it broadcasts one packed A value per row and multiplies it into the
// packed B row (NV vectors): MR * NV accumulators + NV B vectors + 1 broadcast stay in registers.
//   generic  (16 xmm): 6 x 8   -> 12 accumulators
//   avx2     (16 ymm): 6 x 16  -> 12 accumulators
//   avx512   (32 zmm): 12 x 32 -> 24 accumulators
// Rules of native/cpu/isa/: no std:: templates, no inline functions from shared headers, everything local
// in an anonymous namespace; only the suffixed table entry has external linkage.
#include <cstdint>

#include "cpu/isa_table.h"

#if defined(DS_ISA_NAME_avx512)
#define DS_GEMM_VEC_BYTES 64
#define DS_GEMM_MR 12
#elif defined(DS_ISA_NAME_avx2)
#define DS_GEMM_VEC_BYTES 32
#define DS_GEMM_MR 6
#else
#define DS_GEMM_VEC_BYTES 16
#define DS_GEMM_MR 6
#endif
#define DS_GEMM_NV 2
#define DS_GEMM_VEC_FLOATS (DS_GEMM_VEC_BYTES / 4)
#define DS_GEMM_NR (DS_GEMM_NV * DS_GEMM_VEC_FLOATS)

#define DS_ISA_CAT_INNER(a, b) a##b
#define DS_ISA_CAT(a, b) DS_ISA_CAT_INNER(a, b)
#define DS_ISA_STR_INNER(a) #a
#define DS_ISA_STR(a) DS_ISA_STR_INNER(a)

namespace ds::cpu {
namespace {

// Unaligned, aliasing-safe vector of floats (loads and stores through it may touch any float array).
typedef float vfloat __attribute__((vector_size(DS_GEMM_VEC_BYTES), aligned(4), may_alias));

constexpr int MR = DS_GEMM_MR;
constexpr int NV = DS_GEMM_NV;
constexpr int VF = DS_GEMM_VEC_FLOATS;
constexpr int NR = DS_GEMM_NR;

void microkernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int m, int n, float alpha,
                 float beta) {
  vfloat acc[MR][NV];
  const vfloat zero = {};
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = zero;

  for (int64_t k = 0; k < kc; ++k) {
    const vfloat* brow = reinterpret_cast<const vfloat*>(bp + k * NR);
    vfloat b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) b[v] = brow[v];
    const float* arow = ap + k * MR;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      // x − (+0) is x for every x (−0 included), so this is a bare broadcast; 0 + x would cost an add.
      const vfloat a = arow[i] - zero;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] += a * b[v];
    }
  }

  if (m == MR && n == NR) {
    const vfloat va = zero + alpha;
    if (beta == 0.f) {
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        vfloat* crow = reinterpret_cast<vfloat*>(c + i * ldc);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) crow[v] = va * acc[i][v];
      }
    } else {
      const vfloat vb = zero + beta;
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        vfloat* crow = reinterpret_cast<vfloat*>(c + i * ldc);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) crow[v] = va * acc[i][v] + vb * crow[v];
      }
    }
    return;
  }
  // Edge tile: spill the block, write the m x n corner.
  float tile[MR * NR];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) *reinterpret_cast<vfloat*>(tile + i * NR + v * VF) = acc[i][v];
  for (int i = 0; i < m; ++i) {
    float* crow = c + i * ldc;
    const float* t = tile + i * NR;
    if (beta == 0.f) {
      for (int j = 0; j < n; ++j) crow[j] = alpha * t[j];
    } else {
      for (int j = 0; j < n; ++j) crow[j] = alpha * t[j] + beta * crow[j];
    }
  }
}

}  // namespace

extern const GemmMicroKernel DS_ISA_CAT(gemm_microkernel_, DS_ISA) = {MR, NR, microkernel, DS_ISA_STR(DS_ISA)};

}  // namespace ds::cpu

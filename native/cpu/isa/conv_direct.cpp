// Inner loops of the direct ("wide row") convolution of native/cpu/conv.cpp, compiled once per instruction
// set (see CMakeLists.txt) with GCC vector-extension types, so the same source becomes SSE2 (generic),
// AVX2+FMA or AVX-512 code:
//   taps  acc[q] += sum_t w[t] · src[off[t] + q]   for q in [0, L); each element adds the taps in order t
//         (blocks of 4 vectors of q stay in registers across all taps)
//   dots  acc[t·16 + j] += sum_{q mod 16 = j} g[q] · src[off[t] + q]   for t in [0, ntaps), L a multiple
//         of 16: sixteen lane sums per tap (q ascending in each), the same lanes on every ISA; the caller
//         adds up the lanes
// Rules of native/cpu/isa/: no std:: templates, no inline functions from shared headers, everything local
// in an anonymous namespace; only the suffixed table entry has external linkage.
#include <cstdint>

#include "cpu/isa_table.h"

#if defined(DS_ISA_NAME_avx512)
#define DS_CONV_VEC_BYTES 64
#elif defined(DS_ISA_NAME_avx2)
#define DS_CONV_VEC_BYTES 32
#else
#define DS_CONV_VEC_BYTES 16
#endif

#define DS_ISA_CAT_INNER(a, b) a##b
#define DS_ISA_CAT(a, b) DS_ISA_CAT_INNER(a, b)
#define DS_ISA_STR_INNER(a) #a
#define DS_ISA_STR(a) DS_ISA_STR_INNER(a)

namespace ds::cpu {
namespace {

// Unaligned, aliasing-safe vector of floats.
typedef float vfloat __attribute__((vector_size(DS_CONV_VEC_BYTES), aligned(4), may_alias));
constexpr int VF = DS_CONV_VEC_BYTES / 4;

inline vfloat ld(const float* p) { return *reinterpret_cast<const vfloat*>(p); }
inline void st(float* p, vfloat v) { *reinterpret_cast<vfloat*>(p) = v; }

void taps(int64_t L, int64_t nt, const float* w, const int64_t* off, const float* src, float* acc) {
  const vfloat zero = {};
  int64_t q = 0;
  for (; q + 4 * VF <= L; q += 4 * VF) {
    vfloat a0 = ld(acc + q), a1 = ld(acc + q + VF), a2 = ld(acc + q + 2 * VF), a3 = ld(acc + q + 3 * VF);
    for (int64_t t = 0; t < nt; ++t) {
      const vfloat wv = w[t] - zero;  // a bare broadcast (see gemm_microkernel.cpp)
      const float* s = src + off[t] + q;
      a0 += wv * ld(s);
      a1 += wv * ld(s + VF);
      a2 += wv * ld(s + 2 * VF);
      a3 += wv * ld(s + 3 * VF);
    }
    st(acc + q, a0);
    st(acc + q + VF, a1);
    st(acc + q + 2 * VF, a2);
    st(acc + q + 3 * VF, a3);
  }
  for (; q + VF <= L; q += VF) {
    vfloat a = ld(acc + q);
    for (int64_t t = 0; t < nt; ++t) a += (w[t] - zero) * ld(src + off[t] + q);
    st(acc + q, a);
  }
  for (; q < L; ++q) {
    float a = acc[q];
    for (int64_t t = 0; t < nt; ++t) a += w[t] * src[off[t] + q];
    acc[q] = a;
  }
}

// 16 lanes per tap in NL vectors (1, 2 or 4 by ISA): lane j sums the q with q mod 16 = j, q ascending.
constexpr int NL = 16 / VF;

void dots(int64_t L, int64_t nt, const int64_t* off, const float* src, const float* g, float* acc) {
  int64_t t = 0;
  // Four taps at a time share the loads of g.
  for (; t + 4 <= nt; t += 4) {
    const float* s[4];
    vfloat a[4][NL];
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      s[j] = src + off[t + j];
#pragma GCC unroll 4
      for (int v = 0; v < NL; ++v) a[j][v] = ld(acc + (t + j) * 16 + v * VF);
    }
    for (int64_t q = 0; q < L; q += 16) {
#pragma GCC unroll 4
      for (int v = 0; v < NL; ++v) {
        const vfloat gv = ld(g + q + v * VF);
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) a[j][v] += gv * ld(s[j] + q + v * VF);
      }
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j)
#pragma GCC unroll 4
      for (int v = 0; v < NL; ++v) st(acc + (t + j) * 16 + v * VF, a[j][v]);
  }
  for (; t < nt; ++t) {
    const float* s = src + off[t];
    vfloat a[NL];
#pragma GCC unroll 4
    for (int v = 0; v < NL; ++v) a[v] = ld(acc + t * 16 + v * VF);
    for (int64_t q = 0; q < L; q += 16)
#pragma GCC unroll 4
      for (int v = 0; v < NL; ++v) a[v] += ld(g + q + v * VF) * ld(s + q + v * VF);
#pragma GCC unroll 4
    for (int v = 0; v < NL; ++v) st(acc + t * 16 + v * VF, a[v]);
  }
}

}  // namespace

extern const ConvDirectKernels DS_ISA_CAT(conv_direct_, DS_ISA) = {taps, dots, DS_ISA_STR(DS_ISA)};

}  // namespace ds::cpu

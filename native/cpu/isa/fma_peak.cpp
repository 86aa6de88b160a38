// The machine's floating-point peak, measured: a loop of independent multiply-adds on float vectors held in
// registers, compiled once per instruction set like the GEMM micro-kernel. Benchmarks quote achieved
// GFLOP/s against this figure, measured in the same run on the same cores, rather than a datasheet number.
// NACC independent accumulators hide the FMA latency (4 cycles × 2 ports needs ≥ 8 in flight); the chain
// x ← x·m + a with m just below 1 stays finite for any iteration count, and without -ffast-math the
// compiler may not reassociate or shorten the chain. Without FMA (generic, SSE2) the
// multiply and the add are two instructions: the generic figure is that ISA's own peak.
// Rules of native/cpu/isa/ apply: plain code in an anonymous namespace, one suffixed table entry.
#include <cstdint>

#include "cpu/isa_table.h"

#if defined(DS_ISA_NAME_avx512)
#define DS_PEAK_VEC_BYTES 64
#define DS_PEAK_NACC 16
#elif defined(DS_ISA_NAME_avx2)
#define DS_PEAK_VEC_BYTES 32
#define DS_PEAK_NACC 10
#else
#define DS_PEAK_VEC_BYTES 16
#define DS_PEAK_NACC 10
#endif

#define DS_ISA_CAT_INNER(a, b) a##b
#define DS_ISA_CAT(a, b) DS_ISA_CAT_INNER(a, b)
#define DS_ISA_STR_INNER(a) #a
#define DS_ISA_STR(a) DS_ISA_STR_INNER(a)

namespace ds::cpu {
namespace {

typedef float vfloat __attribute__((vector_size(DS_PEAK_VEC_BYTES)));
constexpr int NACC = DS_PEAK_NACC;
constexpr int VF = DS_PEAK_VEC_BYTES / 4;

int64_t fma_loop(int64_t iterations, float* sink) {
  const vfloat zero = {};
  const vfloat m = zero + 0.99999994f;
  const vfloat a = zero + 1e-7f;
  vfloat acc[NACC];
#pragma GCC unroll 16
  for (int j = 0; j < NACC; ++j) acc[j] = zero + float(j + 1);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 16
    for (int j = 0; j < NACC; ++j) acc[j] = acc[j] * m + a;
  }
  vfloat s = zero;
#pragma GCC unroll 16
  for (int j = 0; j < NACC; ++j) s += acc[j];
  float total = 0;
  for (int i = 0; i < VF; ++i) total += s[i];
  *sink = total;
  return iterations * NACC * VF * 2;
}

}  // namespace

extern const FmaPeakKernel DS_ISA_CAT(fma_peak_, DS_ISA) = {fma_loop, DS_ISA_STR(DS_ISA)};

}  // namespace ds::cpu

// Function tables of the ISA-specific kernels. Each file in native/cpu/isa/ is compiled once per instruction
// set (generic, AVX2+FMA, AVX-512) and defines one table entry per set under a suffixed name; the active
// entry is chosen once, at first use, from ds::active_isa(). This header holds only plain declarations (no
// inline functions, no templates) so the ISA translation units may include it.
#pragma once
#include <cstdint>

namespace ds::cpu {

// GEMM micro-kernel: C[0:m, 0:n] = alpha * (Ap · Bp) + beta * C, with 1 <= m <= mr, 1 <= n <= nr.
// Ap is a packed micro-panel of A: kc steps of mr floats (row i of step k at ap[k * mr + i]); Bp a packed
// sliver of B: kc steps of nr floats. Both are zero-padded beyond m / n. beta == 0 never reads C.
typedef void (*GemmMicroKernelFn)(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int m, int n,
                                  float alpha, float beta);

struct GemmMicroKernel {
  int mr;               // rows of the register block
  int nr;               // columns of the register block (a multiple of the vector width)
  GemmMicroKernelFn fn;
  const char* isa;      // "generic", "avx2" or "avx512"
};

// Defined in native/cpu/isa/gemm_microkernel.cpp, one per instruction set.
extern const GemmMicroKernel gemm_microkernel_generic;
extern const GemmMicroKernel gemm_microkernel_avx2;
extern const GemmMicroKernel gemm_microkernel_avx512;

// The entry for ds::active_isa(), chosen once.
const GemmMicroKernel& gemm_microkernel();

}  // namespace ds::cpu

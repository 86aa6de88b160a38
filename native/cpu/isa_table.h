// Function tables of the ISA-specific kernels (GEMM micro-kernel, direct-convolution loops). Each file in
// native/cpu/isa/ is compiled once per instruction set (generic, AVX2+FMA, AVX-512) and defines one table
// entry per set under a suffixed name; the active entry is chosen once, at first use, from
// ds::active_isa(). This header holds only plain declarations (no inline functions, no templates) so the
// ISA translation units may include it.
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

// Direct convolution loops (native/cpu/isa/conv_direct.cpp), on "wide rows" (see native/cpu/conv.cpp):
//   taps: acc[q] += sum_t w[t] · src[off[t] + q] for q in [0, L), taps added in order t for every element.
//   dots: acc[t·16 + j] += sum over q in [0, L) with q mod 16 = j of g[q] · src[off[t] + q], for t in
//         [0, nt) (16 lane sums per tap, q ascending in each lane; L a multiple of 16).
typedef void (*ConvTapsFn)(int64_t L, int64_t nt, const float* w, const int64_t* off, const float* src, float* acc);
typedef void (*ConvDotsFn)(int64_t L, int64_t nt, const int64_t* off, const float* src, const float* g, float* acc);

struct ConvDirectKernels {
  ConvTapsFn taps;
  ConvDotsFn dots;
  const char* isa;
};

extern const ConvDirectKernels conv_direct_generic;
extern const ConvDirectKernels conv_direct_avx2;
extern const ConvDirectKernels conv_direct_avx512;

// The entry for ds::active_isa(), chosen once.
const ConvDirectKernels& conv_direct_kernels();

// The FMA peak loop (native/cpu/isa/fma_peak.cpp): runs `iterations` steps of independent register-resident
// multiply-adds and returns the floating-point operations done; `sink` receives a sum of the results.
typedef int64_t (*FmaPeakFn)(int64_t iterations, float* sink);

struct FmaPeakKernel {
  FmaPeakFn run;
  const char* isa;
};

extern const FmaPeakKernel fma_peak_generic;
extern const FmaPeakKernel fma_peak_avx2;
extern const FmaPeakKernel fma_peak_avx512;

// The entry for ds::active_isa(), chosen once.
const FmaPeakKernel& fma_peak_kernel();

// The XOR-popcount GEMM of binary networks (native/cpu/isa/xor_popcount.cpp): for i < m, j < n,
// c[i·ldc + j] = Σ_{k < kw} popcount(a[i·kw + k] ⊕ b[j·kw + k]); a and b hold rows of kw 64-bit words.
typedef void (*XorPopcountGemmFn)(int64_t m, int64_t n, int64_t kw, const uint64_t* a, const uint64_t* b, int32_t* c,
                                  int64_t ldc);

struct XorPopcountGemm {
  XorPopcountGemmFn fn;
  const char* isa;
};

extern const XorPopcountGemm xor_popcount_gemm_generic;
extern const XorPopcountGemm xor_popcount_gemm_avx2;
extern const XorPopcountGemm xor_popcount_gemm_avx512;

// The entry for ds::active_isa(), chosen once.
const XorPopcountGemm& xor_popcount_gemm();

}  // namespace ds::cpu

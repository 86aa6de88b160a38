#include "cpu/isa_table.h"

#include "core/cpu_features.h"

namespace ds::cpu {
namespace {

// The entry of a per-ISA table for ds::active_isa().
template <class Entry>
const Entry& pick(const Entry& generic, const Entry& avx2, const Entry& avx512) {
  switch (active_isa()) {
    case Isa::avx512: return avx512;
    case Isa::avx2: return avx2;
    case Isa::generic: break;
  }
  return generic;
}

}  // namespace

const GemmMicroKernel& gemm_microkernel() {
  static const GemmMicroKernel& k = pick(gemm_microkernel_generic, gemm_microkernel_avx2, gemm_microkernel_avx512);
  return k;
}

const ConvDirectKernels& conv_direct_kernels() {
  static const ConvDirectKernels& k = pick(conv_direct_generic, conv_direct_avx2, conv_direct_avx512);
  return k;
}

const FmaPeakKernel& fma_peak_kernel() {
  static const FmaPeakKernel& k = pick(fma_peak_generic, fma_peak_avx2, fma_peak_avx512);
  return k;
}

const XorPopcountGemm& xor_popcount_gemm() {
  static const XorPopcountGemm& k = pick(xor_popcount_gemm_generic, xor_popcount_gemm_avx2, xor_popcount_gemm_avx512);
  return k;
}

}  // namespace ds::cpu

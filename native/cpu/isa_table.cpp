#include "cpu/isa_table.h"

#include "core/cpu_features.h"

namespace ds::cpu {

const GemmMicroKernel& gemm_microkernel() {
  static const GemmMicroKernel* const k = [] {
    switch (active_isa()) {
      case Isa::avx512: return &gemm_microkernel_avx512;
      case Isa::avx2: return &gemm_microkernel_avx2;
      case Isa::generic: break;
    }
    return &gemm_microkernel_generic;
  }();
  return *k;
}

const ConvDirectKernels& conv_direct_kernels() {
  static const ConvDirectKernels* const k = [] {
    switch (active_isa()) {
      case Isa::avx512: return &conv_direct_avx512;
      case Isa::avx2: return &conv_direct_avx2;
      case Isa::generic: break;
    }
    return &conv_direct_generic;
  }();
  return *k;
}

}  // namespace ds::cpu

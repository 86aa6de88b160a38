// Instruction-set detection, done once at load. DEEPSCOPE_ISA=generic|avx2|avx512 forces a lower level (never
// a higher one than the CPU has), so the fallback kernels can be tested on any machine.
#pragma once

namespace ds {

enum class Isa : int { generic = 0, avx2 = 1, avx512 = 2 };
constexpr int kNumIsas = 3;

Isa detected_isa();  // what the CPU supports
Isa active_isa();    // what the kernels use: detected, lowered by DEEPSCOPE_ISA
const char* isa_name(Isa isa);

}  // namespace ds

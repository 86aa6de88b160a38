// Element types. Every type of this issue is four bytes wide, so data movement kernels are dtype-agnostic.
#pragma once
#include <cstddef>
#include <string>

namespace ds {

enum class DType : int { f32 = 0, i32 = 1 };

inline size_t dtype_size(DType) { return 4; }

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::i32: return "int32";
  }
  return "unknown";
}

}  // namespace ds

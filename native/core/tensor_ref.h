// What a kernel sees of a tensor: a raw pointer, dtype, shape and device. Plain data, no ownership (the
// task that runs the kernel keeps the storage alive).
#pragma once
#include <cstdint>
#include <string>

#include "core/device.h"
#include "core/dtype.h"

namespace ds {

constexpr int kMaxDims = 6;

struct TensorRef {
  void* data = nullptr;
  DType dtype = DType::f32;
  Device device;
  int ndim = 0;
  int64_t shape[kMaxDims] = {0, 0, 0, 0, 0, 0};
  bool defined = false;  // false for an optional input that was not given (a conv without bias)

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= shape[i];
    return n;
  }
  // Size of axis `i`; negative counts from the end.
  int64_t dim(int i) const { return shape[i < 0 ? i + ndim : i]; }
  template <class T>
  T* ptr() const { return static_cast<T*>(data); }
  float* f32() const { return static_cast<float*>(data); }
  int32_t* i32() const { return static_cast<int32_t*>(data); }

  std::string shape_str() const {
    std::string s = "[";
    for (int i = 0; i < ndim; ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
  }
};

}  // namespace ds

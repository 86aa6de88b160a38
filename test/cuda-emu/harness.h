// The harness of the emulated kernel checks (check*.cpp): buffers in host memory standing in for device
// memory, poisoned so that unwritten outputs show, random inputs, and the comparison of a CUDA output with
// the CPU's by normalised error.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/storage.h"
#include "core/tensor_ref.h"

namespace emu_check {

using namespace ds;

// "Device" memory of the emulated GPU: host memory, 256-byte aligned as cudaMalloc's.
struct HostAllocator final : Allocator {
  void* allocate(Device, size_t bytes) override { return std::aligned_alloc(256, (bytes + 255) & ~size_t(255)); }
  void release(Device, void* p, size_t) override { std::free(p); }
};

inline std::mt19937 rng(1234);
inline int failures = 0, checks = 0;

struct Buf {
  DType dt = DType::f32;
  std::vector<int64_t> shape;
  std::shared_ptr<void> mem;
  int64_t n = 0;

  Buf() = default;
  Buf(std::vector<int64_t> s, DType t = DType::f32) : dt(t), shape(std::move(s)) {
    n = 1;
    for (int64_t d : shape) n *= d;
    size_t bytes = (size_t(n) * 4 + 255) & ~size_t(255);
    mem.reset(std::aligned_alloc(256, bytes ? bytes : 256), std::free);
    // Poison: a quiet NaN with a payload / a large integer, so unwritten outputs show.
    for (int64_t i = 0; i < n; ++i) u()[i] = dt == DType::f32 ? 0x7fc0dead : 0x5eadbeef;
  }
  float* f() const { return static_cast<float*>(mem.get()); }
  int32_t* i() const { return static_cast<int32_t*>(mem.get()); }
  uint32_t* u() const { return static_cast<uint32_t*>(mem.get()); }
  TensorRef ref(DeviceType t) const {
    TensorRef r;
    r.data = mem.get();
    r.dtype = dt;
    r.device = Device{t, 0};
    r.ndim = int(shape.size());
    for (size_t d = 0; d < shape.size(); ++d) r.shape[d] = shape[d];
    r.defined = true;
    return r;
  }
  Buf clone() const {
    Buf b(shape, dt);
    std::memcpy(b.mem.get(), mem.get(), size_t(n) * 4);
    return b;
  }
};

inline TensorRef none() { return TensorRef(); }
inline TensorRef cpu(const Buf& b) { return b.ref(DeviceType::CPU); }
inline TensorRef gpu(const Buf& b) { return b.ref(DeviceType::CUDA); }
inline TensorRef cpu_opt(const Buf* b) { return b ? cpu(*b) : none(); }
inline TensorRef gpu_opt(const Buf* b) { return b ? gpu(*b) : none(); }

inline Buf uniform(std::vector<int64_t> shape, float lo = -1, float hi = 1) {
  Buf b(std::move(shape));
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < b.n; ++i) b.f()[i] = d(rng);
  return b;
}
inline Buf ints(std::vector<int64_t> shape, int lo, int hi) {
  Buf b(std::move(shape), DType::i32);
  std::uniform_int_distribution<int> d(lo, hi);
  for (int64_t i = 0; i < b.n; ++i) b.i()[i] = d(rng);
  return b;
}
// Floats from a few integers, so that ties and equalities occur.
inline Buf small_ints(std::vector<int64_t> shape, int lo, int hi) {
  Buf b = ints(std::move(shape), lo, hi);
  Buf f(b.shape);
  for (int64_t i = 0; i < b.n; ++i) f.f()[i] = float(b.i()[i]);
  return f;
}

// Compares a CUDA output with the CPU's: int32 exactly; float32 by normalised error (NaN and inf positions
// must agree).
inline void compare(const std::string& name, const Buf& want, const Buf& got, double tol) {
  ++checks;
  std::string why;
  if (want.n != got.n || want.dt != got.dt) why = "shape or dtype";
  double num = 0, den = 0, maxabs = 0;
  for (int64_t k = 0; k < want.n && why.empty(); ++k) {
    if (want.dt == DType::i32) {
      if (want.i()[k] != got.i()[k])
        why = "element " + std::to_string(k) + ": " + std::to_string(got.i()[k]) + " != " + std::to_string(want.i()[k]);
      continue;
    }
    double a = want.f()[k], b = got.f()[k];
    if (std::isnan(a) || std::isnan(b) || std::isinf(a) || std::isinf(b)) {
      bool same = (std::isnan(a) && std::isnan(b)) || a == b;
      if (!same) why = "element " + std::to_string(k) + ": " + std::to_string(b) + " != " + std::to_string(a);
      continue;
    }
    num += (a - b) * (a - b);
    den += a * a;
    maxabs = std::max(maxabs, std::fabs(a - b));
  }
  double err = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  if (why.empty() && !(err <= tol)) why = "normalised error " + std::to_string(err) + " > " + std::to_string(tol);
  if (!why.empty()) {
    ++failures;
    std::printf("FAIL  %s: %s\n", name.c_str(), why.c_str());
  } else if (std::getenv("VERBOSE")) {
    std::printf("ok    %s (err %.2e, max abs %.2e)\n", name.c_str(), err, maxabs);
  }
}

// The normalised error of got against want must exceed `floor`: proof that a lower-precision path ran.
inline void compare_at_least(const std::string& name, const Buf& want, const Buf& got, double floor) {
  ++checks;
  double num = 0, den = 0;
  for (int64_t k = 0; k < want.n; ++k) {
    const double a = want.f()[k], b = got.f()[k];
    num += (a - b) * (a - b);
    den += a * a;
  }
  const double err = den > 0 ? std::sqrt(num / den) : 0;
  if (!(err > floor)) {
    ++failures;
    std::printf("FAIL  %s: normalised error %.2e is not above %.0e\n", name.c_str(), err, floor);
  }
}

// Runs both; both must throw the same message, or neither.
inline void compare_errors(const std::string& name, const std::function<void()>& on_cpu, const std::function<void()>& on_gpu) {
  auto run = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const std::exception& e) {
      return std::string("threw: ") + e.what();
    }
    return "no error";
  };
  ++checks;
  std::string a = run(on_cpu), b = run(on_gpu);
  if (a != b) {
    ++failures;
    std::printf("FAIL  %s: cpu %s | cuda %s\n", name.c_str(), a.c_str(), b.c_str());
  } else if (std::getenv("VERBOSE")) {
    std::printf("ok    %s (%s)\n", name.c_str(), a.c_str());
  }
}

inline std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}


// The groups of check_matmul.cpp, check_conv.cpp, check_pool.cpp and check_norm.cpp.
void check_matmul();
void check_conv();
void check_pool();
void check_norm();

}  // namespace emu_check

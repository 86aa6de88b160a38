// CUDA creation kernels: fill, arange, eye, cast and the Philox random draws. All write a contiguous
// output through grid-stride loops over its n elements.
//
// Mirrors native/cpu/creation.cpp bit for bit: arange computes start + i * step in double; cast saturates
// float32 -> int32 as the CPU does; the random draws use the same counter-based Philox (core/philox.h,
// host and device) with the same mapping element i -> counter (offset + i / 4), lane i % 4 (normal:
// Box-Muller over the lane pairs (0, 1) and (2, 3), in double). One thread makes one Philox block of four
// elements. Every floating-point step that the CPU rounds separately is written with the _rn intrinsics,
// so nvcc cannot contract it into an FMA and change the last bit.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/philox.h"
#include "cuda/check.h"
#include "cuda/indexing.cuh"
#include "ops/creation.h"

namespace ds::cuda {
namespace {

template <class T>
__global__ void fill_kernel(T* out, int64_t n, T value) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = value;
}

// out[i] = start + i * step, computed in double and then converted (float: round to nearest; int32: truncate).
template <class T>
__global__ void arange_kernel(T* out, int64_t n, double start, double step) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = T(__dadd_rn(start, __dmul_rn(double(i), step)));
}

// out: [rows, cols]; ones where row == col.
template <class T>
__global__ void eye_kernel(T* out, int64_t n, int64_t cols) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = (i / cols == i % cols) ? T(1) : T(0);
}

// float32 -> int32 truncates toward zero; NaN becomes 0 and out-of-range values saturate (as the CPU).
__global__ void cast_f32_i32(const float* in, int32_t* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    float v = in[i];
    out[i] = v != v ? 0 : (v >= 2147483647.f ? INT32_MAX : (v <= -2147483648.f ? INT32_MIN : int32_t(v)));
  }
}

__global__ void cast_i32_f32(const int32_t* in, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = float(in[i]);  // round to nearest, as the CPU's conversion
}

enum class Draw { uniform, normal, bernoulli };

constexpr double kTwoPi = 6.283185307179586;

// Element i of the draw from lane l of its Philox block r.
template <Draw D, class T>
__device__ __forceinline__ T draw(const Philox4& r, int l, float a, float b) {
  if constexpr (D == Draw::uniform) {
    // a + (b - a) * (1 - u): u in (0, 1], so the draw is in [a, b). b here is the width b - a.
    return __fadd_rn(a, __fmul_rn(b, __fsub_rn(1.f, philox_uniform(r.v[l]))));
  } else if constexpr (D == Draw::normal) {
    int pair = l & ~1;
    double u1 = philox_uniform(r.v[pair]), u2 = philox_uniform(r.v[pair + 1]);
    double rad = sqrt(__dmul_rn(-2.0, log(u1)));
    double ang = __dmul_rn(kTwoPi, u2);
    double z = (l & 1) ? __dmul_rn(rad, sin(ang)) : __dmul_rn(rad, cos(ang));
    return __fadd_rn(a, __fmul_rn(b, float(z)));  // mean + sd * z
  } else {
    bool one = __fsub_rn(1.f, philox_uniform(r.v[l])) < a;  // p = a
    return one ? T(1) : T(0);
  }
}

template <Draw D, class T>
__global__ void random_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, float a, float b) {
  const int64_t blocks = (n + 3) / 4;
  for (int64_t blk = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; blk < blocks;
       blk += int64_t(gridDim.x) * blockDim.x) {
    Philox4 r = philox4x32(offset + uint64_t(blk), seed);
#pragma unroll
    for (int l = 0; l < 4; ++l) {
      int64_t i = blk * 4 + l;
      if (i < n) out[i] = draw<D, T>(r, l, a, b);
    }
  }
}

template <Draw D>
void random(const TensorRef& out, const RandomParams& p, const char* name) {
  int64_t n = out.numel();
  if (n == 0) return;
  // The CPU's float parameters: uniform (a, b - a), normal (mean, sd), bernoulli (p).
  float a = float(p.a), b = D == Draw::uniform ? float(p.b - p.a) : float(p.b);
  cudaStream_t s = stream(out.device.index);
  int grid = grid_for((n + 3) / 4);
  if constexpr (D == Draw::bernoulli) {
    if (out.dtype == DType::i32) {
      random_kernel<D, int32_t><<<grid, kThreads, 0, s>>>(out.i32(), n, p.seed, p.offset, a, b);
      check_launch(name);
      return;
    }
  }
  DS_CHECK(out.dtype == DType::f32, std::string(name) + ": dtype");
  random_kernel<D, float><<<grid, kThreads, 0, s>>>(out.f32(), n, p.seed, p.offset, a, b);
  check_launch(name);
}

}  // namespace

void fill(const TensorRef& out, double value) {
  int64_t n = out.numel();
  if (n == 0) return;
  cudaStream_t s = stream(out.device.index);
  if (out.dtype == DType::f32) fill_kernel<float><<<grid_for(n), kThreads, 0, s>>>(out.f32(), n, float(value));
  else fill_kernel<int32_t><<<grid_for(n), kThreads, 0, s>>>(out.i32(), n, int32_t(value));
  check_launch("fill");
}

void arange(const TensorRef& out, double start, double step) {
  int64_t n = out.numel();
  if (n == 0) return;
  cudaStream_t s = stream(out.device.index);
  if (out.dtype == DType::f32) arange_kernel<float><<<grid_for(n), kThreads, 0, s>>>(out.f32(), n, start, step);
  else arange_kernel<int32_t><<<grid_for(n), kThreads, 0, s>>>(out.i32(), n, start, step);
  check_launch("arange");
}

void eye(const TensorRef& out) {
  DS_CHECK(out.ndim == 2, "eye: output must be 2-D");
  int64_t n = out.numel();
  if (n == 0) return;
  cudaStream_t s = stream(out.device.index);
  if (out.dtype == DType::f32) eye_kernel<float><<<grid_for(n), kThreads, 0, s>>>(out.f32(), n, out.shape[1]);
  else eye_kernel<int32_t><<<grid_for(n), kThreads, 0, s>>>(out.i32(), n, out.shape[1]);
  check_launch("eye");
}

void cast(const TensorRef& in, const TensorRef& out) {
  DS_CHECK(in.numel() == out.numel(), "cast: element counts differ");
  int64_t n = in.numel();
  if (n == 0) return;
  cudaStream_t s = stream(out.device.index);
  if (in.dtype == DType::f32 && out.dtype == DType::i32) {
    cast_f32_i32<<<grid_for(n), kThreads, 0, s>>>(in.f32(), out.i32(), n);
    check_launch("cast");
  } else if (in.dtype == DType::i32 && out.dtype == DType::f32) {
    cast_i32_f32<<<grid_for(n), kThreads, 0, s>>>(in.i32(), out.f32(), n);
    check_launch("cast");
  } else {
    check(cudaMemcpyAsync(out.data, in.data, size_t(n) * dtype_size(in.dtype), cudaMemcpyDeviceToDevice, s), "cast");
  }
}

void random_uniform(const TensorRef& out, const RandomParams& p) { random<Draw::uniform>(out, p, "random_uniform"); }
void random_normal(const TensorRef& out, const RandomParams& p) { random<Draw::normal>(out, p, "random_normal"); }
void random_bernoulli(const TensorRef& out, const RandomParams& p) { random<Draw::bernoulli>(out, p, "random_bernoulli"); }

}  // namespace ds::cuda

// CUDA 2-D pooling over NCHW float32, seen as planes (n, c) of H x W in and OH x OW out (cpu/planes.h).
//
// Forward (max, average, adaptive max and average): one thread per output in a grid-stride loop, the
// window visited in the CPU's order with its rules (first maximum wins, NaN wins, -inf and index -1 for a
// window wholly in the padding; PyTorch's divisors), so results equal the CPU's bit for bit.
// Average backward (plain and adaptive): one thread per input element gathers gy / divisor from the
// outputs whose window holds it, in increasing output order: the same additions, in the same order, as the
// CPU's scatter, so again bit-identical and without atomics.
// Max backward reads only gy and the argmax indices (it also serves adaptive max pooling, whose windows
// are not described by the op's attributes), so it scatters: one thread per plane zeroes the plane's
// gradient and adds its outputs in order. Deterministic and exact; its parallelism is the plane count.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "cpu/planes.h"
#include "cuda/check.h"
#include "cuda/indexing.cuh"
#include "ops/pool.h"

namespace ds::cuda {
namespace {

struct Dims {
  int64_t planes;
  int H, W, OH, OW;
};

Dims dims(const cpu::PlaneDims& d) { return {d.planes, int(d.H), int(d.W), int(d.OH), int(d.OW)}; }

struct Win {
  int kh, kw, sh, sw, ph, pw, dh, dw, divisor;
  bool count_include_pad;
};

Win win(const Pool2dParams& p) {
  return {int(p.kh), int(p.kw), int(p.sh), int(p.sw), int(p.ph), int(p.pw), int(p.dh), int(p.dw), int(p.divisor),
          p.count_include_pad};
}

// The clipped average window of output (oh, ow) and its divisor (cpu/pool.cpp's avg_window).
struct AvgWin {
  int h0, h1, w0, w1;
  float div;
};
__device__ __forceinline__ AvgWin avg_window(int oh, int ow, int H, int W, const Win& p) {
  int h0 = oh * p.sh - p.ph, w0 = ow * p.sw - p.pw;
  int h1 = min(h0 + p.kh, H + p.ph), w1 = min(w0 + p.kw, W + p.pw);
  const int pool_size = (h1 - h0) * (w1 - w0);
  h0 = max(h0, 0);
  w0 = max(w0, 0);
  h1 = min(h1, H);
  w1 = min(w1, W);
  const int n = p.divisor > 0 ? p.divisor : (p.count_include_pad ? pool_size : (h1 - h0) * (w1 - w0));
  return {h0, h1, w0, w1, float(n)};
}

__device__ __forceinline__ int a_start(int i, int out, int in) { return int(int64_t(i) * in / out); }
__device__ __forceinline__ int a_end(int i, int out, int in) { return int((int64_t(i + 1) * in + out - 1) / out); }

__device__ __forceinline__ bool wins(float v, float best, bool first) { return first || v > best || isnan(v); }

__global__ void max_pool_kernel(const float* __restrict__ x, float* __restrict__ y, int32_t* __restrict__ idx, Dims d,
                                Win p) {
  const int64_t n = d.planes * d.OH * d.OW, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < n; o += stride) {
    const int ow = int(o % d.OW), oh = int(o / d.OW % d.OH);
    const float* xp = x + o / (int64_t(d.OH) * d.OW) * d.H * d.W;
    const int hs = oh * p.sh - p.ph, ws = ow * p.sw - p.pw;
    float best = -INFINITY;
    int bi = -1;
    for (int i = 0; i < p.kh; ++i) {
      const int ih = hs + i * p.dh;
      if (ih < 0 || ih >= d.H) continue;
      for (int j = 0; j < p.kw; ++j) {
        const int iw = ws + j * p.dw;
        if (iw < 0 || iw >= d.W) continue;
        const float v = xp[ih * d.W + iw];
        if (wins(v, best, bi < 0)) best = v, bi = ih * d.W + iw;
      }
    }
    y[o] = best;
    idx[o] = bi;
  }
}

__global__ void adaptive_max_kernel(const float* __restrict__ x, float* __restrict__ y, int32_t* __restrict__ idx, Dims d) {
  const int64_t n = d.planes * d.OH * d.OW, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < n; o += stride) {
    const int ow = int(o % d.OW), oh = int(o / d.OW % d.OH);
    const float* xp = x + o / (int64_t(d.OH) * d.OW) * d.H * d.W;
    const int h0 = a_start(oh, d.OH, d.H), h1 = a_end(oh, d.OH, d.H), w0 = a_start(ow, d.OW, d.W), w1 = a_end(ow, d.OW, d.W);
    float best = xp[h0 * d.W + w0];
    int bi = h0 * d.W + w0;
    for (int ih = h0; ih < h1; ++ih)
      for (int iw = w0; iw < w1; ++iw) {
        const float v = xp[ih * d.W + iw];
        if (wins(v, best, false)) best = v, bi = ih * d.W + iw;
      }
    y[o] = best;
    idx[o] = bi;
  }
}

__global__ void max_pool_backward_kernel(const float* __restrict__ gy, const int32_t* __restrict__ idx,
                                         float* __restrict__ gx, Dims d) {
  const int64_t HW = int64_t(d.H) * d.W, OHW = int64_t(d.OH) * d.OW, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t plane = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; plane < d.planes; plane += stride) {
    float* op = gx + plane * HW;
    for (int64_t k = 0; k < HW; ++k) op[k] = 0.f;
    const float* gp = gy + plane * OHW;
    const int32_t* ip = idx + plane * OHW;
    for (int64_t o = 0; o < OHW; ++o) {
      const int64_t k = ip[o];
      if (k >= 0 && k < HW) op[k] += gp[o];
    }
  }
}

// The window of output (oh, ow) and its divisor: adaptive, or from p.
template <bool kAdaptive>
__device__ __forceinline__ AvgWin window(int oh, int ow, const Dims& d, const Win& p) {
  if (!kAdaptive) return avg_window(oh, ow, d.H, d.W, p);
  const int h0 = a_start(oh, d.OH, d.H), h1 = a_end(oh, d.OH, d.H), w0 = a_start(ow, d.OW, d.W), w1 = a_end(ow, d.OW, d.W);
  return {h0, h1, w0, w1, float((h1 - h0) * (w1 - w0))};
}

// Average pooling, plain (adaptive = false, windows from p) or adaptive.
template <bool kAdaptive>
__global__ void avg_pool_kernel(const float* __restrict__ x, float* __restrict__ y, Dims d, Win p) {
  const int64_t n = d.planes * d.OH * d.OW, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < n; o += stride) {
    const int ow = int(o % d.OW), oh = int(o / d.OW % d.OH);
    const float* xp = x + o / (int64_t(d.OH) * d.OW) * d.H * d.W;
    const AvgWin w = window<kAdaptive>(oh, ow, d, p);
    float s = 0.f;
    for (int ih = w.h0; ih < w.h1; ++ih)
      for (int iw = w.w0; iw < w.w1; ++iw) s += xp[ih * d.W + iw];
    y[o] = (!kAdaptive && (w.h0 >= w.h1 || w.w0 >= w.w1)) ? 0.f : s / w.div;
  }
}

// Candidate outputs along one axis whose window may hold input i: [lo, hi], checked exactly by the caller.
__device__ __forceinline__ void candidates(int i, int k, int s, int pad, int out, int& lo, int& hi) {
  const int first = i + pad - k + 1;  // smallest window start that still reaches i
  lo = first <= 0 ? 0 : (first + s - 1) / s;
  hi = min(out - 1, (i + pad) / s);
}

template <bool kAdaptive>
__global__ void avg_pool_backward_kernel(const float* __restrict__ gy, float* __restrict__ gx, Dims d, Win p) {
  const int64_t n = d.planes * d.H * d.W, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += stride) {
    const int iw = int(e % d.W), ih = int(e / d.W % d.H);
    const float* gp = gy + e / (int64_t(d.H) * d.W) * d.OH * d.OW;
    int oh0, oh1, ow0, ow1;
    if (kAdaptive) {
      oh0 = max(0, int(int64_t(ih) * d.OH / d.H) - 1), oh1 = min(d.OH - 1, int(int64_t(ih + 1) * d.OH / d.H) + 1);
      ow0 = max(0, int(int64_t(iw) * d.OW / d.W) - 1), ow1 = min(d.OW - 1, int(int64_t(iw + 1) * d.OW / d.W) + 1);
    } else {
      candidates(ih, p.kh, p.sh, p.ph, d.OH, oh0, oh1);
      candidates(iw, p.kw, p.sw, p.pw, d.OW, ow0, ow1);
    }
    float s = 0.f;
    for (int oh = oh0; oh <= oh1; ++oh)
      for (int ow = ow0; ow <= ow1; ++ow) {
        const AvgWin w = window<kAdaptive>(oh, ow, d, p);
        if (ih >= w.h0 && ih < w.h1 && iw >= w.w0 && iw < w.w1) s += gp[oh * d.OW + ow] / w.div;
      }
    gx[e] = s;
  }
}

// The planes of `in` -> `out` (checked as on the CPU), in 32-bit plane coordinates.
Dims checked(const TensorRef& in, const TensorRef& out, const char* op) {
  const cpu::PlaneDims d = cpu::plane_dims(in, out, op);
  DS_CHECK(d.H * d.W <= INT32_MAX && d.OH * d.OW <= INT32_MAX, std::string(op) + ": plane too large");
  return dims(d);
}

// One grid-stride launch over n items (nothing when n == 0) on `device`'s stream.
template <class Kernel, class... Args>
void launch(int64_t n, int threads, int device, const char* op, Kernel kernel, Args... args) {
  if (n == 0) return;
  kernel<<<grid_for(n, threads), threads, 0, stream(device)>>>(args...);
  check_launch(op);
}

}  // namespace

void max_pool2d(const TensorRef& x, const TensorRef& y, const TensorRef& idx, const Pool2dParams& p) {
  const Dims d = checked(x, y, "max_pool2d");
  DS_CHECK(idx.dtype == DType::i32 && idx.numel() == y.numel(), "max_pool2d: indices shape");
  launch(y.numel(), kThreads, y.device.index, "max_pool2d", max_pool_kernel, x.f32(), y.f32(), idx.i32(), d, win(p));
}

void max_pool2d_backward(const TensorRef& gy, const TensorRef& idx, const TensorRef& gx) {
  const Dims d = checked(gx, gy, "max_pool2d_backward");
  DS_CHECK(idx.numel() == gy.numel(), "max_pool2d_backward: indices shape");
  // Few threads per block: one thread per plane, and there may be few planes.
  launch(d.planes, 64, gx.device.index, "max_pool2d_backward", max_pool_backward_kernel, gy.f32(), idx.i32(), gx.f32(), d);
}

void avg_pool2d(const TensorRef& x, const TensorRef& y, const Pool2dParams& p) {
  const Dims d = checked(x, y, "avg_pool2d");
  launch(y.numel(), kThreads, y.device.index, "avg_pool2d", avg_pool_kernel<false>, x.f32(), y.f32(), d, win(p));
}

void avg_pool2d_backward(const TensorRef& gy, const TensorRef& gx, const Pool2dParams& p) {
  const Dims d = checked(gx, gy, "avg_pool2d_backward");
  launch(gx.numel(), kThreads, gx.device.index, "avg_pool2d_backward", avg_pool_backward_kernel<false>, gy.f32(), gx.f32(),
         d, win(p));
}

void adaptive_avg_pool2d(const TensorRef& x, const TensorRef& y) {
  const Dims d = checked(x, y, "adaptive_avg_pool2d");
  DS_CHECK(d.OH > 0 && d.OW > 0, "adaptive_avg_pool2d: empty output");
  launch(y.numel(), kThreads, y.device.index, "adaptive_avg_pool2d", avg_pool_kernel<true>, x.f32(), y.f32(), d, Win{});
}

void adaptive_avg_pool2d_backward(const TensorRef& gy, const TensorRef& gx) {
  const Dims d = checked(gx, gy, "adaptive_avg_pool2d_backward");
  launch(gx.numel(), kThreads, gx.device.index, "adaptive_avg_pool2d_backward", avg_pool_backward_kernel<true>, gy.f32(),
         gx.f32(), d, Win{});
}

void adaptive_max_pool2d(const TensorRef& x, const TensorRef& y, const TensorRef& idx) {
  const Dims d = checked(x, y, "adaptive_max_pool2d");
  DS_CHECK(d.OH > 0 && d.OW > 0 && d.H > 0 && d.W > 0, "adaptive_max_pool2d: empty input or output");
  DS_CHECK(idx.dtype == DType::i32 && idx.numel() == y.numel(), "adaptive_max_pool2d: indices shape");
  launch(y.numel(), kThreads, y.device.index, "adaptive_max_pool2d", adaptive_max_kernel, x.f32(), y.f32(), idx.i32(), d);
}

}  // namespace ds::cuda

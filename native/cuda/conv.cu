// CUDA 2-D convolution (NCHW float32) as implicit GEMMs on the tiled GEMM of cuda/gemm.cuh: the image
// operand is gathered on the fly by the tile loads (no im2col buffer), one GEMM batch entry per group.
// Shapes: x [N, Cx, H, W], w [Cy, Cx/G, kh, kw], y [N, Cy, OH, OW]; per group Cxg = Cx/G, Cyg = Cy/G,
// Kg = Cxg·kh·kw, P = OH·OW.
//
//  forward          y_g [Cyg, N·P]  = w_g [Cyg, Kg] · col(x)_g [Kg, N·P]            (+ bias[Cy] epilogue)
//                   col(x)[(ci, ki, kj), (n, oh, ow)] = x[n, ci, oh·sh - pt + ki·dh, ow·sw - pl + kj·dw]
//  backward data    dx_g [Cxg, N·H·W] = w_gᵀ [Cxg, Cyg·kh·kw] · G_g [Cyg·kh·kw, N·H·W] (+ bias[Cx]:
//                   convTranspose2d's forward), G[(co, ki, kj), (n, ih, iw)] = gy[n, co, oh, ow] where
//                   ih = oh·sh - pt + ki·dh (and likewise iw) has a solution, else 0
//  backward weight  dw_g [Cyg, Kg] = gy_g [Cyg, N·P] · col(x)_gᵀ [N·P, Kg]; K = N·P is long and M·N small,
//                   so the GEMM splits K across blocks and sums the chunks in order (deterministic)
//
// Index math is 32-bit (sizes checked); element offsets are 64-bit. Backward data visits every (ki, kj)
// tap for each input pixel, zeros included when the stride does not divide: simple, and as exact as the
// others; a per-phase decomposition would skip the zeros of strided layers.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "cuda/gemm.cuh"
#include "ops/conv.h"

namespace ds::cuda {
namespace {

// The geometry the gathers need, in 32-bit.
struct Geo {
  int N, Cx, H, W, Cy, OH, OW, kh, kw, Cxg, Cyg, sh, sw, pt, pl, dh, dw;
  __device__ __forceinline__ int P() const { return OH * OW; }
  __device__ __forceinline__ int HW() const { return H * W; }
  __device__ __forceinline__ int taps() const { return kh * kw; }
};

Geo make_geo(const Conv2dDims& d, const Conv2dParams& p, const char* op) {
  const int64_t big = INT32_MAX;
  DS_CHECK(d.N * d.Cx * d.H * d.W <= big && d.N * d.Cy * d.OH * d.OW <= big && d.Cy * d.Cxg * d.kh * d.kw <= big,
           std::string(op) + ": tensors over 2^31 - 1 elements are not supported on cuda");
  return {int(d.N), int(d.Cx), int(d.H), int(d.W), int(d.Cy), int(d.OH), int(d.OW), int(d.kh), int(d.kw), int(d.Cxg),
          int(d.Cyg), int(p.stride_h), int(p.stride_w), int(p.pad_top), int(p.pad_left), int(p.dil_h), int(p.dil_w)};
}

// x[n, c0 + ci, ih, iw] for k = (ci, ki, kj) and pixel q = (oh, ow) of sample n; 0 in the padding.
__device__ __forceinline__ float gather_x(const Geo& g, const float* __restrict__ x, int c0, int k, int n, int q) {
  const int ci = k / g.taps(), t = k % g.taps();
  const int ih = q / g.OW * g.sh - g.pt + t / g.kw * g.dh, iw = q % g.OW * g.sw - g.pl + t % g.kw * g.dw;
  if (unsigned(ih) >= unsigned(g.H) || unsigned(iw) >= unsigned(g.W)) return 0.f;
  return x[(int64_t(n) * g.Cx + c0 + ci) * g.HW() + ih * g.W + iw];
}

struct Forward {
  static constexpr bool kAContigM = false, kBContigN = true;
  int M, N, K, batch;
  Geo g;
  const float* x;
  const float* w;
  const float* bias;
  float* y;

  struct Operands {
    Geo g;
    const float* x;
    const float* w;
    int K, z;
    __device__ __forceinline__ float a(int m, int k) const { return w[(int64_t(z) * g.Cyg + m) * K + k]; }
    __device__ __forceinline__ float b(int k, int j) const { return gather_x(g, x, z * g.Cxg, k, j / g.P(), j % g.P()); }
  };
  struct Output {
    Geo g;
    const float* bias;
    float* y;
    int z;
    __device__ __forceinline__ void store(int m, int j, float v) const {
      const int co = z * g.Cyg + m, n = j / g.P();
      y[(int64_t(n) * g.Cy + co) * g.P() + j % g.P()] = bias ? v + bias[co] : v;
    }
  };
  __device__ __forceinline__ Operands operands(int z) const { return {g, x, w, K, z}; }
  __device__ __forceinline__ Output output(int z) const { return {g, bias, y, z}; }
};

struct BackwardData {
  static constexpr bool kAContigM = false, kBContigN = true;
  int M, N, K, batch;
  Geo g;
  const float* gy;
  const float* w;
  const float* bias;
  float* dx;

  struct Operands {
    Geo g;
    const float* gy;
    const float* w;
    int z;
    // wᵀ: row ci, column (co, ki, kj).
    __device__ __forceinline__ float a(int ci, int k) const {
      const int co = k / g.taps(), t = k % g.taps();
      return w[((int64_t(z) * g.Cyg + co) * g.Cxg + ci) * g.taps() + t];
    }
    __device__ __forceinline__ float b(int k, int j) const {
      const int co = k / g.taps(), t = k % g.taps(), n = j / g.HW(), hw = j % g.HW();
      const int oh_s = hw / g.W + g.pt - t / g.kw * g.dh, ow_s = hw % g.W + g.pl - t % g.kw * g.dw;
      if (oh_s < 0 || ow_s < 0 || oh_s % g.sh || ow_s % g.sw) return 0.f;
      const int oh = oh_s / g.sh, ow = ow_s / g.sw;
      if (oh >= g.OH || ow >= g.OW) return 0.f;
      return gy[((int64_t(n) * g.Cy + z * g.Cyg + co) * g.OH + oh) * g.OW + ow];
    }
  };
  struct Output {
    Geo g;
    const float* bias;
    float* dx;
    int z;
    __device__ __forceinline__ void store(int ci, int j, float v) const {
      const int c = z * g.Cxg + ci, n = j / g.HW();
      dx[(int64_t(n) * g.Cx + c) * g.HW() + j % g.HW()] = bias ? v + bias[c] : v;
    }
  };
  __device__ __forceinline__ Operands operands(int z) const { return {g, gy, w, z}; }
  __device__ __forceinline__ Output output(int z) const { return {g, bias, dx, z}; }
};

struct BackwardWeight {
  static constexpr bool kAContigM = false, kBContigN = false;
  int M, N, K, batch;
  Geo g;
  const float* x;
  const float* gy;
  float* dw;

  struct Operands {
    Geo g;
    const float* x;
    const float* gy;
    int z;
    // gy_g: row co, column (n, oh, ow).
    __device__ __forceinline__ float a(int co, int k) const {
      return gy[(int64_t(k / g.P()) * g.Cy + z * g.Cyg + co) * g.P() + k % g.P()];
    }
    // col(x)ᵀ: row (n, oh, ow), column (ci, ki, kj).
    __device__ __forceinline__ float b(int k, int j) const { return gather_x(g, x, z * g.Cxg, j, k / g.P(), k % g.P()); }
  };
  struct Output {
    float* dw;
    int64_t base;
    int N;
    __device__ __forceinline__ void store(int co, int j, float v) const { dw[base + int64_t(co) * N + j] = v; }
  };
  __device__ __forceinline__ Operands operands(int z) const { return {g, x, gy, z}; }
  __device__ __forceinline__ Output output(int z) const { return {dw, int64_t(z) * g.Cyg * N, N}; }
};

}  // namespace

void conv2d_forward(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& y, const Conv2dParams& prm) {
  const Conv2dDims d(x, y, w, prm, "conv2d");
  if (bias.defined) DS_CHECK(bias.numel() == d.Cy, "conv2d: bias size");
  if (d.N == 0 || d.Cy == 0 || d.OH * d.OW == 0) return;
  const Geo g = make_geo(d, prm, "conv2d");
  Forward p{g.Cyg, g.N * g.OH * g.OW, g.Cxg * g.kh * g.kw, int(d.G), g, x.f32(), w.f32(),
            bias.defined ? bias.f32() : nullptr, y.f32()};
  gemm::run(p, y.device.index, "conv2d");
}

void conv2d_backward_data(const TensorRef& gy, const TensorRef& w, const TensorRef& bias, const TensorRef& dx,
                          const Conv2dParams& prm) {
  const Conv2dDims d(dx, gy, w, prm, "conv2d_backward_data");
  if (bias.defined) DS_CHECK(bias.numel() == d.Cx, "conv2d_backward_data: bias size");
  if (d.N == 0 || d.Cx == 0 || d.H * d.W == 0) return;
  const Geo g = make_geo(d, prm, "conv2d_backward_data");
  BackwardData p{g.Cxg, g.N * g.H * g.W, g.Cyg * g.kh * g.kw, int(d.G), g, gy.f32(), w.f32(),
                 bias.defined ? bias.f32() : nullptr, dx.f32()};
  gemm::run(p, dx.device.index, "conv2d_backward_data");
}

void conv2d_backward_weight(const TensorRef& x, const TensorRef& gy, const TensorRef& dw, const Conv2dParams& prm) {
  const Conv2dDims d(x, gy, dw, prm, "conv2d_backward_weight");
  if (d.Cy * d.Cxg * d.kh * d.kw == 0) return;
  const Geo g = make_geo(d, prm, "conv2d_backward_weight");
  BackwardWeight p{g.Cyg, g.Cxg * g.kh * g.kw, g.N * g.OH * g.OW, int(d.G), g, x.f32(), gy.f32(), dw.f32()};
  gemm::run(p, dw.device.index, "conv2d_backward_weight");
}

}  // namespace ds::cuda

// CUDA kernels of binary networks (layouts in ops/binary.h): the sign and its straight-through gradient,
// bit packing along channels, and binary convolution / GEMM by XOR + __popcll.
//
// One thread per output element in grid-stride loops. binary_conv2d: threads of a warp share the filter
// (output width fastest), so its words are broadcast reads; each thread walks its window's taps, skipping
// those in the zero padding (they contribute nothing), and counts mismatches over the tap's words:
// dot = taps_inside · C − 2·popcount. Bits past C are 0 in both operands, so they never count. The
// results are integers, scaled by α and K with the CPU's rounding (two separate products), hence equal to
// the CPU kernels bit for bit. The 1-bit tensor-core path (bmma) is not implemented.
#include <cstdint>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/indexing.cuh"
#include "ops/binary.h"

namespace ds::cuda {
namespace {

__global__ void binarize_kernel(const float* x, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float v = x[i];
    y[i] = v >= 0.f ? 1.f : (v < 0.f ? -1.f : v);
  }
}

__global__ void binarize_backward_kernel(const float* x, const float* gy, float* gx, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    gx[i] = fabsf(x[i]) <= 1.f ? gy[i] : 0.f;
}

// Thread t = ((n·words + wi)·P + p): pixel fastest, so the channel-plane reads are coalesced.
__global__ void bitpack_kernel(const float* x, uint64_t* out, int64_t N, int64_t C, int64_t P, int64_t words) {
  const int64_t total = N * words * P;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = t % P, wi = (t / P) % words, n = t / (P * words);
    const int64_t c0 = wi * 64, c1 = C < c0 + 64 ? C : c0 + 64;
    uint64_t word = 0;
    for (int64_t c = c0; c < c1; ++c)
      if (x[(n * C + c) * P + p] >= 0.f) word |= uint64_t(1) << (c - c0);
    out[(n * P + p) * words + wi] = word;
  }
}

__global__ void bitunpack_kernel(const uint64_t* in, float* y, int64_t N, int64_t C, int64_t P, int64_t words) {
  const int64_t total = N * C * P;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i % P, c = (i / P) % C, n = i / (P * C);
    y[i] = (in[(n * P + p) * words + c / 64] >> (c % 64)) & 1 ? 1.f : -1.f;
  }
}

struct ConvDims {
  int64_t N, H, W, O, KH, KW, OH, OW, words, C;
  int64_t sh, sw, ph, pw, dh, dw;
};

__global__ void binary_conv2d_kernel(const uint64_t* x, const uint64_t* w, const float* alpha, const float* scale,
                                     float* y, ConvDims d) {
  const int64_t total = d.N * d.O * d.OH * d.OW;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ow = i % d.OW, oh = (i / d.OW) % d.OH, o = (i / (d.OW * d.OH)) % d.O, n = i / (d.OW * d.OH * d.O);
    int64_t mismatches = 0, inside = 0;
    for (int64_t ki = 0; ki < d.KH; ++ki) {
      const int64_t ih = oh * d.sh - d.ph + ki * d.dh;
      if (ih < 0 || ih >= d.H) continue;
      for (int64_t kj = 0; kj < d.KW; ++kj) {
        const int64_t iw = ow * d.sw - d.pw + kj * d.dw;
        if (iw < 0 || iw >= d.W) continue;
        const uint64_t* xs = x + ((n * d.H + ih) * d.W + iw) * d.words;
        const uint64_t* ws = w + ((o * d.KH + ki) * d.KW + kj) * d.words;
        for (int64_t k = 0; k < d.words; ++k) mismatches += __popcll(xs[k] ^ ws[k]);
        ++inside;
      }
    }
    const float dot = float(inside * d.C - 2 * mismatches);
    const float a = alpha ? alpha[o] : 1.f;
    const float s = scale ? scale[(n * d.OH + oh) * d.OW + ow] : 1.f;
    y[i] = __fmul_rn(__fmul_rn(dot, a), s);
  }
}

__global__ void binary_matmul_kernel(const uint64_t* a, const uint64_t* b, const float* alpha, const float* scale,
                                     float* y, int64_t M, int64_t N, int64_t words, int64_t bits) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < M * N; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = t / N, j = t % N;
    int64_t mismatches = 0;
    for (int64_t k = 0; k < words; ++k) mismatches += __popcll(a[i * words + k] ^ b[j * words + k]);
    const float dot = float(bits - 2 * mismatches);
    y[t] = __fmul_rn(__fmul_rn(dot, alpha ? alpha[j] : 1.f), scale ? scale[i] : 1.f);
  }
}

const uint64_t* words_of(const TensorRef& t) { return static_cast<const uint64_t*>(t.data); }
const float* opt_f32(const TensorRef& t) { return t.defined ? t.f32() : nullptr; }

}  // namespace

void binarize(const TensorRef& x, const TensorRef& y) {
  const int64_t n = x.numel();
  if (n == 0) return;
  binarize_kernel<<<grid_for(n), kThreads, 0, stream(x.device.index)>>>(x.f32(), y.f32(), n);
  check_launch("binarize");
}

void binarize_backward(const TensorRef& x, const TensorRef& gy, const TensorRef& gx) {
  const int64_t n = x.numel();
  if (n == 0) return;
  binarize_backward_kernel<<<grid_for(n), kThreads, 0, stream(x.device.index)>>>(x.f32(), gy.f32(), gx.f32(), n);
  check_launch("binarize_backward");
}

void bitpack(const TensorRef& x, const TensorRef& packed) {
  DS_CHECK(x.ndim == 4 && packed.ndim == 4 && packed.shape[3] % 2 == 0, "bitpack: shapes");
  const int64_t N = x.shape[0], C = x.shape[1], P = x.shape[2] * x.shape[3], words = packed.shape[3] / 2;
  DS_CHECK(words == (C + 63) / 64 && packed.shape[1] * packed.shape[2] == P, "bitpack: packed shape");
  const int64_t n = N * words * P;
  if (n == 0) return;
  bitpack_kernel<<<grid_for(n), kThreads, 0, stream(x.device.index)>>>(x.f32(), static_cast<uint64_t*>(packed.data), N,
                                                                        C, P, words);
  check_launch("bitpack");
}

void bitunpack(const TensorRef& packed, const TensorRef& y) {
  DS_CHECK(y.ndim == 4 && packed.ndim == 4 && packed.shape[3] % 2 == 0, "bitunpack: shapes");
  const int64_t N = y.shape[0], C = y.shape[1], P = y.shape[2] * y.shape[3], words = packed.shape[3] / 2;
  DS_CHECK(words == (C + 63) / 64 && packed.shape[1] * packed.shape[2] == P, "bitunpack: packed shape");
  const int64_t n = y.numel();
  if (n == 0) return;
  bitunpack_kernel<<<grid_for(n), kThreads, 0, stream(y.device.index)>>>(words_of(packed), y.f32(), N, C, P, words);
  check_launch("bitunpack");
}

void binary_conv2d(const TensorRef& x, const TensorRef& w, const TensorRef& alpha, const TensorRef& scale,
                   const TensorRef& y, const BinaryConv2dParams& p) {
  DS_CHECK(x.ndim == 4 && w.ndim == 4 && y.ndim == 4 && x.shape[3] == w.shape[3] && x.shape[3] % 2 == 0,
           "binary_conv2d: shapes");
  ConvDims d{x.shape[0], x.shape[1], x.shape[2], w.shape[0], w.shape[1], w.shape[2], y.shape[2], y.shape[3],
             x.shape[3] / 2, p.channels, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw};
  DS_CHECK(d.words == (d.C + 63) / 64 && y.shape[0] == d.N && y.shape[1] == d.O, "binary_conv2d: words / output");
  DS_CHECK(!alpha.defined || alpha.numel() == d.O, "binary_conv2d: alpha size");
  DS_CHECK(!scale.defined || scale.numel() == d.N * d.OH * d.OW, "binary_conv2d: scale size");
  const int64_t n = y.numel();
  if (n == 0) return;
  binary_conv2d_kernel<<<grid_for(n), kThreads, 0, stream(y.device.index)>>>(words_of(x), words_of(w), opt_f32(alpha),
                                                                             opt_f32(scale), y.f32(), d);
  check_launch("binary_conv2d");
}

void binary_matmul(const TensorRef& a, const TensorRef& b, const TensorRef& alpha, const TensorRef& scale,
                   const TensorRef& y, int64_t bits) {
  DS_CHECK(a.ndim == 4 && b.ndim == 4 && a.shape[3] == b.shape[3] && a.shape[3] % 2 == 0, "binary_matmul: shapes");
  const int64_t M = a.shape[0], N = b.shape[0], words = a.shape[3] / 2;
  DS_CHECK(words == (bits + 63) / 64 && y.numel() == M * N, "binary_matmul: words / output");
  DS_CHECK(!alpha.defined || alpha.numel() == N, "binary_matmul: alpha size");
  DS_CHECK(!scale.defined || scale.numel() == M, "binary_matmul: scale size");
  if (M * N == 0) return;
  binary_matmul_kernel<<<grid_for(M * N), kThreads, 0, stream(y.device.index)>>>(
      words_of(a), words_of(b), opt_f32(alpha), opt_f32(scale), y.f32(), M, N, words, bits);
  check_launch("binary_matmul");
}

}  // namespace ds::cuda

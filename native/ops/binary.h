// Binary networks (XNOR-Net, Binary-Weight-Networks): the sign with its straight-through gradient, bit
// packing along channels, and convolution / GEMM by XNOR + popcount.
//
// Packed layout: a float tensor [N, C, H, W] packs into int32 [N, H, W, 2·words], words = ceil(C / 64):
// each pixel holds its C channel signs in `words` little-endian 64-bit words (two int32 each), channel c at
// bit c mod 64 of word c / 64, bit 1 for +1 (x >= 0) and 0 for −1. Bits past C are 0 in every packed tensor,
// so an XOR of two packed rows never sets them: the ±1 dot product of C channels is C − 2·popcount(a ⊕ b),
// exact whatever C is. A 2-D [M, K] matrix packs as [M, 1, 1, 2·ceil(K / 64)] (K plays the channels).
#pragma once
#include <cstdint>

#include "core/attrs.h"
#include "core/tensor_ref.h"

namespace ds {

struct BinaryConv2dParams {
  int64_t channels = 0;    // C: valid bits per pixel
  int64_t sh = 1, sw = 1;  // stride
  int64_t ph = 0, pw = 0;  // top / left zero padding (bottom / right follow from the output size)
  int64_t dh = 1, dw = 1;  // dilation
  static BinaryConv2dParams from(const Attrs& a);
};

namespace cpu {
// y = x >= 0 ? +1 : −1 (NaN stays NaN); float32.
void binarize(const TensorRef& x, const TensorRef& y);
// Straight-through estimator: gx = gy where |x| <= 1, else 0.
void binarize_backward(const TensorRef& x, const TensorRef& gy, const TensorRef& gx);
// x float32 [N, C, H, W] → packed int32 [N, H, W, 2·words] (NaN packs as −1).
void bitpack(const TensorRef& x, const TensorRef& packed);
// packed [N, H, W, 2·words] → ±1 float32 [N, C, H, W].
void bitunpack(const TensorRef& packed, const TensorRef& y);
// y[n, o, oh, ow] = α[o] · K[n, 0, oh, ow] · Σ over taps inside the input of (±1 input)·(±1 weight), from
// packed input x [N, H, W, 2·words] and packed weight w [O, kH, kW, 2·words]; α [O] and K [N, 1, OH, OW]
// are optional (1 when undefined). Zero padding contributes nothing: neither a +1 nor a −1 match.
void binary_conv2d(const TensorRef& x, const TensorRef& w, const TensorRef& alpha, const TensorRef& scale,
                   const TensorRef& y, const BinaryConv2dParams& p);
// y[i, j] = α[j] · s[i] · (bits − 2·popcount(a_i ⊕ b_j)) from packed a [M, 1, 1, 2·words] and b [N, 1, 1,
// 2·words]; α [N] and s [M] optional.
void binary_matmul(const TensorRef& a, const TensorRef& b, const TensorRef& alpha, const TensorRef& scale,
                   const TensorRef& y, int64_t bits);
}  // namespace cpu

namespace cuda {
void binarize(const TensorRef& x, const TensorRef& y);
void binarize_backward(const TensorRef& x, const TensorRef& gy, const TensorRef& gx);
void bitpack(const TensorRef& x, const TensorRef& packed);
void bitunpack(const TensorRef& packed, const TensorRef& y);
void binary_conv2d(const TensorRef& x, const TensorRef& w, const TensorRef& alpha, const TensorRef& scale,
                   const TensorRef& y, const BinaryConv2dParams& p);
void binary_matmul(const TensorRef& a, const TensorRef& b, const TensorRef& alpha, const TensorRef& scale,
                   const TensorRef& y, int64_t bits);
}  // namespace cuda

}  // namespace ds

// Winograd F(4×4, 3×3) forward convolution (native/cpu/conv_winograd.cpp), taken by conv2d_forward for
// 3×3 kernels with stride 1, dilation 1 and one group when the channel counts and tiles make its 36
// GEMMs worth their transforms.
#pragma once
#include <cstdint>

#include "ops/conv.h"

namespace ds::cpu {

// Whether the Winograd path applies to this shape (only with DEEPSCOPE_CONV_WINOGRAD=1: it is opt-in).
bool winograd_applies(int64_t Cx, int64_t Cy, int64_t OH, int64_t OW, int64_t kh, int64_t kw, const Conv2dParams& p);

// y[N, Cy, OH, OW] = conv(x[N, Cx, H, W], w[Cy, Cx, 3, 3]) + bias[Cy] (bias may be null), padding
// (pad_top, pad_left) with the bottom and right padding implied by OH and OW.
void conv2d_winograd(const float* x, const float* w, const float* bias, float* y, int64_t N, int64_t Cx, int64_t H,
                     int64_t W, int64_t Cy, int64_t OH, int64_t OW, int64_t pad_top, int64_t pad_left);

}  // namespace ds::cpu

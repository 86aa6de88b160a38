// 2-D convolution on NCHW float32. CPU: through the GEMM (per (sample, group), or several samples per GEMM when
// the output is small; bounded im2col segments), or, for stride 1 with few filters per group, direct loops
// (see native/cpu/conv.cpp). convTranspose2d reuses the three kernels (its forward is
// conv2d_backward_data, its backward data is conv2d, its backward weight is conv2d_backward_weight with the
// roles of input and gradient swapped).
#pragma once
#include <cstdint>

#include "core/attrs.h"
#include "core/tensor_ref.h"

namespace ds {

// Geometry of a convolution x[N, Cx, H, W] -> y[N, Cy, OH, OW] with weight [Cy, Cx/groups, kH, kW]. Only the
// top/left padding is needed: the bottom/right padding is implied by the output size (asymmetric padding
// and convTranspose's outputPadding both come out of that).
struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  int64_t dil_h = 1, dil_w = 1;
  int64_t groups = 1;
  // attrs: stride [h, w], padding [top, left], dilation [h, w], groups.
  static Conv2dParams from(const Attrs& a);
};

// The checked sizes of a convolution x[N, Cx, H, W], w[Cy, Cx/G, kh, kw], y[N, Cy, OH, OW], shared by the
// backends; `op` names the op in the errors.
struct Conv2dDims {
  int64_t N, Cx, H, W, Cy, OH, OW, kh, kw, G, Cxg, Cyg;
  Conv2dDims(const TensorRef& x, const TensorRef& y, const TensorRef& w, const Conv2dParams& p, const char* op);
};

namespace cpu {
// y = conv(x, w) + bias (bias[Cy] may be undefined).
void conv2d_forward(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& y,
                    const Conv2dParams& p);
// dx[N, Cx, H, W] = conv2d's gradient w.r.t. its input, from gy[N, Cy, OH, OW] and w; the sizes come from
// the tensors. With bias[Cx] defined it is added (convTranspose2d's forward).
void conv2d_backward_data(const TensorRef& gy, const TensorRef& w, const TensorRef& bias, const TensorRef& dx,
                          const Conv2dParams& p);
// dw[Cy, Cx/groups, kH, kW] = conv2d's gradient w.r.t. its weight, from x and gy.
void conv2d_backward_weight(const TensorRef& x, const TensorRef& gy, const TensorRef& dw, const Conv2dParams& p);
}  // namespace cpu

namespace cuda {
// As the cpu:: functions, as implicit GEMMs (cuda/conv.cu).
void conv2d_forward(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& y,
                    const Conv2dParams& p);
void conv2d_backward_data(const TensorRef& gy, const TensorRef& w, const TensorRef& bias, const TensorRef& dx,
                          const Conv2dParams& p);
void conv2d_backward_weight(const TensorRef& x, const TensorRef& gy, const TensorRef& dw, const Conv2dParams& p);
}  // namespace cuda

}  // namespace ds

// 2-D resampling of NCHW float32 (nearest and bilinear), PyTorch's coordinate rules: with a scale factor
// (and recompute_scale_factor unset) the source coordinate uses 1/scale, else input/output; align_corners
// maps corner pixel centres onto each other (bilinear only). Index arithmetic is in float32, as PyTorch's
// CPU kernels do it, so nearest picks the same pixels.
#pragma once
#include <cstdint>

#include "core/attrs.h"
#include "core/tensor_ref.h"

namespace ds {

struct ResampleParams {
  bool align_corners = false;
  double scale_h = 0, scale_w = 0;  // the user's scale factors; 0 when the size was given
  static ResampleParams from(const Attrs& a);
};

namespace cpu {
void upsample_nearest2d(const TensorRef& x, const TensorRef& y, const ResampleParams& p);
// gx = 0, then every gy is added to the pixel it was read from.
void upsample_nearest2d_backward(const TensorRef& gy, const TensorRef& gx, const ResampleParams& p);
void upsample_bilinear2d(const TensorRef& x, const TensorRef& y, const ResampleParams& p);
// gx = 0, then every gy is spread over its four source pixels with the interpolation weights.
void upsample_bilinear2d_backward(const TensorRef& gy, const TensorRef& gx, const ResampleParams& p);
}  // namespace cpu

}  // namespace ds

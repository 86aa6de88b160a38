// 2-D pooling over NCHW float32 (JS views an unbatched [C, H, W] input as [1, C, H, W]): max pooling with
// int32 argmax indices (flat within each H×W plane, as PyTorch), average pooling, and the adaptive forms.
// JS computes the output size (ceil mode included) and allocates the outputs; the kernels read the sizes
// from the tensors.
#pragma once
#include <cstdint>

#include "core/attrs.h"
#include "core/tensor_ref.h"

namespace ds {

struct Pool2dParams {
  int64_t kh = 1, kw = 1;  // kernel
  int64_t sh = 1, sw = 1;  // stride
  int64_t ph = 0, pw = 0;  // padding (implicit -inf for max, zeros for average)
  int64_t dh = 1, dw = 1;  // dilation (max pooling only)
  bool count_include_pad = true;  // average: padded positions count in the divisor
  int64_t divisor = 0;            // average: fixed divisor when > 0
  static Pool2dParams from(const Attrs& a);
};

namespace cpu {
// y[n,c,oh,ow] = max over the window; idx = ih*W + iw of the winner (first maximum; NaN wins, as PyTorch).
void max_pool2d(const TensorRef& x, const TensorRef& y, const TensorRef& idx, const Pool2dParams& p);
// gx = 0, then gx[n,c][idx] += gy for every output (also the backward of adaptive max pooling).
void max_pool2d_backward(const TensorRef& gy, const TensorRef& idx, const TensorRef& gx);
// PyTorch's average: the window clipped to the padded input sets the count_include_pad divisor, the window
// clipped to the input the summed elements and the other divisor.
void avg_pool2d(const TensorRef& x, const TensorRef& y, const Pool2dParams& p);
void avg_pool2d_backward(const TensorRef& gy, const TensorRef& gx, const Pool2dParams& p);
// Adaptive windows: rows floor(i·H/OH) .. ceil((i+1)·H/OH) (exclusive), likewise for columns.
void adaptive_avg_pool2d(const TensorRef& x, const TensorRef& y);
void adaptive_avg_pool2d_backward(const TensorRef& gy, const TensorRef& gx);
void adaptive_max_pool2d(const TensorRef& x, const TensorRef& y, const TensorRef& idx);
}  // namespace cpu

namespace cuda {
// As the cpu:: functions, bit for bit (cuda/pool.cu).
void max_pool2d(const TensorRef& x, const TensorRef& y, const TensorRef& idx, const Pool2dParams& p);
void max_pool2d_backward(const TensorRef& gy, const TensorRef& idx, const TensorRef& gx);
void avg_pool2d(const TensorRef& x, const TensorRef& y, const Pool2dParams& p);
void avg_pool2d_backward(const TensorRef& gy, const TensorRef& gx, const Pool2dParams& p);
void adaptive_avg_pool2d(const TensorRef& x, const TensorRef& y);
void adaptive_avg_pool2d_backward(const TensorRef& gy, const TensorRef& gx);
void adaptive_max_pool2d(const TensorRef& x, const TensorRef& y, const TensorRef& idx);
}  // namespace cuda

}  // namespace ds

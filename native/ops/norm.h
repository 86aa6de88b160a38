// Normalisation layers over float32 tensors seen as [N, C, S] (S = the product of the spatial axes, 1 for
// [N, C]): batch normalisation (training and eval forms) and local response normalisation across channels.
#pragma once
#include <cstdint>

#include "core/attrs.h"
#include "core/tensor_ref.h"

namespace ds {

struct BatchNormParams {
  bool training = false;
  double momentum = 0.1;
  double eps = 1e-5;
  static BatchNormParams from(const Attrs& a);
};

struct LrnParams {
  int64_t size = 5;  // channels in the window: c - size/2 .. c + (size-1)/2, zero padded
  double alpha = 1e-4, beta = 0.75, k = 1;
  static LrnParams from(const Attrs& a);
};

// A normalisation's input seen as [N, C, S].
struct NcsDims {
  int64_t N, C, S;
};
// The checked sizes of batch_norm's tensors (the same on every backend; running_* and weight/bias optional).
NcsDims batch_norm_dims(const TensorRef& x, const TensorRef& weight, const TensorRef& bias,
                        const TensorRef& running_mean, const TensorRef& running_var, const TensorRef& y,
                        const TensorRef& save_mean, const TensorRef& save_invstd, const BatchNormParams& p);
NcsDims batch_norm_backward_dims(const TensorRef& x, const TensorRef& gy, const TensorRef& mean, const TensorRef& invstd,
                                 const TensorRef& dx, const TensorRef& dweight, const TensorRef& dbias);

namespace cpu {
// y = (x - mean) · invstd · weight + bias per channel; writes the mean and invstd used (save_*). Training:
// batch statistics (biased variance), and when running_mean/var are defined they are updated in place with
// momentum (unbiased variance). Eval: the running statistics (then required). Weight/bias may be undefined.
// Statistics accumulate in double over fixed (n, c) slices combined in order: thread-count independent.
void batch_norm(const TensorRef& x, const TensorRef& weight, const TensorRef& bias, const TensorRef& running_mean,
                const TensorRef& running_var, const TensorRef& y, const TensorRef& save_mean,
                const TensorRef& save_invstd, const BatchNormParams& p);
// dx, dweight, dbias from gy and the saved mean/invstd. Training includes the paths through the batch
// statistics; eval treats mean/invstd as constants.
void batch_norm_backward(const TensorRef& x, const TensorRef& gy, const TensorRef& weight, const TensorRef& mean,
                         const TensorRef& invstd, const TensorRef& dx, const TensorRef& dweight,
                         const TensorRef& dbias, const BatchNormParams& p);
// y = x · scale^-beta with scale = k + alpha/size · Σ_window x²; writes scale for the backward.
void local_response_norm(const TensorRef& x, const TensorRef& y, const TensorRef& scale, const LrnParams& p);
void local_response_norm_backward(const TensorRef& x, const TensorRef& y, const TensorRef& scale, const TensorRef& gy,
                                  const TensorRef& gx, const LrnParams& p);
}  // namespace cpu

namespace cuda {
// As the cpu:: batch norm (cuda/norm.cu): per-slice Welford statistics in double, merged in order.
void batch_norm(const TensorRef& x, const TensorRef& weight, const TensorRef& bias, const TensorRef& running_mean,
                const TensorRef& running_var, const TensorRef& y, const TensorRef& save_mean,
                const TensorRef& save_invstd, const BatchNormParams& p);
void batch_norm_backward(const TensorRef& x, const TensorRef& gy, const TensorRef& weight, const TensorRef& mean,
                         const TensorRef& invstd, const TensorRef& dx, const TensorRef& dweight,
                         const TensorRef& dbias, const BatchNormParams& p);
// As the cpu:: LRN, one thread per element.
void local_response_norm(const TensorRef& x, const TensorRef& y, const TensorRef& scale, const LrnParams& p);
void local_response_norm_backward(const TensorRef& x, const TensorRef& y, const TensorRef& scale, const TensorRef& gy,
                                  const TensorRef& gx, const LrnParams& p);
}  // namespace cuda

}  // namespace ds

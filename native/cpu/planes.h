// Shared shape logic of the 2-D spatial kernels (pooling, resampling): NCHW tensors seen as N*C planes of
// H x W in and OH x OW out, and a parallel grain sized by the work per item.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/tensor_ref.h"

namespace ds::cpu {

struct PlaneDims {
  int64_t planes, H, W, OH, OW;
};

// `in` and `out` are 4-D with the same batch and channels; H x W must not be empty.
inline PlaneDims plane_dims(const TensorRef& in, const TensorRef& out, const char* op) {
  DS_CHECK(in.ndim == 4 && out.ndim == 4, std::string(op) + ": tensors must be 4-D");
  DS_CHECK(in.shape[0] == out.shape[0] && in.shape[1] == out.shape[1], std::string(op) + ": batch/channels differ");
  DS_CHECK(in.shape[2] > 0 && in.shape[3] > 0, std::string(op) + ": empty input plane");
  return {in.shape[0] * in.shape[1], in.shape[2], in.shape[3], out.shape[2], out.shape[3]};
}

// Items per parallel chunk so that each chunk does about 2^13 element visits.
inline int64_t plane_grain(int64_t work_per_item) {
  return std::max<int64_t>(1, (int64_t(1) << 13) / std::max<int64_t>(1, work_per_item));
}

}  // namespace ds::cpu

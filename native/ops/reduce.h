// Reductions over one contiguous block of axes [begin, end) of the input, seen as [outer, R, inner]
// (JS moves non-adjacent axes together with a permute first). Sums accumulate in double.
#pragma once
#include <cstdint>

#include "core/tensor_ref.h"

namespace ds {

enum class ReduceOp { sum, mean, max, min, argmax, argmin, var };

struct ReduceParams {
  int begin = 0, end = 0;  // the reduced axes
  double correction = 1;   // var: divide by R - correction (Bessel's by default)
};

namespace cpu {
// sum/mean/max/min/var write float32 (int32 sums stay int32); argmax/argmin write int32 indices
// (first occurrence; NaN counts as the maximum, as in PyTorch).
void reduce(ReduceOp op, const TensorRef& in, const TensorRef& out, const ReduceParams& p);
}  // namespace cpu

namespace cuda {
void reduce(ReduceOp op, const TensorRef& in, const TensorRef& out, const ReduceParams& p);
}  // namespace cuda

}  // namespace ds

// Filling tensors: constants, ranges, identity matrices, dtype casts, and seeded random draws. Random ops
// take `seed` and `offset` attributes: element i uses Philox counter (offset + i / 4), lane i % 4 (normal:
// Box-Muller over lane pairs), so a generator that advances its offset by the draw size is reproducible.
#pragma once
#include <cstdint>

#include "core/tensor_ref.h"

namespace ds {

struct RandomParams {
  uint64_t seed = 0;
  uint64_t offset = 0;  // in Philox counters (4 draws each)
  double a = 0, b = 1;  // uniform: [a, b); normal: mean a, std b; bernoulli: p = a
};

namespace cpu {
void fill(const TensorRef& out, double value);
void arange(const TensorRef& out, double start, double step);
void eye(const TensorRef& out);  // 2-D: ones on the main diagonal
void cast(const TensorRef& in, const TensorRef& out);  // float32 -> int32 truncates toward zero
void random_uniform(const TensorRef& out, const RandomParams& p);
void random_normal(const TensorRef& out, const RandomParams& p);
void random_bernoulli(const TensorRef& out, const RandomParams& p);
}  // namespace cpu

namespace cuda {
void fill(const TensorRef& out, double value);
void arange(const TensorRef& out, double start, double step);
void eye(const TensorRef& out);
void cast(const TensorRef& in, const TensorRef& out);
void random_uniform(const TensorRef& out, const RandomParams& p);
void random_normal(const TensorRef& out, const RandomParams& p);
void random_bernoulli(const TensorRef& out, const RandomParams& p);
}  // namespace cuda

}  // namespace ds

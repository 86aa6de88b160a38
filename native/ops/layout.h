// Data movement that changes layout: permute (transpose) and expand (broadcast to a larger shape). These
// move 4-byte elements regardless of dtype.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor_ref.h"

namespace ds {

namespace cpu {
// out[i_0..i_n] = in[i at perm]: out.shape[d] == in.shape[perm[d]].
void permute(const TensorRef& in, const TensorRef& out, const std::vector<int64_t>& perm);
// out = in broadcast to out's shape (NumPy rules).
void expand(const TensorRef& in, const TensorRef& out);
// out = in, element by element (a materialised copy).
void copy(const TensorRef& in, const TensorRef& out);
}  // namespace cpu

namespace cuda {
void permute(const TensorRef& in, const TensorRef& out, const std::vector<int64_t>& perm);
void expand(const TensorRef& in, const TensorRef& out);
void copy(const TensorRef& in, const TensorRef& out);
}  // namespace cuda

}  // namespace ds

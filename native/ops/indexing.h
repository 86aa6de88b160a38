// Indexing and joining: cat / split (inverse data movements along one axis), strided slice and its
// backward, gather (torch.gather) with a scatter-add backward, index_select with backward, and pad in
// constant / reflect / replicate modes with an accumulating backward. Data movement is done on 4-byte
// elements regardless of dtype (int32 moves as well as float32); the backward kernels accumulate float32.
#pragma once
#include <cstdint>
#include <vector>

#include "core/attrs.h"
#include "core/tensor_ref.h"

namespace ds {

struct SliceParams {
  int dim = 0;
  int64_t start = 0, step = 1;  // normalised by JS: 0 <= start, step >= 1; the length is the output's
  static SliceParams from(const Attrs& a);
};

enum class PadMode { constant, reflect, replicate };

struct PadParams {
  std::vector<int64_t> pads;  // 2·ndim entries in axis order: [before_0, after_0, before_1, after_1, ...]
  PadMode mode = PadMode::constant;
  double value = 0;
  static PadParams from(const Attrs& a, int ndim);
};

namespace cpu {
// out = concatenation of ins along dim.
void cat(const std::vector<TensorRef>& ins, const TensorRef& out, int dim);
// outs = consecutive pieces of in along dim (out sizes along dim sum to in's).
void split(const TensorRef& in, const std::vector<TensorRef>& outs, int dim);
// out[.., j, ..] = in[.., start + j·step, ..] along p.dim.
void slice(const TensorRef& in, const TensorRef& out, const SliceParams& p);
// gin = zeros with gout written back at the sliced positions.
void slice_backward(const TensorRef& gout, const TensorRef& gin, const SliceParams& p);
// out[i..] = in[i.. with i_dim replaced by index[i..]] (index has out's shape, int32, in [0, in.shape[dim])).
void gather(const TensorRef& in, const TensorRef& index, const TensorRef& out, int dim);
// gin = zeros; gin[i.. with i_dim = index[i..]] += gout[i..].
void gather_backward(const TensorRef& gout, const TensorRef& index, const TensorRef& gin, int dim);
// out = in with axis dim taken at positions index (1-D int32).
void index_select(const TensorRef& in, const TensorRef& index, const TensorRef& out, int dim);
// gin = zeros; gin[.., index[j], ..] += gout[.., j, ..].
void index_select_backward(const TensorRef& gout, const TensorRef& index, const TensorRef& gin, int dim);
// out = in padded (or cropped, by negative constant pads).
void pad(const TensorRef& in, const TensorRef& out, const PadParams& p);
// gin[s] = Σ gout over the output positions that read input position s.
void pad_backward(const TensorRef& gout, const TensorRef& gin, const PadParams& p);
}  // namespace cpu

}  // namespace ds

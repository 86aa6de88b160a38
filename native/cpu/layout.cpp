// CPU permute / expand / copy: 4-byte element moves through the broadcast row iterator.
#include <cstring>

#include "core/error.h"
#include "cpu/broadcast.h"
#include "ops/layout.h"

namespace ds::cpu {
namespace {

// Moves the elements of `in`, read with per-output-axis strides, into contiguous `out`.
void strided_copy(const TensorRef& in, const TensorRef& out, const int64_t (&st)[1][kMaxDims]) {
  BroadcastPlan<1> plan(out, st);
  const uint32_t* src = in.ptr<uint32_t>();
  uint32_t* dst = out.ptr<uint32_t>();
  plan.for_each_row([&](int64_t o, const int64_t* off, int64_t n, const int64_t* inner) {
    const uint32_t* s = src + off[0];
    if (inner[0] == 1) std::memcpy(dst + o, s, size_t(n) * 4);
    else for (int64_t i = 0; i < n; ++i) dst[o + i] = s[i * inner[0]];
  });
}

}  // namespace

void permute(const TensorRef& in, const TensorRef& out, const std::vector<int64_t>& perm) {
  DS_CHECK(int(perm.size()) == in.ndim && in.ndim == out.ndim, "permute: rank");
  int64_t in_strides[kMaxDims];
  int64_t s = 1;
  for (int d = in.ndim - 1; d >= 0; --d) {
    in_strides[d] = s;
    s *= in.shape[d];
  }
  int64_t st[1][kMaxDims] = {};
  for (int d = 0; d < out.ndim; ++d) {
    DS_CHECK(perm[d] >= 0 && perm[d] < in.ndim && out.shape[d] == in.shape[perm[d]], "permute: shape");
    st[0][d] = in_strides[perm[d]];
  }
  strided_copy(in, out, st);
}

void expand(const TensorRef& in, const TensorRef& out) {
  int64_t st[1][kMaxDims] = {};
  int64_t s = 1;
  for (int d = out.ndim - 1; d >= 0; --d) {
    int id = d - (out.ndim - in.ndim);
    int64_t size = id >= 0 ? in.shape[id] : 1;
    DS_CHECK(size == out.shape[d] || size == 1, "expand: shape");
    st[0][d] = size == 1 ? 0 : s;
    s *= size;
  }
  strided_copy(in, out, st);
}

void copy(const TensorRef& in, const TensorRef& out) {
  DS_CHECK(in.numel() == out.numel(), "copy: sizes");
  const char* s = static_cast<const char*>(in.data);
  char* d = static_cast<char*>(out.data);
  size_t bytes = size_t(in.numel()) * dtype_size(in.dtype);
  parallel_for(0, int64_t(bytes), 1 << 20, [&](int64_t lo, int64_t hi) { std::memcpy(d + lo, s + lo, size_t(hi - lo)); });
}

}  // namespace ds::cpu

// NumPy broadcasting for CPU kernels: operand strides aligned to the output's axes (0 where an operand is
// broadcast), adjacent axes merged where every operand allows it, then iteration row by row over the
// innermost axis so kernels run a tight loop with a per-operand inner stride of 0 or 1.
#pragma once
#include <cstdint>

#include "core/tensor_ref.h"
#include "core/thread_pool.h"

namespace ds::cpu {

template <int N>
struct BroadcastPlan {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};
  int64_t rows = 1;  // product of all but the innermost axis

  // Operands broadcast against `out` by NumPy rules.
  BroadcastPlan(const TensorRef& out, const TensorRef* const (&ins)[N]) {
    int64_t st[N][kMaxDims];
    int nd = out.ndim;
    for (int k = 0; k < N; ++k) {
      const TensorRef& t = *ins[k];
      int64_t s = 1;
      for (int d = nd - 1; d >= 0; --d) {
        int td = d - (nd - t.ndim);
        int64_t size = td >= 0 ? t.shape[td] : 1;
        st[k][d] = (size == 1 && out.shape[d] != 1) ? 0 : s;
        if (td >= 0) s *= t.shape[td];
      }
    }
    merge(out, st);
  }

  // Operands read with explicit element strides per output axis (a permutation, say).
  BroadcastPlan(const TensorRef& out, const int64_t (&st)[N][kMaxDims]) { merge(out, st); }

  int64_t inner() const { return shape[ndim - 1]; }

 private:
  // Merges axis d into the previous kept axis when, for every operand, stride[prev] == stride[d] * shape[d].
  void merge(const TensorRef& out, const int64_t (&st)[N][kMaxDims]) {
    int m = 0;
    for (int d = 0; d < out.ndim; ++d) {
      if (out.shape[d] == 0) {  // empty output: one row of length 0, nothing to visit
        ndim = 1;
        shape[0] = 0;
        rows = 0;
        return;
      }
    }
    for (int d = 0; d < out.ndim; ++d) {
      int64_t size = out.shape[d];
      if (size == 1) continue;
      if (m > 0) {
        bool ok = true;
        for (int k = 0; k < N; ++k)
          if (strides[k][m - 1] != st[k][d] * size) ok = false;
        if (ok) {
          shape[m - 1] *= size;
          for (int k = 0; k < N; ++k) strides[k][m - 1] = st[k][d];
          continue;
        }
      }
      shape[m] = size;
      for (int k = 0; k < N; ++k) strides[k][m] = st[k][d];
      ++m;
    }
    if (m == 0) {
      shape[0] = 1;
      for (int k = 0; k < N; ++k) strides[k][0] = 0;
      m = 1;
    }
    ndim = m;
    rows = 1;
    for (int d = 0; d < ndim - 1; ++d) rows *= shape[d];
  }

 public:

  // fn(out_offset, in_offsets[N], count, in_inner_strides[N]) for every innermost row, in parallel.
  template <class F>
  void for_each_row(F fn) const {
    int64_t len = inner();
    if (len == 0 || rows == 0) return;
    int64_t grain = len >= 4096 ? 1 : 4096 / len;
    parallel_for(0, rows, grain, [&](int64_t lo, int64_t hi) {
      int64_t offs[N];
      int64_t inner_st[N];
      for (int k = 0; k < N; ++k) inner_st[k] = strides[k][ndim - 1];
      for (int64_t r = lo; r < hi; ++r) {
        int64_t rem = r;
        for (int k = 0; k < N; ++k) offs[k] = 0;
        for (int d = ndim - 2; d >= 0; --d) {
          int64_t i = rem % shape[d];
          rem /= shape[d];
          for (int k = 0; k < N; ++k) offs[k] += i * strides[k][d];
        }
        fn(r * len, offs, len, inner_st);
      }
    });
  }
};

}  // namespace ds::cpu

// CPU indexing and joining kernels. Everything is viewed as [outer, D, inner] around the op's axis and
// moved as 4-byte words. Indexed kernels check every index in a serial pass before any indexed read, so a
// bad index fails the op (a rejected read naming it) instead of reading out of bounds. Accumulating
// backward kernels give each thread a disjoint set of destination elements and add in a fixed order, so
// results do not depend on the thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "ops/indexing.h"

namespace ds::cpu {
namespace {

struct Axis {
  int64_t outer = 1, D = 1, inner = 1;
};

Axis around(const TensorRef& t, int dim) {
  DS_CHECK(dim >= 0 && dim < t.ndim, "indexing: dim out of range");
  Axis a;
  for (int d = 0; d < dim; ++d) a.outer *= t.shape[d];
  a.D = t.shape[dim];
  for (int d = dim + 1; d < t.ndim; ++d) a.inner *= t.shape[d];
  return a;
}

// Grain (in rows) so that a task moves at least ~16K elements.
int64_t row_grain(int64_t row) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(row, 1)); }

void same_other_dims(const TensorRef& a, const TensorRef& b, int dim, const char* what) {
  DS_CHECK(a.ndim == b.ndim, std::string(what) + ": rank");
  for (int d = 0; d < a.ndim; ++d) DS_CHECK(d == dim || a.shape[d] == b.shape[d], std::string(what) + ": shape");
}

void zero(const TensorRef& t) {
  float* p = t.f32();
  parallel_for(0, t.numel(), 1 << 16, [&](int64_t lo, int64_t hi) { std::memset(p + lo, 0, size_t(hi - lo) * 4); });
}

void strides_of(const TensorRef& t, int64_t (&st)[kMaxDims]) {
  int64_t s = 1;
  for (int d = t.ndim - 1; d >= 0; --d) {
    st[d] = s;
    s *= t.shape[d];
  }
}

void check_indices(const char* op, const TensorRef& index, int dim, int64_t size) {
  const int32_t* ix = index.i32();
  for (int64_t k = 0, n = index.numel(); k < n; ++k) {
    if (ix[k] < 0 || ix[k] >= size)
      fail(std::string(op) + ": index " + std::to_string(ix[k]) + " at position " + std::to_string(k) +
           " is out of bounds for dim " + std::to_string(dim) + " with size " + std::to_string(size));
  }
}

}  // namespace

// -------------------------------------------------------------------------------------------- cat/split

namespace {
// Moves between the pieces and the joined tensor; to_joined: pieces -> joined (cat), else split.
void join(const std::vector<TensorRef>& pieces, const TensorRef& joined, int dim, bool to_joined) {
  Axis j = around(joined, dim);
  int64_t total = 0;
  std::vector<int64_t> offset(pieces.size()), chunk(pieces.size());
  for (size_t k = 0; k < pieces.size(); ++k) {
    same_other_dims(pieces[k], joined, dim, to_joined ? "cat" : "split");
    offset[k] = total * j.inner;
    chunk[k] = pieces[k].shape[dim] * j.inner;
    total += pieces[k].shape[dim];
  }
  DS_CHECK(total == j.D, to_joined ? "cat: sizes along dim" : "split: sizes along dim");
  const int64_t row = j.D * j.inner;
  if (row == 0) return;
  const int64_t K = int64_t(pieces.size());
  uint32_t* jp = joined.ptr<uint32_t>();
  // Tasks are (outer row, piece) pairs.
  parallel_for(0, j.outer * K, row_grain(row / std::max<int64_t>(K, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t o = t / K, k = t % K;
      size_t n = size_t(chunk[size_t(k)]);
      if (!n) continue;
      uint32_t* jrow = jp + o * row + offset[size_t(k)];
      uint32_t* prow = pieces[size_t(k)].ptr<uint32_t>() + o * int64_t(n);
      if (to_joined) std::memcpy(jrow, prow, n * 4);
      else std::memcpy(prow, jrow, n * 4);
    }
  });
}
}  // namespace

void cat(const std::vector<TensorRef>& ins, const TensorRef& out, int dim) { join(ins, out, dim, true); }
void split(const TensorRef& in, const std::vector<TensorRef>& outs, int dim) { join(outs, in, dim, false); }

// ------------------------------------------------------------------------------------------------ slice

void slice(const TensorRef& in, const TensorRef& out, const SliceParams& p) {
  same_other_dims(in, out, p.dim, "slice");
  Axis a = around(in, p.dim);
  const int64_t len = out.shape[p.dim];
  DS_CHECK(p.step >= 1 && p.start >= 0 && (len == 0 || p.start + (len - 1) * p.step < a.D), "slice: bounds");
  const uint32_t* src = in.ptr<uint32_t>();
  uint32_t* dst = out.ptr<uint32_t>();
  parallel_for(0, a.outer * len, row_grain(a.inner), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t o = r / len, j = r % len;
      std::memcpy(dst + r * a.inner, src + (o * a.D + p.start + j * p.step) * a.inner, size_t(a.inner) * 4);
    }
  });
}

void slice_backward(const TensorRef& gout, const TensorRef& gin, const SliceParams& p) {
  same_other_dims(gin, gout, p.dim, "slice_backward");
  Axis a = around(gin, p.dim);
  const int64_t len = gout.shape[p.dim];
  DS_CHECK(p.step >= 1 && p.start >= 0 && (len == 0 || p.start + (len - 1) * p.step < a.D), "slice_backward: bounds");
  const uint32_t* src = gout.ptr<uint32_t>();
  uint32_t* dst = gin.ptr<uint32_t>();
  const int64_t row = a.D * a.inner;
  parallel_for(0, a.outer, row_grain(row), [&](int64_t lo, int64_t hi) {
    for (int64_t o = lo; o < hi; ++o) {
      std::memset(dst + o * row, 0, size_t(row) * 4);
      for (int64_t j = 0; j < len; ++j)
        std::memcpy(dst + o * row + (p.start + j * p.step) * a.inner, src + (o * len + j) * a.inner, size_t(a.inner) * 4);
    }
  });
}

// ----------------------------------------------------------------------------------------------- gather

namespace {
// Calls fn(index_offset, in_offset) for each "column" of index (all axes but dim), in parallel; the
// column's elements along dim are at index_offset + j·ist[dim], and their source row at in_offset.
template <class F>
void for_each_column(const TensorRef& in, const TensorRef& index, int dim, F fn) {
  int64_t ist[kMaxDims], xst[kMaxDims];
  strides_of(index, ist);
  strides_of(in, xst);
  const int64_t L = index.shape[dim];
  if (L == 0 || index.numel() == 0) return;
  const int64_t cols = index.numel() / L;
  const int nd = index.ndim;
  parallel_for(0, cols, row_grain(L), [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      int64_t rem = c, ioff = 0, xoff = 0;
      for (int d = nd - 1; d >= 0; --d) {
        if (d == dim) continue;
        int64_t i = rem % index.shape[d];
        rem /= index.shape[d];
        ioff += i * ist[d];
        xoff += i * xst[d];
      }
      fn(ioff, xoff, ist[dim], xst[dim], L);
    }
  });
}

void check_gather_shapes(const char* op, const TensorRef& x, const TensorRef& index, int dim) {
  DS_CHECK(x.ndim == index.ndim && dim >= 0 && dim < x.ndim, std::string(op) + ": rank");
  for (int d = 0; d < x.ndim; ++d) DS_CHECK(d == dim || index.shape[d] <= x.shape[d], std::string(op) + ": index shape");
}
}  // namespace

void gather(const TensorRef& in, const TensorRef& index, const TensorRef& out, int dim) {
  check_gather_shapes("gather", in, index, dim);
  DS_CHECK(out.numel() == index.numel(), "gather: output size");
  check_indices("gather", index, dim, in.shape[dim]);
  const uint32_t* src = in.ptr<uint32_t>();
  const int32_t* ix = index.i32();
  uint32_t* dst = out.ptr<uint32_t>();
  for_each_column(in, index, dim, [&](int64_t ioff, int64_t xoff, int64_t is, int64_t xs, int64_t L) {
    for (int64_t j = 0; j < L; ++j) dst[ioff + j * is] = src[xoff + int64_t(ix[ioff + j * is]) * xs];
  });
}

void gather_backward(const TensorRef& gout, const TensorRef& index, const TensorRef& gin, int dim) {
  check_gather_shapes("gather_backward", gin, index, dim);
  DS_CHECK(gout.numel() == index.numel(), "gather_backward: gradient size");
  check_indices("gather", index, dim, gin.shape[dim]);
  zero(gin);
  const float* g = gout.f32();
  const int32_t* ix = index.i32();
  float* dst = gin.f32();
  // Each column of index writes only into its own column of gin: no two threads touch one element.
  for_each_column(gin, index, dim, [&](int64_t ioff, int64_t xoff, int64_t is, int64_t xs, int64_t L) {
    for (int64_t j = 0; j < L; ++j) dst[xoff + int64_t(ix[ioff + j * is]) * xs] += g[ioff + j * is];
  });
}

// ----------------------------------------------------------------------------------------- index_select

void index_select(const TensorRef& in, const TensorRef& index, const TensorRef& out, int dim) {
  same_other_dims(in, out, dim, "index_select");
  Axis a = around(in, dim);
  const int64_t L = index.numel();
  DS_CHECK(out.shape[dim] == L, "index_select: output size");
  check_indices("indexSelect", index, dim, a.D);
  const uint32_t* src = in.ptr<uint32_t>();
  const int32_t* ix = index.i32();
  uint32_t* dst = out.ptr<uint32_t>();
  parallel_for(0, a.outer * L, row_grain(a.inner), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t o = r / L, j = r % L;
      std::memcpy(dst + r * a.inner, src + (o * a.D + ix[j]) * a.inner, size_t(a.inner) * 4);
    }
  });
}

void index_select_backward(const TensorRef& gout, const TensorRef& index, const TensorRef& gin, int dim) {
  same_other_dims(gin, gout, dim, "index_select_backward");
  Axis a = around(gin, dim);
  const int64_t L = index.numel();
  DS_CHECK(gout.shape[dim] == L, "index_select_backward: gradient size");
  check_indices("indexSelect", index, dim, a.D);
  zero(gin);
  const float* g = gout.f32();
  const int32_t* ix = index.i32();
  float* dst = gin.f32();
  // Tasks: (outer row, block of inner positions); each adds its rows in index order.
  constexpr int64_t kB = 1024;
  const int64_t blocks = (a.inner + kB - 1) / kB;
  if (a.inner == 0) return;
  parallel_for(0, a.outer * blocks, row_grain(L * std::min(a.inner, kB)), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t o = t / blocks, i0 = (t % blocks) * kB, w = std::min(kB, a.inner - i0);
      for (int64_t j = 0; j < L; ++j) {
        const float* s = g + (o * L + j) * a.inner + i0;
        float* d = dst + (o * a.D + ix[j]) * a.inner + i0;
        for (int64_t i = 0; i < w; ++i) d[i] += s[i];
      }
    }
  });
}

// -------------------------------------------------------------------------------------------------- pad

namespace {
// For each output position along one axis, the input position it reads (-1: the constant value).
std::vector<int64_t> pad_map(int64_t in_size, int64_t before, int64_t out_size, PadMode mode) {
  std::vector<int64_t> m(static_cast<size_t>(out_size));
  for (int64_t i = 0; i < out_size; ++i) {
    int64_t s = i - before;
    if (mode == PadMode::constant) {
      m[size_t(i)] = (s >= 0 && s < in_size) ? s : -1;
    } else if (mode == PadMode::replicate) {
      m[size_t(i)] = std::min(std::max<int64_t>(s, 0), in_size - 1);
    } else {
      if (s < 0) s = -s;
      if (s >= in_size) s = 2 * (in_size - 1) - s;
      DS_CHECK(s >= 0 && s < in_size, "pad: reflect padding must be smaller than the input size");
      m[size_t(i)] = s;
    }
  }
  return m;
}

void check_pad_shapes(const TensorRef& in, const TensorRef& out, const PadParams& p) {
  DS_CHECK(in.ndim == out.ndim, "pad: rank");
  for (int d = 0; d < in.ndim; ++d) {
    DS_CHECK(in.shape[d] + p.pads[2 * d] + p.pads[2 * d + 1] == out.shape[d], "pad: output shape");
    DS_CHECK(p.mode == PadMode::constant || in.shape[d] > 0 || out.shape[d] == 0, "pad: empty input");
  }
}
}  // namespace

void pad(const TensorRef& in, const TensorRef& out, const PadParams& p) {
  check_pad_shapes(in, out, p);
  const int nd = out.ndim;
  if (out.numel() == 0) return;
  if (nd == 0) {
    *out.ptr<uint32_t>() = *in.ptr<uint32_t>();
    return;
  }
  std::vector<std::vector<int64_t>> maps(static_cast<size_t>(nd));
  for (int d = 0; d < nd; ++d) maps[size_t(d)] = pad_map(in.shape[d], p.pads[2 * d], out.shape[d], p.mode);
  int64_t ist[kMaxDims];
  strides_of(in, ist);
  uint32_t fill;
  if (out.dtype == DType::f32) {
    float v = float(p.value);
    std::memcpy(&fill, &v, 4);
  } else {
    int32_t v = int32_t(p.value);
    std::memcpy(&fill, &v, 4);
  }
  const int64_t W = out.shape[nd - 1];
  const int64_t rows = out.numel() / W;
  const std::vector<int64_t>& last = maps[size_t(nd - 1)];
  const uint32_t* src = in.ptr<uint32_t>();
  uint32_t* dst = out.ptr<uint32_t>();
  parallel_for(0, rows, row_grain(W), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t rem = r, off = 0;
      bool inside = true;
      for (int d = nd - 2; d >= 0; --d) {
        int64_t i = rem % out.shape[d];
        rem /= out.shape[d];
        int64_t s = maps[size_t(d)][size_t(i)];
        if (s < 0) inside = false;
        else off += s * ist[d];
      }
      uint32_t* o = dst + r * W;
      if (!inside) {
        for (int64_t i = 0; i < W; ++i) o[i] = fill;
        continue;
      }
      const uint32_t* s = src + off;
      for (int64_t i = 0; i < W; ++i) {
        int64_t k = last[size_t(i)];
        o[i] = k < 0 ? fill : s[k];
      }
    }
  });
}

void pad_backward(const TensorRef& gout, const TensorRef& gin, const PadParams& p) {
  check_pad_shapes(gin, gout, p);
  const int nd = gin.ndim;
  if (gin.numel() == 0) return;
  if (nd == 0) {
    *gin.f32() = *gout.f32();
    return;
  }
  // One axis at a time (the padding is separable): A [outer, out_d, inner] -> B [outer, in_d, inner],
  // B[o, s, i] = Σ A[o, j, i] over the output positions j that read s (in increasing j).
  std::vector<float> bufA(gout.f32(), gout.f32() + gout.numel()), bufB;
  int64_t cur[kMaxDims];
  for (int d = 0; d < nd; ++d) cur[d] = gout.shape[d];
  for (int d = nd - 1; d >= 0; --d) {
    const int64_t in_d = gin.shape[d], out_d = cur[d];
    if (p.pads[2 * d] == 0 && p.pads[2 * d + 1] == 0) continue;
    std::vector<int64_t> m = pad_map(in_d, p.pads[2 * d], out_d, p.mode);
    // CSR of the preimages.
    std::vector<int64_t> start(size_t(in_d + 1), 0), list;
    for (int64_t j = 0; j < out_d; ++j)
      if (m[size_t(j)] >= 0) ++start[size_t(m[size_t(j)] + 1)];
    for (int64_t s = 0; s < in_d; ++s) start[size_t(s + 1)] += start[size_t(s)];
    list.resize(size_t(start[size_t(in_d)]));
    std::vector<int64_t> fillp(start.begin(), start.end() - 1);
    for (int64_t j = 0; j < out_d; ++j)
      if (m[size_t(j)] >= 0) list[size_t(fillp[size_t(m[size_t(j)])]++)] = j;
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < d; ++k) outer *= cur[k];
    for (int k = d + 1; k < nd; ++k) inner *= cur[k];
    bufB.assign(size_t(outer * in_d * inner), 0.f);
    const float* A = bufA.data();
    float* B = bufB.data();
    parallel_for(0, outer * in_d, row_grain(inner * 2), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        int64_t o = r / in_d, s = r % in_d;
        float* b = B + r * inner;
        for (int64_t q = start[size_t(s)]; q < start[size_t(s + 1)]; ++q) {
          const float* a = A + (o * out_d + list[size_t(q)]) * inner;
          for (int64_t i = 0; i < inner; ++i) b[i] += a[i];
        }
      }
    });
    cur[d] = in_d;
    bufA.swap(bufB);
  }
  DS_CHECK(int64_t(bufA.size()) == gin.numel(), "pad_backward: size");
  std::memcpy(gin.f32(), bufA.data(), bufA.size() * 4);
}

}  // namespace ds::cpu

// CPU reductions over [outer, R, inner]. Parallel over outer*inner outputs; when there are few outputs
// and a long R (a full sum), R is split into fixed-size chunks whose partials are combined in order, so
// the result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "ops/reduce.h"

namespace ds::cpu {
namespace {

struct Acc {
  double v;
  int64_t idx;
};

template <class T>
Acc init(ReduceOp op) {
  switch (op) {
    case ReduceOp::max: case ReduceOp::argmax: return {-std::numeric_limits<double>::infinity(), -1};
    case ReduceOp::min: case ReduceOp::argmin: return {std::numeric_limits<double>::infinity(), -1};
    default: return {0, 0};
  }
}

// Folds x (at index r) into the accumulator. NaN wins max/min/argmax/argmin and stays.
inline void fold(ReduceOp op, Acc& a, double x, int64_t r, double mean) {
  switch (op) {
    case ReduceOp::sum: case ReduceOp::mean: a.v += x; break;
    case ReduceOp::var: a.v += (x - mean) * (x - mean); break;
    case ReduceOp::max: case ReduceOp::argmax:
      if (a.idx < 0 || (a.v == a.v && (x > a.v || x != x))) { a.v = x; a.idx = r; }
      break;
    case ReduceOp::min: case ReduceOp::argmin:
      if (a.idx < 0 || (a.v == a.v && (x < a.v || x != x))) { a.v = x; a.idx = r; }
      break;
  }
}

inline void combine(ReduceOp op, Acc& a, const Acc& b) {
  switch (op) {
    case ReduceOp::max: case ReduceOp::argmax: case ReduceOp::min: case ReduceOp::argmin:
      if (b.idx >= 0) fold(op, a, b.v, b.idx, 0);
      break;
    default: a.v += b.v;
  }
}

template <class T>
Acc reduce_range(ReduceOp op, const T* base, int64_t inner, int64_t r0, int64_t r1, double mean) {
  Acc a = init<T>(op);
  for (int64_t r = r0; r < r1; ++r) fold(op, a, double(base[r * inner]), r, mean);
  return a;
}

template <class T>
void run(ReduceOp op, const TensorRef& in, const TensorRef& out, int64_t outer, int64_t R, int64_t inner, double correction) {
  const T* x = in.ptr<T>();
  int64_t nout = outer * inner;
  // Few outputs, long reduction: chunk R so both cores work, combining partials in a fixed order.
  constexpr int64_t kChunk = 1 << 15;
  bool chunked = nout < 64 && R >= 2 * kChunk;
  auto one = [&](int64_t o) -> Acc {
    int64_t oi = o / inner, ii = o % inner;
    const T* base = x + oi * R * inner + ii;
    double mean = 0;
    auto over = [&](ReduceOp what, double m) -> Acc {
      if (!chunked) return reduce_range(what, base, inner, 0, R, m);
      int64_t nchunks = (R + kChunk - 1) / kChunk;
      std::vector<Acc> parts(size_t(nchunks), init<T>(what));
      parallel_for(0, nchunks, 1, [&](int64_t lo, int64_t hi) {
        for (int64_t c = lo; c < hi; ++c)
          parts[size_t(c)] = reduce_range(what, base, inner, c * kChunk, std::min(R, (c + 1) * kChunk), m);
      });
      Acc a = init<T>(what);
      for (const auto& p : parts) combine(what, a, p);
      return a;
    };
    if (op == ReduceOp::var) {
      mean = over(ReduceOp::sum, 0).v / double(R);
      return over(ReduceOp::var, mean);
    }
    return over(op, 0);
  };
  auto store = [&](int64_t o, const Acc& a) {
    switch (op) {
      case ReduceOp::argmax: case ReduceOp::argmin: out.i32()[o] = int32_t(a.idx); break;
      case ReduceOp::mean: out.f32()[o] = float(a.v / double(R)); break;
      case ReduceOp::var: {
        double d = double(R) - correction;
        out.f32()[o] = d > 0 ? float(a.v / d) : std::numeric_limits<float>::quiet_NaN();
        break;
      }
      default:
        if (out.dtype == DType::f32) out.f32()[o] = float(a.v);
        else out.i32()[o] = int32_t(a.v);
    }
  };
  if (chunked) {
    for (int64_t o = 0; o < nout; ++o) store(o, one(o));
    return;
  }
  int64_t grain = R >= 4096 ? 1 : 4096 / (R ? R : 1);
  parallel_for(0, nout, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t o = lo; o < hi; ++o) store(o, one(o));
  });
}

}  // namespace

void reduce(ReduceOp op, const TensorRef& in, const TensorRef& out, const ReduceParams& p) {
  DS_CHECK(p.begin >= 0 && p.begin <= p.end && p.end <= in.ndim, "reduce: axes");
  int64_t outer = 1, R = 1, inner = 1;
  for (int d = 0; d < p.begin; ++d) outer *= in.shape[d];
  for (int d = p.begin; d < p.end; ++d) R *= in.shape[d];
  for (int d = p.end; d < in.ndim; ++d) inner *= in.shape[d];
  DS_CHECK(out.numel() == outer * inner, "reduce: output size");
  if ((op == ReduceOp::max || op == ReduceOp::min || op == ReduceOp::argmax || op == ReduceOp::argmin) && R == 0)
    fail("cannot take " + std::string(op == ReduceOp::max || op == ReduceOp::argmax ? "max" : "min") + " of an empty axis");
  if (in.dtype == DType::f32) run<float>(op, in, out, outer, R, inner, p.correction);
  else run<int32_t>(op, in, out, outer, R, inner, p.correction);
}

}  // namespace ds::cpu

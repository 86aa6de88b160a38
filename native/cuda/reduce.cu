// CUDA reductions: sum, mean, max, min, argmax, argmin and var over one contiguous block of axes, the input
// seen as [outer, R, inner] (the CPU's decomposition, native/cpu/reduce.cpp; JS permutes other axis sets
// together first). Outputs are [outer * inner], row-major.
//
// Algorithm: a block of 256 threads is TX x TY, TX threads along `inner` (1 when inner == 1, else the
// power of two covering it, at most 32) and TY = 256 / TX along R, so global reads are coalesced in both
// cases. Each thread folds the rows r = ty, ty + TY, ... of its column in order; the TY partials of a column
// are combined by a shuffle-down tree inside each warp and then in warp order through shared memory. When
// there are too few columns to fill the GPU and R is long, R is split into chunks (grid.y): each block
// writes a partial, and a second kernel folds the partials of an output in chunk order. No atomics: the
// result depends only on the input and its shape (and the GPU's multiprocessor count).
//
// Semantics as the CPU: sums (and mean, var) accumulate in double; var is two-pass (the mean first, then
// the squared deviations) and divides by R - correction (NaN when that is not positive); max/min/argmax/
// argmin keep the first occurrence and let NaN win (the smallest index of a NaN), as a sequential fold
// does; int32 sums stay int32.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/indexing.cuh"
#include "cuda/reduce.cuh"
#include "ops/reduce.h"

namespace ds::cuda {
namespace {

constexpr int kBlock = 256;  // threads per reduction block: TX * TY
constexpr int kWarps = kBlock / 32;

// Where a reduced value goes.
struct Store {
  ReduceOp op;
  void* out;          // float32 or int32, per out_f32
  bool out_f32;
  double R;           // the reduced count
  double correction;  // var
  double* means;      // first pass of var: the means (double), instead of `out`
};

// Sums: sum, mean, and the first (mean) pass of var.
struct SumPolicy {
  using A = double;
  __device__ static A init() { return 0.0; }
  template <class T>
  __device__ static void fold(A& a, T x, int64_t, double) { a += double(x); }
  __device__ static A combine(A a, A b) { return a + b; }
  __device__ static A shfl(A a, int off) { return shfl_down(a, off); }
  __device__ static void store(const Store& s, int64_t o, A v) {
    if (s.means) s.means[o] = v / s.R;
    else if (s.op == ReduceOp::mean) static_cast<float*>(s.out)[o] = float(v / s.R);
    else if (s.out_f32) static_cast<float*>(s.out)[o] = float(v);
    else static_cast<int32_t*>(s.out)[o] = int32_t(v);
  }
};

// Second pass of var: the sum of squared deviations from the row's mean.
struct SqDevPolicy : SumPolicy {
  template <class T>
  __device__ static void fold(A& a, T x, int64_t, double mean) {
    double d = double(x) - mean;
    a += d * d;
  }
  __device__ static void store(const Store& s, int64_t o, A v) {
    double d = s.R - s.correction;
    static_cast<float*>(s.out)[o] = d > 0 ? float(v / d) : __int_as_float(0x7fc00000);  // quiet NaN
  }
};

// max/min (and arg-): the value and its index. `idx < 0` marks an empty accumulator.
template <class T, bool MAX>
struct ExtPolicy {
  struct A {
    T v;
    int64_t idx;
  };
  __device__ static A init() { return A{T(0), -1}; }
  // Whether (x, r) replaces a: NaN wins (the first NaN), then the larger (smaller) value, then the smaller
  // index, which is what a sequential fold in index order keeps.
  __device__ static bool better(const A& a, T x, int64_t r) {
    if (a.idx < 0) return true;
    bool an = a.v != a.v, xn = x != x;
    if (an || xn) return an && xn ? r < a.idx : xn;
    if (MAX ? x > a.v : x < a.v) return true;
    return x == a.v && r < a.idx;
  }
  __device__ static void fold(A& a, T x, int64_t r, double) {
    if (better(a, x, r)) a = A{x, r};
  }
  __device__ static A combine(A a, A b) { return b.idx >= 0 && better(a, b.v, b.idx) ? b : a; }
  __device__ static A shfl(A a, int off) { return A{shfl_down(a.v, off), shfl_down(a.idx, off)}; }
  __device__ static void store(const Store& s, int64_t o, A a) {
    if (s.op == ReduceOp::argmax || s.op == ReduceOp::argmin) static_cast<int32_t*>(s.out)[o] = int32_t(a.idx);
    else if (s.out_f32) static_cast<float*>(s.out)[o] = float(a.v);
    else static_cast<int32_t*>(s.out)[o] = int32_t(a.v);
  }
};

struct Geometry {
  int64_t outer, R, inner;
  int64_t tiles_inner;  // ceil(inner / TX)
  int64_t chunk;        // rows of R per chunk
  int nchunks;
};

// One block reduces TX columns of one `outer` row over one chunk of R; grid.x walks the column tiles,
// grid.y the chunks. Writes the result (one chunk) or the chunk's partial.
template <class T, class P>
__global__ void __launch_bounds__(kBlock) reduce_kernel(const T* __restrict__ x, Geometry g, const double* __restrict__ means,
                                                        typename P::A* __restrict__ partial, Store st) {
  using A = typename P::A;
  __shared__ A sh[kWarps][32];
  const int tx = threadIdx.x, ty = threadIdx.y, TX = blockDim.x, TY = blockDim.y;
  const int tid = ty * TX + tx, lane = tid & 31, warp = tid >> 5;
  const int64_t nout = g.outer * g.inner;
  const int64_t tiles = g.outer * g.tiles_inner;
  const int c = blockIdx.y;
  const int64_t r0 = int64_t(c) * g.chunk, r1 = min(g.R, r0 + g.chunk);
  for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const int64_t oo = t / g.tiles_inner;
    const int64_t ii = (t % g.tiles_inner) * TX + tx;
    const bool valid = ii < g.inner;
    const int64_t o = oo * g.inner + ii;
    A a = P::init();
    if (valid) {
      const T* base = x + oo * g.R * g.inner + ii;
      const double m = means ? means[o] : 0.0;
      for (int64_t r = r0 + ty; r < r1; r += TY) P::fold(a, base[r * g.inner], r, m);
    }
    // Lanes l and l + off hold the same column when off is a multiple of TX (both powers of two).
    for (int off = 16; off >= TX; off >>= 1) a = P::combine(a, P::shfl(a, off));
    if (lane < TX) sh[warp][lane] = a;
    __syncthreads();
    if (tid < TX) {  // ty == 0: this thread's column is tx == tid
      A r = sh[0][tid];
      for (int w = 1; w < kWarps; ++w) r = P::combine(r, sh[w][tid]);
      if (valid) {
        if (g.nchunks == 1) P::store(st, o, r);
        else partial[int64_t(c) * nout + o] = r;
      }
    }
    __syncthreads();
  }
}

// Folds the chunk partials of each output in chunk order.
template <class P>
__global__ void finish_kernel(const typename P::A* __restrict__ partial, int64_t nout, int nchunks, Store st) {
  for (int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; o < nout; o += int64_t(gridDim.x) * blockDim.x) {
    typename P::A r = partial[o];
    for (int c = 1; c < nchunks; ++c) r = P::combine(r, partial[int64_t(c) * nout + o]);
    P::store(st, o, r);
  }
}

const char* op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return "sum";
    case ReduceOp::mean: return "mean";
    case ReduceOp::max: return "max";
    case ReduceOp::min: return "min";
    case ReduceOp::argmax: return "argmax";
    case ReduceOp::argmin: return "argmin";
    case ReduceOp::var: return "var";
  }
  return "reduce";
}

template <class T, class P>
void run_pass(const TensorRef& in, const Geometry& g, dim3 block, const double* means, const Store& st, ReduceOp op) {
  cudaStream_t s = stream(in.device.index);
  const int64_t nout = g.outer * g.inner;
  const int64_t tiles = g.outer * g.tiles_inner;
  const dim3 grid{unsigned(cap_blocks(tiles)), unsigned(g.nchunks), 1u};
  if (g.nchunks == 1) {
    reduce_kernel<T, P><<<grid, block, 0, s>>>(in.ptr<T>(), g, means, nullptr, st);
    check_launch(op_name(op));
    return;
  }
  Scratch partial(in.device, size_t(g.nchunks) * size_t(nout) * sizeof(typename P::A));
  reduce_kernel<T, P><<<grid, block, 0, s>>>(in.ptr<T>(), g, means, partial.as<typename P::A>(), st);
  check_launch(op_name(op));
  finish_kernel<P><<<grid_for(nout), kThreads, 0, s>>>(partial.as<typename P::A>(), nout, g.nchunks, st);
  check_launch(op_name(op));
}

template <class T>
void run(ReduceOp op, const TensorRef& in, const TensorRef& out, int64_t outer, int64_t R, int64_t inner,
         double correction) {
  Geometry g{outer, R, inner, 0, 0, 1};
  int TX = 1;
  if (inner >= 32) TX = 32;
  else while (TX < inner) TX *= 2;
  const int TY = kBlock / TX;
  g.tiles_inner = (inner + TX - 1) / TX;
  const int64_t tiles = outer * g.tiles_inner;
  // Few columns and a long R: split R so that about 8 blocks per multiprocessor have work, each chunk
  // still giving every thread at least 32 rows.
  const int64_t target = 8 * int64_t(multiprocessors(in.device.index));
  g.chunk = R;
  if (tiles < target && R >= 2 * int64_t(TY) * 32) {
    int64_t n = std::min<int64_t>({(target + tiles - 1) / tiles, R / (int64_t(TY) * 32), 1024});
    if (n > 1) {
      g.chunk = (R + n - 1) / n;
      g.nchunks = int((R + g.chunk - 1) / g.chunk);
    }
  }
  const dim3 block{unsigned(TX), unsigned(TY), 1u};
  Store st{op, out.data, out.dtype == DType::f32, double(R), correction, nullptr};
  switch (op) {
    case ReduceOp::sum: case ReduceOp::mean: return run_pass<T, SumPolicy>(in, g, block, nullptr, st, op);
    case ReduceOp::max: case ReduceOp::argmax: return run_pass<T, ExtPolicy<T, true>>(in, g, block, nullptr, st, op);
    case ReduceOp::min: case ReduceOp::argmin: return run_pass<T, ExtPolicy<T, false>>(in, g, block, nullptr, st, op);
    case ReduceOp::var: {
      Scratch means(in.device, size_t(outer * inner) * sizeof(double));
      Store first = st;
      first.means = means.as<double>();
      run_pass<T, SumPolicy>(in, g, block, nullptr, first, op);
      run_pass<T, SqDevPolicy>(in, g, block, means.as<double>(), st, op);
      return;
    }
  }
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
  if (outer * inner == 0) return;
  if (in.dtype == DType::f32) run<float>(op, in, out, outer, R, inner, p.correction);
  else run<int32_t>(op, in, out, outer, R, inner, p.correction);
}

}  // namespace ds::cuda

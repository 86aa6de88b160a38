// CUDA softmax / log_softmax (forward, backward), the fused cross-entropy / NLL losses and elementwise BCE.
//
// softmax: the input is [outer, C, inner] and normalised along C (as native/cpu/softmax.cpp).
//   inner == 1 (the last axis): rows are contiguous; one warp per row when C <= 1024, else one block of
//   256 threads per row. Three sweeps over the row: max (NaN wins), sum of exp(x - max) in double, write.
//   inner > 1: one thread per (outer, inner) column walking C with stride inner (coalesced across the
//   threads of a warp), the same three sweeps in registers.
//   Exponentials are float32 (expf of the float difference x - max, which is what the CPU's double
//   difference rounds to); sums, the log-sum-exp shift and the final scaling are double, as on the CPU.
//   Every reduction is a fixed shuffle tree: deterministic.
// cross_entropy / nll_loss: logits (or log-probs) [N, C, S...] with targets [N, S...]; one warp per target
//   position k (its row x[n, :, s], stride S). A single-block kernel first validates the targets and sums
//   the weights of the non-ignored ones (the 'mean' divisor) and of all classes; the op reads the first bad
//   position back and fails with the CPU's message before anything reads out of bounds. Reduced losses
//   are summed by one block in a fixed order (double).
// binary_cross_entropy(_with_logits): elementwise in double, the CPU's formulas; probabilities outside
//   [0, 1] fail the op naming the first such position (found with an integer atomicMin: deterministic).
#include <cstdint>
#include <string>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/indexing.cuh"
#include "cuda/reduce.cuh"
#include "ops/softmax.h"

namespace ds::cuda {
namespace {

constexpr float kNegInf = -__builtin_huge_valf();

__device__ __forceinline__ float nan_max(float a, float v) { return (v > a || v != v) ? v : a; }

struct Geometry {
  int64_t outer = 1, C = 1, inner = 1;
};

Geometry geometry(const TensorRef& x, int dim) {
  Geometry g;
  if (x.ndim == 0) return g;
  DS_CHECK(dim >= 0 && dim < x.ndim, "softmax: dim");
  for (int d = 0; d < dim; ++d) g.outer *= x.shape[d];
  g.C = x.shape[dim];
  for (int d = dim + 1; d < x.ndim; ++d) g.inner *= x.shape[d];
  return g;
}

// Reduction over the G threads that share a row: a warp (G == 32) or the whole block.
template <int G>
struct Group {
  template <class T, class Op>
  __device__ static T all(T v, Op op) {
    if constexpr (G == 32) {
      return warp_allreduce(v, op);
    } else {
      __shared__ T sh[32];
      return block_allreduce(v, op, sh);
    }
  }
};

// ------------------------------------------------------------------------------------------- softmax

// Contiguous rows of length C; `lane` in [0, G) is this thread's place in its row's group.
template <int G>
__device__ void softmax_row(const float* __restrict__ x, float* __restrict__ y, int64_t C, int lane, bool log) {
  float mx = kNegInf;
  for (int64_t c = lane; c < C; c += G) mx = nan_max(mx, x[c]);
  mx = Group<G>::all(mx, NanMaxOp());
  double sum = 0;
  for (int64_t c = lane; c < C; c += G) sum += double(expf(x[c] - mx));
  sum = Group<G>::all(sum, SumOp());
  if (log) {
    const double shift = double(mx) + ::log(sum);
    for (int64_t c = lane; c < C; c += G) y[c] = float(double(x[c]) - shift);
  } else {
    const double inv = 1.0 / sum;
    for (int64_t c = lane; c < C; c += G) y[c] = float(double(expf(x[c] - mx)) * inv);
  }
}

template <int G>
__device__ void softmax_backward_row(const float* __restrict__ y, const float* __restrict__ gy, float* __restrict__ gx,
                                     int64_t C, int lane, bool log) {
  double acc = 0;
  if (log) for (int64_t c = lane; c < C; c += G) acc += double(gy[c]);
  else for (int64_t c = lane; c < C; c += G) acc += double(gy[c]) * double(y[c]);
  acc = Group<G>::all(acc, SumOp());
  if (log) for (int64_t c = lane; c < C; c += G) gx[c] = float(double(gy[c]) - double(expf(y[c])) * acc);
  else for (int64_t c = lane; c < C; c += G) gx[c] = float(double(y[c]) * (double(gy[c]) - acc));
}

// One warp per row, blockDim.x / 32 rows per block.
__global__ void softmax_warp_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows, int64_t C, bool log) {
  const int lane = threadIdx.x & 31;
  const int64_t wpb = blockDim.x >> 5;
  for (int64_t r = blockIdx.x * wpb + (threadIdx.x >> 5); r < rows; r += int64_t(gridDim.x) * wpb)
    softmax_row<32>(x + r * C, y + r * C, C, lane, log);
}

// One block per row (block-wide reductions: every thread of the block walks the same rows).
__global__ void softmax_block_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows, int64_t C, bool log) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) softmax_row<kThreads>(x + r * C, y + r * C, C, threadIdx.x, log);
}

__global__ void softmax_backward_warp_kernel(const float* __restrict__ y, const float* __restrict__ gy, float* __restrict__ gx,
                                             int64_t rows, int64_t C, bool log) {
  const int lane = threadIdx.x & 31;
  const int64_t wpb = blockDim.x >> 5;
  for (int64_t r = blockIdx.x * wpb + (threadIdx.x >> 5); r < rows; r += int64_t(gridDim.x) * wpb)
    softmax_backward_row<32>(y + r * C, gy + r * C, gx + r * C, C, lane, log);
}

__global__ void softmax_backward_block_kernel(const float* __restrict__ y, const float* __restrict__ gy,
                                              float* __restrict__ gx, int64_t rows, int64_t C, bool log) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x)
    softmax_backward_row<kThreads>(y + r * C, gy + r * C, gx + r * C, C, threadIdx.x, log);
}

// inner > 1: one thread per column (o, i), reading x[o, c, i] for c in [0, C).
__global__ void softmax_column_kernel(const float* __restrict__ x, float* __restrict__ y, Geometry g, bool log) {
  const int64_t cols = g.outer * g.inner, S = g.inner;
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < cols; k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t base = (k / S) * g.C * S + k % S;
    const float* xr = x + base;
    float* yr = y + base;
    float mx = kNegInf;
    for (int64_t c = 0; c < g.C; ++c) mx = nan_max(mx, xr[c * S]);
    double sum = 0;
    for (int64_t c = 0; c < g.C; ++c) sum += double(expf(xr[c * S] - mx));
    if (log) {
      const double shift = double(mx) + ::log(sum);
      for (int64_t c = 0; c < g.C; ++c) yr[c * S] = float(double(xr[c * S]) - shift);
    } else {
      const double inv = 1.0 / sum;
      for (int64_t c = 0; c < g.C; ++c) yr[c * S] = float(double(expf(xr[c * S] - mx)) * inv);
    }
  }
}

__global__ void softmax_backward_column_kernel(const float* __restrict__ y, const float* __restrict__ gy,
                                               float* __restrict__ gx, Geometry g, bool log) {
  const int64_t cols = g.outer * g.inner, S = g.inner;
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < cols; k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t base = (k / S) * g.C * S + k % S;
    const float* yr = y + base;
    const float* gr = gy + base;
    float* o = gx + base;
    double acc = 0;
    if (log) for (int64_t c = 0; c < g.C; ++c) acc += double(gr[c * S]);
    else for (int64_t c = 0; c < g.C; ++c) acc += double(gr[c * S]) * double(yr[c * S]);
    if (log) for (int64_t c = 0; c < g.C; ++c) o[c * S] = float(double(gr[c * S]) - double(expf(yr[c * S])) * acc);
    else for (int64_t c = 0; c < g.C; ++c) o[c * S] = float(double(yr[c * S]) * (double(gr[c * S]) - acc));
  }
}

constexpr int64_t kWarpRowMax = 1024;  // rows up to this length get one warp each

int grid_for_rows(int64_t rows, int rows_per_block) { return cap_blocks((rows + rows_per_block - 1) / rows_per_block); }

}  // namespace

void softmax_forward(const TensorRef& x, const TensorRef& y, const SoftmaxParams& p, bool log) {
  DS_CHECK(x.numel() == y.numel(), "softmax: output size");
  Geometry g = geometry(x, p.dim);
  if (g.outer * g.inner == 0 || g.C == 0) return;
  cudaStream_t s = stream(y.device.index);
  const char* name = log ? "log_softmax" : "softmax";
  if (g.inner == 1) {
    if (g.C <= kWarpRowMax)
      softmax_warp_kernel<<<grid_for_rows(g.outer, kThreads / 32), kThreads, 0, s>>>(x.f32(), y.f32(), g.outer, g.C, log);
    else
      softmax_block_kernel<<<grid_for_rows(g.outer, 1), kThreads, 0, s>>>(x.f32(), y.f32(), g.outer, g.C, log);
  } else {
    softmax_column_kernel<<<grid_for(g.outer * g.inner), kThreads, 0, s>>>(x.f32(), y.f32(), g, log);
  }
  check_launch(name);
}

void softmax_backward(const TensorRef& y, const TensorRef& gy, const TensorRef& gx, const SoftmaxParams& p, bool log) {
  DS_CHECK(y.numel() == gy.numel() && y.numel() == gx.numel(), "softmax_backward: sizes");
  Geometry g = geometry(y, p.dim);
  if (g.outer * g.inner == 0 || g.C == 0) return;
  cudaStream_t s = stream(gx.device.index);
  const char* name = log ? "log_softmax_backward" : "softmax_backward";
  if (g.inner == 1) {
    if (g.C <= kWarpRowMax)
      softmax_backward_warp_kernel<<<grid_for_rows(g.outer, kThreads / 32), kThreads, 0, s>>>(y.f32(), gy.f32(), gx.f32(),
                                                                                             g.outer, g.C, log);
    else
      softmax_backward_block_kernel<<<grid_for_rows(g.outer, 1), kThreads, 0, s>>>(y.f32(), gy.f32(), gx.f32(), g.outer,
                                                                                  g.C, log);
  } else {
    softmax_backward_column_kernel<<<grid_for(g.outer * g.inner), kThreads, 0, s>>>(y.f32(), gy.f32(), gx.f32(), g, log);
  }
  check_launch(name);
}

// ------------------------------------------------------------------------------------------ NLL / CE

namespace {

struct NllGeometry {
  int64_t N = 1, C = 1, S = 1;
};

NllGeometry nll_geometry(const TensorRef& x, const TensorRef& target) {
  NllGeometry g;
  DS_CHECK(x.ndim >= 1, "nll: input rank");
  if (x.ndim == 1) {
    g.C = x.shape[0];
  } else {
    g.N = x.shape[0];
    g.C = x.shape[1];
    for (int d = 2; d < x.ndim; ++d) g.S *= x.shape[d];
  }
  DS_CHECK(target.numel() == g.N * g.S, "nll: target size");
  return g;
}

// What the validation pass leaves on the device (and the host reads back).
struct NllPrep {
  double total_w;    // summed weight of the non-ignored targets: the 'mean' divisor
  double wsum;       // summed weight of all classes (label smoothing)
  long long bad;     // first position of an out-of-range target, n when none
  long long bad_value;
};

struct MinOp {
  __device__ __forceinline__ long long operator()(long long a, long long b) const { return b < a ? b : a; }
};

constexpr int kPrepThreads = 1024;

// One block: validates every target and sums the weights, in a fixed order.
__global__ void __launch_bounds__(kPrepThreads) nll_prepare_kernel(const int32_t* __restrict__ t, int64_t n, int64_t C,
                                                                   const float* __restrict__ w, int64_t ignore,
                                                                   NllPrep* __restrict__ prep) {
  __shared__ double shd[32];
  __shared__ long long shl[32];
  double tw = 0;
  long long bad = n;
  for (int64_t k = threadIdx.x; k < n; k += blockDim.x) {
    int64_t v = t[k];
    if (v == ignore) continue;
    if (v < 0 || v >= C) {
      if (k < bad) bad = k;
      continue;
    }
    tw += w ? double(w[v]) : 1.0;
  }
  double ws = 0;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) ws += w ? double(w[c]) : 1.0;
  tw = block_allreduce(tw, SumOp(), shd);
  ws = block_allreduce(ws, SumOp(), shd);
  bad = block_allreduce(bad, MinOp(), shl);
  if (threadIdx.x == 0) {
    prep->total_w = tw;
    prep->wsum = ws;
    prep->bad = bad;
    prep->bad_value = bad < n ? t[bad] : 0;
  }
}

struct NllArgs {
  int64_t N, C, S;
  int64_t ignore;
  double eps;  // label smoothing
  bool logits;
  Reduction reduction;
};

// The row of target position k: x[k / S, :, k % S], element c at row[c * S].
__device__ __forceinline__ int64_t row_base(const NllArgs& a, int64_t k) { return (k / a.S) * a.C * a.S + k % a.S; }

// Row max and sum of exp(x - max) over the warp (every lane gets both); (max, sum) = (0, 1) for log-probs.
__device__ __forceinline__ void row_stats(const float* row, const NllArgs& a, int lane, float& mx, double& s) {
  if (!a.logits) {
    mx = 0.f;
    s = 1.0;
    return;
  }
  mx = kNegInf;
  for (int64_t c = lane; c < a.C; c += 32) mx = nan_max(mx, row[c * a.S]);
  mx = warp_allreduce(mx, NanMaxOp());
  s = 0;
  for (int64_t c = lane; c < a.C; c += 32) s += double(expf(row[c * a.S] - mx));
  s = warp_allreduce(s, SumOp());
}

// One warp per target position: the per-position loss into per[k] (reduced) or out[k] (none).
__global__ void nll_forward_kernel(const float* __restrict__ x, const int32_t* __restrict__ t, const float* __restrict__ w,
                                   NllArgs a, double* __restrict__ per, float* __restrict__ out) {
  const int lane = threadIdx.x & 31;
  const int64_t wpb = blockDim.x >> 5, n = a.N * a.S;
  for (int64_t k = blockIdx.x * wpb + (threadIdx.x >> 5); k < n; k += int64_t(gridDim.x) * wpb) {
    const int64_t tk = t[k];
    double l = 0;
    if (tk != a.ignore) {
      const float* row = x + row_base(a, k);
      float mx;
      double s;
      row_stats(row, a, lane, mx, s);
      const double lse = a.logits ? double(mx) + ::log(s) : 0.0;
      l = (w ? double(w[tk]) : 1.0) * (lse - double(row[tk * a.S]));
      if (a.eps != 0) {
        double smooth = 0;
        for (int64_t c = lane; c < a.C; c += 32) smooth += (w ? double(w[c]) : 1.0) * (lse - double(row[c * a.S]));
        smooth = warp_allreduce(smooth, SumOp());
        l = (1 - a.eps) * l + a.eps / double(a.C) * smooth;
      }
    }
    if (lane == 0) {
      if (per) per[k] = l;
      else out[k] = float(l);
    }
  }
}

// One block: out[0] = sum(per) (divided by the summed target weight for 'mean').
__global__ void __launch_bounds__(kPrepThreads) nll_reduce_kernel(const double* __restrict__ per, int64_t n,
                                                                  const NllPrep* __restrict__ prep, bool mean,
                                                                  float* __restrict__ out) {
  __shared__ double sh[32];
  double s = 0;
  for (int64_t k = threadIdx.x; k < n; k += blockDim.x) s += per[k];
  s = block_allreduce(s, SumOp(), sh);
  if (threadIdx.x == 0) out[0] = float(mean ? s / prep->total_w : s);
}

// One warp per target position: the gradient row gx[k / S, :, k % S].
__global__ void nll_backward_kernel(const float* __restrict__ x, const int32_t* __restrict__ t, const float* __restrict__ w,
                                    const float* __restrict__ gl, const NllPrep* __restrict__ prep, NllArgs a,
                                    float* __restrict__ gx) {
  const int lane = threadIdx.x & 31;
  const int64_t wpb = blockDim.x >> 5, n = a.N * a.S;
  for (int64_t k = blockIdx.x * wpb + (threadIdx.x >> 5); k < n; k += int64_t(gridDim.x) * wpb) {
    const int64_t base = row_base(a, k);
    const float* row = x + base;
    float* orow = gx + base;
    const int64_t tk = t[k];
    if (tk == a.ignore) {
      for (int64_t c = lane; c < a.C; c += 32) orow[c * a.S] = 0.f;
      continue;
    }
    const double scale = a.reduction == Reduction::none ? double(gl[k])
                         : a.reduction == Reduction::sum ? double(gl[0])
                                                         : double(gl[0]) / prep->total_w;
    const double wt = w ? double(w[tk]) : 1.0;
    const double ca = (1 - a.eps) * wt;       // weight of the target's one-hot term
    const double cb = a.eps / double(a.C);    // weight of the uniform term
    if (a.logits) {
      // d/dx_c of a·(lse − x_t) + b·Σ_k w_k (lse − x_k) = (a + b·W)·p_c − a·δ_ct − b·w_c
      float mx;
      double s;
      row_stats(row, a, lane, mx, s);
      const double coef = ca + cb * prep->wsum;
      const double inv = 1.0 / s;
      for (int64_t c = lane; c < a.C; c += 32) {
        double pc = double(expf(row[c * a.S] - mx)) * inv;
        double v = coef * pc - (c == tk ? ca : 0.0) - cb * (w ? double(w[c]) : 1.0);
        orow[c * a.S] = float(scale * v);
      }
    } else {
      for (int64_t c = lane; c < a.C; c += 32) {
        double v = -(c == tk ? ca : 0.0) - cb * (w ? double(w[c]) : 1.0);
        orow[c * a.S] = float(scale * v);
      }
    }
  }
}

// Validates the targets on the device; fails with the CPU's message when one is out of range. Leaves the
// weight sums in `prep` for the kernels that follow.
void nll_prepare(const TensorRef& target, const float* w, const NllGeometry& g, const NllParams& p, NllPrep* prep) {
  const int64_t n = g.N * g.S;
  int dev = target.device.index;
  nll_prepare_kernel<<<1, kPrepThreads, 0, stream(dev)>>>(target.i32(), n, g.C, w, p.ignore_index, prep);
  check_launch(p.from_logits ? "cross_entropy" : "nll_loss");
  NllPrep host{};
  read_back(dev, &host, prep, sizeof(NllPrep));
  if (host.bad < n) {
    int64_t v = host.bad_value, k = host.bad;
    fail(p.op + ": target " + std::to_string(v) + " at position " + std::to_string(k) + " is out of range for " +
         std::to_string(g.C) + " classes (expected 0.." + std::to_string(g.C - 1) + " or ignoreIndex " +
         std::to_string(p.ignore_index) + ")");
  }
}

NllArgs nll_args(const NllGeometry& g, const NllParams& p) {
  return NllArgs{g.N, g.C, g.S, p.ignore_index, p.label_smoothing, p.from_logits, p.reduction};
}

}  // namespace

void nll_forward(const TensorRef& x, const TensorRef& target, const TensorRef& weight, const TensorRef& loss,
                 const NllParams& p) {
  NllGeometry g = nll_geometry(x, target);
  const float* w = weight.defined ? weight.f32() : nullptr;
  DS_CHECK(!w || weight.numel() == g.C, "nll: weight size");
  const int64_t n = g.N * g.S;
  DS_CHECK(loss.numel() == (p.reduction == Reduction::none ? n : 1), "nll: loss size");
  Scratch prep(x.device, sizeof(NllPrep));
  nll_prepare(target, w, g, p, prep.as<NllPrep>());
  const char* name = p.from_logits ? "cross_entropy" : "nll_loss";
  cudaStream_t s = stream(x.device.index);
  const NllArgs a = nll_args(g, p);
  if (p.reduction == Reduction::none) {
    if (n == 0) return;
    nll_forward_kernel<<<grid_for_rows(n, kThreads / 32), kThreads, 0, s>>>(x.f32(), target.i32(), w, a, nullptr, loss.f32());
    check_launch(name);
    return;
  }
  Scratch per(x.device, size_t(n) * sizeof(double));
  if (n > 0) {
    nll_forward_kernel<<<grid_for_rows(n, kThreads / 32), kThreads, 0, s>>>(x.f32(), target.i32(), w, a,
                                                                             per.as<double>(), nullptr);
    check_launch(name);
  }
  nll_reduce_kernel<<<1, kPrepThreads, 0, s>>>(per.as<double>(), n, prep.as<NllPrep>(), p.reduction == Reduction::mean,
                                               loss.f32());
  check_launch(name);
}

void nll_backward(const TensorRef& x, const TensorRef& target, const TensorRef& weight, const TensorRef& gloss,
                  const TensorRef& gx, const NllParams& p) {
  NllGeometry g = nll_geometry(x, target);
  DS_CHECK(gx.numel() == x.numel(), "nll_backward: gradient size");
  const float* w = weight.defined ? weight.f32() : nullptr;
  DS_CHECK(!w || weight.numel() == g.C, "nll: weight size");
  const int64_t n = g.N * g.S;
  DS_CHECK(gloss.numel() == (p.reduction == Reduction::none ? n : 1), "nll_backward: loss gradient size");
  Scratch prep(x.device, sizeof(NllPrep));
  nll_prepare(target, w, g, p, prep.as<NllPrep>());
  if (n == 0 || g.C == 0) return;
  nll_backward_kernel<<<grid_for_rows(n, kThreads / 32), kThreads, 0, stream(gx.device.index)>>>(
      x.f32(), target.i32(), w, gloss.f32(), prep.as<NllPrep>(), nll_args(g, p), gx.f32());
  check_launch(p.from_logits ? "cross_entropy_backward" : "nll_loss_backward");
}

// ------------------------------------------------------------------------------------------------ BCE

namespace {

// std::max's rule (the first argument unless it is less; NaN stays), not fmax's (NaN loses), as the CPU.
__device__ __forceinline__ double max_of(double a, double b) { return a < b ? b : a; }
__device__ __forceinline__ double softplus_neg(double x) { return log1p(exp(-fabs(x))) + max_of(-x, 0.0); }
__device__ __forceinline__ double sigmoid(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }
__device__ __forceinline__ double clamped_log(double v) { return max_of(::log(v), -100.0); }
__device__ __forceinline__ double clamped_log1m(double v) { return max_of(log1p(-v), -100.0); }

__global__ void set_kernel(unsigned long long* p, unsigned long long v) { *p = v; }

// bad = the smallest i with x[i] outside [0, 1] (NaN included); left at n when there is none.
__global__ void find_bad_prob_kernel(const float* __restrict__ x, int64_t n, unsigned long long* bad) {
  unsigned long long first = (unsigned long long)n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    float v = x[i];
    if (!(v >= 0.f && v <= 1.f)) {
      first = (unsigned long long)i;
      break;  // this thread's later indices are larger
    }
  }
  if (first < (unsigned long long)n) atomicMin(bad, first);
}

void check_probs(const TensorRef& x) {
  const int64_t n = x.numel();
  if (n == 0) return;
  const int dev = x.device.index;
  cudaStream_t s = stream(dev);
  Scratch bad(x.device, sizeof(unsigned long long));
  set_kernel<<<1, 1, 0, s>>>(bad.as<unsigned long long>(), (unsigned long long)n);
  check_launch("binary_cross_entropy");
  find_bad_prob_kernel<<<grid_for(n), kThreads, 0, s>>>(x.f32(), n, bad.as<unsigned long long>());
  check_launch("binary_cross_entropy");
  unsigned long long first = 0;
  read_back(dev, &first, bad.as<unsigned long long>(), sizeof(first));
  if (first < (unsigned long long)n) {
    float v = 0;
    read_back(dev, &v, x.f32() + first, sizeof(float));
    fail("binaryCrossEntropy: all elements of input should be between 0 and 1, got " + std::to_string(v) +
         " at position " + std::to_string(first));
  }
}

__global__ void bce_forward_kernel(const float* __restrict__ xs, const float* __restrict__ ts, const float* __restrict__ ws,
                                   const float* __restrict__ ps, float* __restrict__ out, int64_t n, bool logits) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    double xv = xs[i], tv = ts[i];
    double l;
    if (logits) {
      double lw = ps ? 1 + (double(ps[i]) - 1) * tv : 1.0;
      l = (1 - tv) * xv + lw * softplus_neg(xv);
    } else {
      l = -(tv * clamped_log(xv) + (1 - tv) * clamped_log1m(xv));
    }
    out[i] = float(ws ? l * double(ws[i]) : l);
  }
}

__global__ void bce_backward_kernel(const float* __restrict__ xs, const float* __restrict__ ts, const float* __restrict__ ws,
                                    const float* __restrict__ ps, const float* __restrict__ gs, float* __restrict__ ox,
                                    float* __restrict__ ot, int64_t n, bool logits) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    double xv = xs[i], tv = ts[i];
    double s = double(gs[i]) * (ws ? double(ws[i]) : 1.0);
    double dx, dt;
    if (logits) {
      double pwv = ps ? double(ps[i]) : 1.0;
      double lw = 1 + (pwv - 1) * tv;
      dx = lw * sigmoid(xv) - pwv * tv;
      dt = -xv + (pwv - 1) * softplus_neg(xv);
    } else {
      // PyTorch: (x − t) / max(x (1 − x), 1e-12)
      dx = (xv - tv) / max_of(xv * (1 - xv), 1e-12);
      dt = clamped_log1m(xv) - clamped_log(xv);
    }
    ox[i] = float(s * dx);
    if (ot) ot[i] = float(s * dt);
  }
}

}  // namespace

void bce_forward(const TensorRef& x, const TensorRef& t, const TensorRef& w, const TensorRef& pw, const TensorRef& loss,
                 const BceParams& p) {
  const int64_t n = x.numel();
  DS_CHECK(t.numel() == n && loss.numel() == n, "bce: sizes");
  DS_CHECK(!w.defined || w.numel() == n, "bce: weight size");
  DS_CHECK(!pw.defined || pw.numel() == n, "bce: pos_weight size");
  if (!p.logits) check_probs(x);
  if (n == 0) return;
  bce_forward_kernel<<<grid_for(n), kThreads, 0, stream(loss.device.index)>>>(
      x.f32(), t.f32(), w.defined ? w.f32() : nullptr, pw.defined ? pw.f32() : nullptr, loss.f32(), n, p.logits);
  check_launch(p.logits ? "binary_cross_entropy_with_logits" : "binary_cross_entropy");
}

void bce_backward(const TensorRef& x, const TensorRef& t, const TensorRef& w, const TensorRef& pw, const TensorRef& g,
                  const TensorRef& gx, const TensorRef& gt, const BceParams& p) {
  const int64_t n = x.numel();
  DS_CHECK(t.numel() == n && g.numel() == n && gx.numel() == n, "bce_backward: sizes");
  DS_CHECK(!gt.defined || gt.numel() == n, "bce_backward: target gradient size");
  if (!p.logits) check_probs(x);
  if (n == 0) return;
  bce_backward_kernel<<<grid_for(n), kThreads, 0, stream(gx.device.index)>>>(
      x.f32(), t.f32(), w.defined ? w.f32() : nullptr, pw.defined ? pw.f32() : nullptr, g.f32(), gx.f32(),
      gt.defined ? gt.f32() : nullptr, n, p.logits);
  check_launch(p.logits ? "binary_cross_entropy_with_logits_backward" : "binary_cross_entropy_backward");
}

}  // namespace ds::cuda

// CUDA batch normalisation and local response normalisation over float32 tensors seen as [N, C, S]
// (ops/norm.h).
//
// Forward, training: one block per (n, c) slice computes the slice's count, mean and sum of squared
// deviations in double by Welford's update (each thread over its strided elements), merged up a fixed tree
// in shared memory by Chan's formula; one thread per channel then merges its N slices in n order and
// writes mean, invstd and the running statistics (momentum; unbiased variance). One read of x for the
// statistics, one for y. Eval: the running statistics. y = (x - mean) · (invstd · weight) + bias, as the
// CPU computes it in float.
// Backward: per slice, Σ gy and Σ gy·(x - mean) in double (block tree), merged per channel in n order into
// dbias, dweight and the float coefficients of dx = a·(gy - k1 - (x - mean)·k2).
// LRN: one thread per element walks its channel window in the CPU's order (forward: Σ x², backward:
// Σ gy·y/scale over the windows that hold the channel), float as on the CPU.
// No atomics: results depend only on the inputs and shapes. The CPU (native/cpu/norm.cpp) uses two passes
// over x for the statistics; the double accumulators make the two agree far below float resolution.
#include <cmath>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/indexing.cuh"
#include "ops/norm.h"

namespace ds::cuda {
namespace {

constexpr int kBlock = 256;

// Count, mean and M2 (sum of squared deviations) of a set of values.
struct Welford {
  double n = 0, mean = 0, m2 = 0;
  __device__ __forceinline__ void add(double v) {
    n += 1;
    const double d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  __device__ __forceinline__ void merge(const Welford& o) {
    if (o.n == 0) return;
    if (n == 0) {
      *this = o;
      return;
    }
    const double t = n + o.n, d = o.mean - mean;
    mean += d * o.n / t;
    m2 += o.m2 + d * d * n * o.n / t;
    n = t;
  }
};

// Folds the block's values of T (merge(a, b)) up a fixed tree; thread 0 gets the result.
template <class T, class F>
__device__ __forceinline__ T block_fold(T v, T* sh, F merge) {
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int s = kBlock / 2; s > 0; s >>= 1) {
    if (int(threadIdx.x) < s) sh[threadIdx.x] = merge(sh[threadIdx.x], sh[threadIdx.x + s]);
    __syncthreads();
  }
  const T r = sh[0];
  __syncthreads();
  return r;
}

__global__ void slice_stats(const float* __restrict__ x, Welford* __restrict__ part, int64_t slices, int64_t S) {
  __shared__ Welford sh[kBlock];
  for (int64_t t = blockIdx.x; t < slices; t += gridDim.x) {
    Welford w;
    for (int64_t i = threadIdx.x; i < S; i += kBlock) w.add(x[t * S + i]);
    const Welford r = block_fold(w, sh, [](Welford a, const Welford& b) {
      a.merge(b);
      return a;
    });
    if (threadIdx.x == 0) part[t] = r;
  }
}

struct Running {
  float* mean;  // null when absent
  float* var;
  double momentum, eps;
};

__global__ void channel_stats(const Welford* __restrict__ part, int64_t N, int64_t C, float* __restrict__ mean,
                              float* __restrict__ invstd, Running run) {
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += int64_t(gridDim.x) * blockDim.x) {
    Welford w;
    for (int64_t n = 0; n < N; ++n) w.merge(part[n * C + c]);
    const double var = w.m2 / w.n;
    mean[c] = float(w.mean);
    invstd[c] = float(1.0 / sqrt(var + run.eps));
    if (run.mean) {
      run.mean[c] = float((1.0 - run.momentum) * double(run.mean[c]) + run.momentum * w.mean);
      run.var[c] = float((1.0 - run.momentum) * double(run.var[c]) + run.momentum * var * w.n / (w.n - 1));
    }
  }
}

__global__ void eval_stats(const float* __restrict__ rmean, const float* __restrict__ rvar, int64_t C, double eps,
                           float* __restrict__ mean, float* __restrict__ invstd) {
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += int64_t(gridDim.x) * blockDim.x) {
    mean[c] = rmean[c];
    invstd[c] = float(1.0 / sqrt(double(rvar[c]) + eps));
  }
}

__global__ void normalize(const float* __restrict__ x, float* __restrict__ y, int64_t n, int64_t C, int64_t S,
                          const float* __restrict__ mean, const float* __restrict__ invstd, const float* __restrict__ w,
                          const float* __restrict__ b) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = e / S % C;
    const float a = __fmul_rn(invstd[c], w ? w[c] : 1.f);
    y[e] = __fadd_rn(__fmul_rn(__fsub_rn(x[e], mean[c]), a), b ? b[c] : 0.f);
  }
}

struct Sums {
  double g = 0, gx = 0;
};

__global__ void slice_grad_sums(const float* __restrict__ x, const float* __restrict__ gy, const float* __restrict__ mean,
                                Sums* __restrict__ part, int64_t slices, int64_t C, int64_t S) {
  __shared__ Sums sh[kBlock];
  for (int64_t t = blockIdx.x; t < slices; t += gridDim.x) {
    const double m = mean[t % C];
    Sums s;
    for (int64_t i = threadIdx.x; i < S; i += kBlock) {
      const double g = gy[t * S + i];
      s.g += g;
      s.gx += g * (double(x[t * S + i]) - m);
    }
    const Sums r = block_fold(s, sh, [](Sums a, const Sums& b) {
      a.g += b.g;
      a.gx += b.gx;
      return a;
    });
    if (threadIdx.x == 0) part[t] = r;
  }
}

// Per channel: dbias, dweight, and the coefficients a, k1, k2 of dx (coef[3c .. 3c + 2]).
__global__ void channel_grads(const Sums* __restrict__ part, int64_t N, int64_t C, double M, bool training,
                              const float* __restrict__ invstd, const float* __restrict__ w, float* __restrict__ dweight,
                              float* __restrict__ dbias, float* __restrict__ coef) {
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += int64_t(gridDim.x) * blockDim.x) {
    double sg = 0, sgx = 0;
    for (int64_t n = 0; n < N; ++n) sg += part[n * C + c].g, sgx += part[n * C + c].gx;
    const double iv = invstd[c];
    dbias[c] = float(sg);
    dweight[c] = float(sgx * iv);
    coef[3 * c] = float(iv * (w ? double(w[c]) : 1.0));
    coef[3 * c + 1] = training ? float(sg / M) : 0.f;
    coef[3 * c + 2] = training ? float(sgx / M * iv * iv) : 0.f;
  }
}

__global__ void grad_input(const float* __restrict__ x, const float* __restrict__ gy, const float* __restrict__ mean,
                           const float* __restrict__ coef, float* __restrict__ dx, int64_t n, int64_t C, int64_t S) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = e / S % C;
    const float t = __fsub_rn(__fsub_rn(gy[e], coef[3 * c + 1]), __fmul_rn(__fsub_rn(x[e], mean[c]), coef[3 * c + 2]));
    dx[e] = __fmul_rn(coef[3 * c], t);
  }
}

const float* opt(const TensorRef& t) { return t.defined ? t.f32() : nullptr; }

struct Lrn {
  int64_t n, C, S;
  int lo, hi;  // the window of channel c: c - lo .. c + hi
  float an, k, nb, coef;
};

__global__ void lrn_forward(const float* __restrict__ x, float* __restrict__ y, float* __restrict__ scale, Lrn l) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < l.n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % l.S, c = e / l.S % l.C, base = e - (c * l.S + i);
    float acc = 0.f;
    for (int64_t j = max(int64_t(0), c - l.lo); j <= min(l.C - 1, c + l.hi); ++j) {
      const float v = x[base + j * l.S + i];
      acc = __fadd_rn(acc, __fmul_rn(v, v));
    }
    const float s = __fadd_rn(l.k, __fmul_rn(l.an, acc));
    scale[e] = s;
    y[e] = __fmul_rn(x[e], powf(s, l.nb));
  }
}

__global__ void lrn_backward(const float* __restrict__ x, const float* __restrict__ y, const float* __restrict__ scale,
                             const float* __restrict__ gy, float* __restrict__ gx, Lrn l) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < l.n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e % l.S, c = e / l.S % l.C, base = e - (c * l.S + i);
    float acc = 0.f;
    for (int64_t j = max(int64_t(0), c - l.lo); j <= min(l.C - 1, c + l.hi); ++j) {
      const int64_t o = base + j * l.S + i;
      acc = __fadd_rn(acc, __fmul_rn(gy[o], y[o]) / scale[o]);
    }
    gx[e] = __fsub_rn(__fmul_rn(gy[e], powf(scale[e], l.nb)), __fmul_rn(__fmul_rn(l.coef, x[e]), acc));
  }
}

Lrn lrn_of(const TensorRef& x, const LrnParams& p, int lo, int hi, const char* op) {
  DS_CHECK(x.ndim >= 2, std::string(op) + ": input must have at least 2 axes");
  int64_t S = 1;
  for (int i = 2; i < x.ndim; ++i) S *= x.shape[i];
  return {x.numel(), x.shape[1], S, lo, hi, float(p.alpha / double(p.size)), float(p.k), float(-p.beta),
          float(2.0 * p.alpha * p.beta / double(p.size))};
}

}  // namespace

void batch_norm(const TensorRef& x, const TensorRef& weight, const TensorRef& bias, const TensorRef& running_mean,
                const TensorRef& running_var, const TensorRef& y, const TensorRef& save_mean,
                const TensorRef& save_invstd, const BatchNormParams& p) {
  const NcsDims d = batch_norm_dims(x, weight, bias, running_mean, running_var, y, save_mean, save_invstd, p);
  const int dev = y.device.index;
  cudaStream_t s = stream(dev);
  if (d.C == 0) return;
  if (p.training) {
    const int64_t slices = d.N * d.C;
    Scratch part(y.device, size_t(slices) * sizeof(Welford));
    slice_stats<<<cap_blocks(slices), kBlock, 0, s>>>(x.f32(), part.as<Welford>(), slices, d.S);
    check_launch("batch_norm");
    Running run{running_mean.defined ? running_mean.f32() : nullptr, running_var.defined ? running_var.f32() : nullptr,
                p.momentum, p.eps};
    channel_stats<<<grid_for(d.C), kThreads, 0, s>>>(part.as<Welford>(), d.N, d.C, save_mean.f32(), save_invstd.f32(), run);
  } else {
    eval_stats<<<grid_for(d.C), kThreads, 0, s>>>(running_mean.f32(), running_var.f32(), d.C, p.eps, save_mean.f32(),
                                                   save_invstd.f32());
  }
  check_launch("batch_norm");
  const int64_t n = x.numel();
  if (n == 0) return;
  normalize<<<grid_for(n), kThreads, 0, s>>>(x.f32(), y.f32(), n, d.C, d.S, save_mean.f32(), save_invstd.f32(),
                                             opt(weight), opt(bias));
  check_launch("batch_norm");
}

void batch_norm_backward(const TensorRef& x, const TensorRef& gy, const TensorRef& weight, const TensorRef& mean,
                         const TensorRef& invstd, const TensorRef& dx, const TensorRef& dweight,
                         const TensorRef& dbias, const BatchNormParams& p) {
  const NcsDims d = batch_norm_backward_dims(x, gy, mean, invstd, dx, dweight, dbias);
  if (d.C == 0) return;
  cudaStream_t s = stream(dx.device.index);
  const int64_t slices = d.N * d.C;
  Scratch part(dx.device, size_t(slices) * sizeof(Sums)), coef(dx.device, size_t(d.C) * 3 * sizeof(float));
  if (slices > 0) {
    slice_grad_sums<<<cap_blocks(slices), kBlock, 0, s>>>(x.f32(), gy.f32(), mean.f32(), part.as<Sums>(), slices, d.C, d.S);
    check_launch("batch_norm_backward");
  }
  channel_grads<<<grid_for(d.C), kThreads, 0, s>>>(part.as<Sums>(), d.N, d.C, double(d.N * d.S), p.training,
                                                   invstd.f32(), opt(weight), dweight.f32(), dbias.f32(), coef.as<float>());
  check_launch("batch_norm_backward");
  const int64_t n = x.numel();
  if (n == 0) return;
  grad_input<<<grid_for(n), kThreads, 0, s>>>(x.f32(), gy.f32(), mean.f32(), coef.as<float>(), dx.f32(), n, d.C, d.S);
  check_launch("batch_norm_backward");
}

void local_response_norm(const TensorRef& x, const TensorRef& y, const TensorRef& scale, const LrnParams& p) {
  const Lrn l = lrn_of(x, p, int(p.size / 2), int((p.size - 1) / 2), "local_response_norm");
  DS_CHECK(y.numel() == x.numel() && scale.numel() == x.numel(), "local_response_norm: output sizes");
  if (l.n == 0) return;
  lrn_forward<<<grid_for(l.n), kThreads, 0, stream(y.device.index)>>>(x.f32(), y.f32(), scale.f32(), l);
  check_launch("local_response_norm");
}

void local_response_norm_backward(const TensorRef& x, const TensorRef& y, const TensorRef& scale, const TensorRef& gy,
                                  const TensorRef& gx, const LrnParams& p) {
  // The windows that hold channel j are those of channels j - (size-1)/2 .. j + size/2.
  const Lrn l = lrn_of(x, p, int((p.size - 1) / 2), int(p.size / 2), "local_response_norm_backward");
  DS_CHECK(y.numel() == x.numel() && scale.numel() == x.numel() && gy.numel() == x.numel() && gx.numel() == x.numel(),
           "local_response_norm_backward: sizes");
  if (l.n == 0) return;
  lrn_backward<<<grid_for(l.n), kThreads, 0, stream(gx.device.index)>>>(x.f32(), y.f32(), scale.f32(), gy.f32(), gx.f32(), l);
  check_launch("local_response_norm_backward");
}

}  // namespace ds::cuda

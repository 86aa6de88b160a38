// CPU batch norm and local response norm. Tensors are seen as [N, C, S]. Per-channel statistics are
// accumulated in double, one partial per (n, c) slice (each computed by one thread), then combined over n
// in a fixed order: the result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "ops/norm.h"

namespace ds::cpu {
namespace {

constexpr int64_t kWork = 1 << 14;

struct NCS {
  int64_t N, C, S;
};

NCS ncs_of(const TensorRef& x, const char* op) {
  DS_CHECK(x.ndim >= 2, std::string(op) + ": input must have at least 2 axes");
  NCS d{x.shape[0], x.shape[1], 1};
  for (int i = 2; i < x.ndim; ++i) d.S *= x.shape[i];
  return d;
}

int64_t slice_grain(int64_t S) { return std::max<int64_t>(1, kWork / std::max<int64_t>(1, S)); }

// out[c*K + k] = Σ_n acc_k(n, c), where fn(n, c, double acc[K]) adds slice (n, c)'s contribution.
template <int K, class F>
std::vector<double> channel_sums(const NCS& d, F fn) {
  std::vector<double> part(size_t(d.N * d.C * K), 0.0);
  parallel_for(0, d.N * d.C, slice_grain(d.S), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) fn(t / d.C, t % d.C, &part[size_t(t * K)]);
  });
  std::vector<double> out(size_t(d.C * K), 0.0);
  for (int64_t n = 0; n < d.N; ++n)
    for (int64_t c = 0; c < d.C; ++c)
      for (int k = 0; k < K; ++k) out[size_t(c * K + k)] += part[size_t((n * d.C + c) * K + k)];
  return out;
}

}  // namespace

void batch_norm(const TensorRef& x, const TensorRef& weight, const TensorRef& bias, const TensorRef& running_mean,
                const TensorRef& running_var, const TensorRef& y, const TensorRef& save_mean,
                const TensorRef& save_invstd, const BatchNormParams& p) {
  const NcsDims nd = batch_norm_dims(x, weight, bias, running_mean, running_var, y, save_mean, save_invstd, p);
  const NCS d{nd.N, nd.C, nd.S};
  const float* xs = x.f32();
  float* mean = save_mean.f32();
  float* invstd = save_invstd.f32();
  if (p.training) {
    int64_t M = d.N * d.S;
    auto s1 = channel_sums<1>(d, [&](int64_t n, int64_t c, double* acc) {
      const float* xp = xs + (n * d.C + c) * d.S;
      double s = 0;
      for (int64_t i = 0; i < d.S; ++i) s += xp[i];
      acc[0] = s;
    });
    std::vector<double> mu(size_t(d.C));
    for (int64_t c = 0; c < d.C; ++c) mu[size_t(c)] = s1[size_t(c)] / double(M);
    auto s2 = channel_sums<1>(d, [&](int64_t n, int64_t c, double* acc) {
      const float* xp = xs + (n * d.C + c) * d.S;
      double m = mu[size_t(c)], s = 0;
      for (int64_t i = 0; i < d.S; ++i) s += (xp[i] - m) * (xp[i] - m);
      acc[0] = s;
    });
    for (int64_t c = 0; c < d.C; ++c) {
      double var = s2[size_t(c)] / double(M);
      mean[c] = float(mu[size_t(c)]);
      invstd[c] = float(1.0 / std::sqrt(var + p.eps));
      if (running_mean.defined) {
        float* rm = running_mean.f32();
        float* rv = running_var.f32();
        rm[c] = float((1.0 - p.momentum) * double(rm[c]) + p.momentum * mu[size_t(c)]);
        rv[c] = float((1.0 - p.momentum) * double(rv[c]) + p.momentum * var * double(M) / double(M - 1));
      }
    }
  } else {
    for (int64_t c = 0; c < d.C; ++c) {
      mean[c] = running_mean.f32()[c];
      invstd[c] = float(1.0 / std::sqrt(double(running_var.f32()[c]) + p.eps));
    }
  }
  const float* w = weight.defined ? weight.f32() : nullptr;
  const float* b = bias.defined ? bias.f32() : nullptr;
  float* ys = y.f32();
  parallel_for(0, d.N * d.C, slice_grain(d.S), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t c = t % d.C;
      float m = mean[c], a = invstd[c] * (w ? w[c] : 1.f), sh = b ? b[c] : 0.f;
      const float* xp = xs + t * d.S;
      float* yp = ys + t * d.S;
      for (int64_t i = 0; i < d.S; ++i) yp[i] = (xp[i] - m) * a + sh;
    }
  });
}

void batch_norm_backward(const TensorRef& x, const TensorRef& gy, const TensorRef& weight, const TensorRef& mean,
                         const TensorRef& invstd, const TensorRef& dx, const TensorRef& dweight,
                         const TensorRef& dbias, const BatchNormParams& p) {
  const NcsDims nd = batch_norm_backward_dims(x, gy, mean, invstd, dx, dweight, dbias);
  const NCS d{nd.N, nd.C, nd.S};
  const float* xs = x.f32();
  const float* g = gy.f32();
  const float* mu = mean.f32();
  const float* is = invstd.f32();
  const float* w = weight.defined ? weight.f32() : nullptr;
  // Σ gy and Σ gy·(x − mean) per channel.
  auto s = channel_sums<2>(d, [&](int64_t n, int64_t c, double* acc) {
    const float* xp = xs + (n * d.C + c) * d.S;
    const float* gp = g + (n * d.C + c) * d.S;
    double m = mu[c], sg = 0, sgx = 0;
    for (int64_t i = 0; i < d.S; ++i) {
      sg += gp[i];
      sgx += gp[i] * (xp[i] - m);
    }
    acc[0] = sg;
    acc[1] = sgx;
  });
  double M = double(d.N * d.S);
  // dx = a·(gy − k1 − (x − mean)·k2) with a = weight·invstd; k1, k2 vanish in eval.
  std::vector<float> a(size_t(d.C)), k1(size_t(d.C)), k2(size_t(d.C));
  for (int64_t c = 0; c < d.C; ++c) {
    double iv = is[c], sg = s[size_t(2 * c)], sgx = s[size_t(2 * c + 1)];
    dbias.f32()[c] = float(sg);
    dweight.f32()[c] = float(sgx * iv);
    a[size_t(c)] = float(iv * (w ? w[c] : 1.0));
    k1[size_t(c)] = p.training ? float(sg / M) : 0.f;
    k2[size_t(c)] = p.training ? float(sgx / M * iv * iv) : 0.f;
  }
  float* out = dx.f32();
  parallel_for(0, d.N * d.C, slice_grain(d.S), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      size_t c = size_t(t % d.C);
      float m = mu[c], ac = a[c], c1 = k1[c], c2 = k2[c];
      const float* xp = xs + t * d.S;
      const float* gp = g + t * d.S;
      float* op = out + t * d.S;
      for (int64_t i = 0; i < d.S; ++i) op[i] = ac * (gp[i] - c1 - (xp[i] - m) * c2);
    }
  });
}

void local_response_norm(const TensorRef& x, const TensorRef& y, const TensorRef& scale, const LrnParams& p) {
  NCS d = ncs_of(x, "local_response_norm");
  DS_CHECK(y.numel() == x.numel() && scale.numel() == x.numel(), "local_response_norm: output sizes");
  const float* xs = x.f32();
  float* ys = y.f32();
  float* sc = scale.f32();
  int64_t before = p.size / 2, after = (p.size - 1) / 2;
  float an = float(p.alpha / double(p.size)), k = float(p.k), nb = float(-p.beta);
  parallel_for(0, d.N * d.C, slice_grain(d.S * p.size), [&](int64_t lo, int64_t hi) {
    std::vector<float> acc(size_t(d.S));
    for (int64_t t = lo; t < hi; ++t) {
      int64_t n = t / d.C, c = t % d.C;
      std::fill(acc.begin(), acc.end(), 0.f);
      for (int64_t j = std::max<int64_t>(0, c - before); j <= std::min(d.C - 1, c + after); ++j) {
        const float* xp = xs + (n * d.C + j) * d.S;
        for (int64_t i = 0; i < d.S; ++i) acc[size_t(i)] += xp[i] * xp[i];
      }
      const float* xp = xs + t * d.S;
      for (int64_t i = 0; i < d.S; ++i) {
        float s = k + an * acc[size_t(i)];
        sc[t * d.S + i] = s;
        ys[t * d.S + i] = xp[i] * std::pow(s, nb);
      }
    }
  });
}

// dx_j = g_j · s_j^-β − (2αβ/size) · x_j · Σ_{i: j ∈ window(i)} g_i · y_i / s_i, where i ranges over
// j − (size−1)/2 .. j + size/2.
void local_response_norm_backward(const TensorRef& x, const TensorRef& y, const TensorRef& scale, const TensorRef& gy,
                                  const TensorRef& gx, const LrnParams& p) {
  NCS d = ncs_of(x, "local_response_norm_backward");
  DS_CHECK(y.numel() == x.numel() && scale.numel() == x.numel() && gy.numel() == x.numel() && gx.numel() == x.numel(),
           "local_response_norm_backward: sizes");
  const float* xs = x.f32();
  const float* ys = y.f32();
  const float* sc = scale.f32();
  const float* g = gy.f32();
  float* out = gx.f32();
  int64_t lo_off = (p.size - 1) / 2, hi_off = p.size / 2;
  float coef = float(2.0 * p.alpha * p.beta / double(p.size)), nb = float(-p.beta);
  parallel_for(0, d.N * d.C, slice_grain(d.S * p.size), [&](int64_t lo, int64_t hi) {
    std::vector<float> acc(size_t(d.S));
    for (int64_t t = lo; t < hi; ++t) {
      int64_t n = t / d.C, j = t % d.C;
      std::fill(acc.begin(), acc.end(), 0.f);
      for (int64_t i = std::max<int64_t>(0, j - lo_off); i <= std::min(d.C - 1, j + hi_off); ++i) {
        int64_t o = (n * d.C + i) * d.S;
        for (int64_t s = 0; s < d.S; ++s) acc[size_t(s)] += g[o + s] * ys[o + s] / sc[o + s];
      }
      int64_t o = t * d.S;
      for (int64_t s = 0; s < d.S; ++s)
        out[o + s] = g[o + s] * std::pow(sc[o + s], nb) - coef * xs[o + s] * acc[size_t(s)];
    }
  });
}

}  // namespace ds::cpu

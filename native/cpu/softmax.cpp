// CPU softmax, log_softmax, the fused cross-entropy / NLL kernels and elementwise BCE.
//
// softmax over axis `dim` sees the input as [outer, C, inner]. Work is split into (outer, block of up to
// kBlock inner positions) tasks; each task walks C rows of its block with unit stride, so any axis runs
// without a permute and the inner loops vectorise. Sums accumulate in double; every output depends only
// on its own row, so results do not depend on the thread count.
//
// The loss kernels validate targets (and BCE probabilities) in a serial pass first: a bad value fails the
// op with a message naming the JS function, before any read that could go out of bounds. Reduced losses
// are summed serially in index order (deterministic).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "ops/softmax.h"

namespace ds::cpu {
namespace {

constexpr int64_t kBlock = 64;

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

// Calls fn(base_offset, width) for every (outer, inner block) task, in parallel.
template <class F>
void for_each_block(const Geometry& g, F fn) {
  int64_t blocks = (g.inner + kBlock - 1) / kBlock;
  int64_t tasks = g.outer * blocks;
  if (tasks == 0 || g.C == 0) return;
  int64_t per_task = g.C * std::min(g.inner, kBlock);
  int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(per_task, 1));
  parallel_for(0, tasks, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t o = t / blocks, b = t % blocks;
      int64_t i0 = b * kBlock;
      fn(o * g.C * g.inner + i0, std::min(kBlock, g.inner - i0));
    }
  });
}

inline float nan_max(float a, float v) { return (v > a || v != v) ? v : a; }

}  // namespace

void softmax_forward(const TensorRef& x, const TensorRef& y, const SoftmaxParams& p, bool log) {
  DS_CHECK(x.numel() == y.numel(), "softmax: output size");
  Geometry g = geometry(x, p.dim);
  const float* xs = x.f32();
  float* ys = y.f32();
  const int64_t S = g.inner;
  for_each_block(g, [&](int64_t base, int64_t w) {
    float mx[kBlock];
    double sum[kBlock];
    for (int64_t i = 0; i < w; ++i) {
      mx[i] = -std::numeric_limits<float>::infinity();
      sum[i] = 0;
    }
    for (int64_t c = 0; c < g.C; ++c) {
      const float* row = xs + base + c * S;
      for (int64_t i = 0; i < w; ++i) mx[i] = nan_max(mx[i], row[i]);
    }
    for (int64_t c = 0; c < g.C; ++c) {
      const float* row = xs + base + c * S;
      for (int64_t i = 0; i < w; ++i) sum[i] += std::exp(double(row[i]) - double(mx[i]));
    }
    if (log) {
      double shift[kBlock];
      for (int64_t i = 0; i < w; ++i) shift[i] = double(mx[i]) + std::log(sum[i]);
      for (int64_t c = 0; c < g.C; ++c) {
        const float* row = xs + base + c * S;
        float* out = ys + base + c * S;
        for (int64_t i = 0; i < w; ++i) out[i] = float(double(row[i]) - shift[i]);
      }
    } else {
      double inv[kBlock];
      for (int64_t i = 0; i < w; ++i) inv[i] = 1.0 / sum[i];
      for (int64_t c = 0; c < g.C; ++c) {
        const float* row = xs + base + c * S;
        float* out = ys + base + c * S;
        for (int64_t i = 0; i < w; ++i) out[i] = float(std::exp(double(row[i]) - double(mx[i])) * inv[i]);
      }
    }
  });
}

void softmax_backward(const TensorRef& y, const TensorRef& gy, const TensorRef& gx, const SoftmaxParams& p, bool log) {
  DS_CHECK(y.numel() == gy.numel() && y.numel() == gx.numel(), "softmax_backward: sizes");
  Geometry g = geometry(y, p.dim);
  const float* ys = y.f32();
  const float* gs = gy.f32();
  float* out = gx.f32();
  const int64_t S = g.inner;
  for_each_block(g, [&](int64_t base, int64_t w) {
    double acc[kBlock];
    for (int64_t i = 0; i < w; ++i) acc[i] = 0;
    for (int64_t c = 0; c < g.C; ++c) {
      const float* yr = ys + base + c * S;
      const float* gr = gs + base + c * S;
      if (log) for (int64_t i = 0; i < w; ++i) acc[i] += double(gr[i]);
      else for (int64_t i = 0; i < w; ++i) acc[i] += double(gr[i]) * double(yr[i]);
    }
    for (int64_t c = 0; c < g.C; ++c) {
      const float* yr = ys + base + c * S;
      const float* gr = gs + base + c * S;
      float* o = out + base + c * S;
      if (log) for (int64_t i = 0; i < w; ++i) o[i] = float(double(gr[i]) - std::exp(double(yr[i])) * acc[i]);
      else for (int64_t i = 0; i < w; ++i) o[i] = float(double(yr[i]) * (double(gr[i]) - acc[i]));
    }
  });
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

// Validates every target (serially, before any indexed read) and returns the summed weight of the
// non-ignored ones: the divisor of the 'mean' reduction.
double check_targets(const int32_t* t, int64_t n, int64_t C, const float* w, const NllParams& p) {
  double total = 0;
  for (int64_t k = 0; k < n; ++k) {
    int64_t v = t[k];
    if (v == p.ignore_index) continue;
    if (v < 0 || v >= C)
      fail(p.op + ": target " + std::to_string(v) + " at position " + std::to_string(k) + " is out of range for " +
           std::to_string(C) + " classes (expected 0.." + std::to_string(C - 1) + " or ignoreIndex " +
           std::to_string(p.ignore_index) + ")");
    total += w ? double(w[v]) : 1.0;
  }
  return total;
}

// log-sum-exp of one strided row (log-softmax shift); 0 when the input is log-probabilities already.
inline double row_lse(const float* row, int64_t C, int64_t S, bool logits) {
  if (!logits) return 0;
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t c = 0; c < C; ++c) mx = nan_max(mx, row[c * S]);
  double s = 0;
  for (int64_t c = 0; c < C; ++c) s += std::exp(double(row[c * S]) - double(mx));
  return double(mx) + std::log(s);
}

}  // namespace

void nll_forward(const TensorRef& x, const TensorRef& target, const TensorRef& weight, const TensorRef& loss,
                 const NllParams& p) {
  NllGeometry g = nll_geometry(x, target);
  const float* xs = x.f32();
  const int32_t* ts = target.i32();
  const float* w = weight.defined ? weight.f32() : nullptr;
  DS_CHECK(!w || weight.numel() == g.C, "nll: weight size");
  const int64_t n = g.N * g.S;
  const double total_w = check_targets(ts, n, g.C, w, p);
  const double eps = p.label_smoothing;
  std::vector<double> per(size_t(n), 0.0);
  int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(g.C, 1));
  parallel_for(0, n, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < hi; ++k) {
      int64_t t = ts[k];
      if (t == p.ignore_index) continue;
      int64_t nn = k / g.S, s = k % g.S;
      const float* row = xs + nn * g.C * g.S + s;
      double lse = row_lse(row, g.C, g.S, p.from_logits);
      double wt = w ? double(w[t]) : 1.0;
      double l = wt * (lse - double(row[t * g.S]));
      if (eps != 0) {
        double smooth = 0;
        for (int64_t c = 0; c < g.C; ++c) smooth += (w ? double(w[c]) : 1.0) * (lse - double(row[c * g.S]));
        l = (1 - eps) * l + eps / double(g.C) * smooth;
      }
      per[size_t(k)] = l;
    }
  });
  float* out = loss.f32();
  if (p.reduction == Reduction::none) {
    DS_CHECK(loss.numel() == n, "nll: loss size");
    for (int64_t k = 0; k < n; ++k) out[k] = float(per[size_t(k)]);
    return;
  }
  DS_CHECK(loss.numel() == 1, "nll: loss size");
  double s = 0;
  for (int64_t k = 0; k < n; ++k) s += per[size_t(k)];
  out[0] = float(p.reduction == Reduction::mean ? s / total_w : s);
}

void nll_backward(const TensorRef& x, const TensorRef& target, const TensorRef& weight, const TensorRef& gloss,
                  const TensorRef& gx, const NllParams& p) {
  NllGeometry g = nll_geometry(x, target);
  DS_CHECK(gx.numel() == x.numel(), "nll_backward: gradient size");
  const float* xs = x.f32();
  const int32_t* ts = target.i32();
  const float* w = weight.defined ? weight.f32() : nullptr;
  DS_CHECK(!w || weight.numel() == g.C, "nll: weight size");
  const int64_t n = g.N * g.S;
  const double total_w = check_targets(ts, n, g.C, w, p);
  DS_CHECK(gloss.numel() == (p.reduction == Reduction::none ? n : 1), "nll_backward: loss gradient size");
  const float* gl = gloss.f32();
  double wsum = 0;
  for (int64_t c = 0; c < g.C; ++c) wsum += w ? double(w[c]) : 1.0;
  const double eps = p.label_smoothing;
  float* out = gx.f32();
  int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(g.C, 1));
  parallel_for(0, n, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < hi; ++k) {
      int64_t nn = k / g.S, s = k % g.S;
      const float* row = xs + nn * g.C * g.S + s;
      float* orow = out + nn * g.C * g.S + s;
      int64_t t = ts[k];
      if (t == p.ignore_index) {
        for (int64_t c = 0; c < g.C; ++c) orow[c * g.S] = 0.f;
        continue;
      }
      double scale = p.reduction == Reduction::none ? double(gl[k])
                     : p.reduction == Reduction::sum ? double(gl[0])
                                                     : double(gl[0]) / total_w;
      double wt = w ? double(w[t]) : 1.0;
      double a = (1 - eps) * wt;  // weight of the target's one-hot term
      double b = eps / double(g.C);  // weight of the uniform term
      if (p.from_logits) {
        // d/dx_c of a·(lse − x_t) + b·Σ_k w_k (lse − x_k) = (a + b·W)·p_c − a·δ_ct − b·w_c
        double lse = row_lse(row, g.C, g.S, true);
        double coef = a + b * wsum;
        for (int64_t c = 0; c < g.C; ++c) {
          double pc = std::exp(double(row[c * g.S]) - lse);
          double v = coef * pc - (c == t ? a : 0.0) - b * (w ? double(w[c]) : 1.0);
          orow[c * g.S] = float(scale * v);
        }
      } else {
        for (int64_t c = 0; c < g.C; ++c) {
          double v = -(c == t ? a : 0.0) - b * (w ? double(w[c]) : 1.0);
          orow[c * g.S] = float(scale * v);
        }
      }
    }
  });
}

// ------------------------------------------------------------------------------------------------ BCE

namespace {

// log1p(exp(-|x|)) + max(-x, 0) = log(1 + exp(-x)), stable for any x.
inline double softplus_neg(double x) { return std::log1p(std::exp(-std::fabs(x))) + std::max(-x, 0.0); }
inline double sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }
inline double clamped_log(double v) { return std::max(std::log(v), -100.0); }
inline double clamped_log1m(double v) { return std::max(std::log1p(-v), -100.0); }

void check_probs(const TensorRef& x) {
  const float* xs = x.f32();
  for (int64_t i = 0, n = x.numel(); i < n; ++i) {
    if (!(xs[i] >= 0.f && xs[i] <= 1.f))
      fail("binaryCrossEntropy: all elements of input should be between 0 and 1, got " + std::to_string(xs[i]) +
           " at position " + std::to_string(i));
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
  const float* xs = x.f32();
  const float* ts = t.f32();
  const float* ws = w.defined ? w.f32() : nullptr;
  const float* ps = pw.defined ? pw.f32() : nullptr;
  float* out = loss.f32();
  parallel_for(0, n, 8192, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      double xv = xs[i], tv = ts[i];
      double l;
      if (p.logits) {
        double lw = ps ? 1 + (double(ps[i]) - 1) * tv : 1.0;
        l = (1 - tv) * xv + lw * softplus_neg(xv);
      } else {
        l = -(tv * clamped_log(xv) + (1 - tv) * clamped_log1m(xv));
      }
      out[i] = float(ws ? l * double(ws[i]) : l);
    }
  });
}

void bce_backward(const TensorRef& x, const TensorRef& t, const TensorRef& w, const TensorRef& pw, const TensorRef& g,
                  const TensorRef& gx, const TensorRef& gt, const BceParams& p) {
  const int64_t n = x.numel();
  DS_CHECK(t.numel() == n && g.numel() == n && gx.numel() == n, "bce_backward: sizes");
  DS_CHECK(!gt.defined || gt.numel() == n, "bce_backward: target gradient size");
  if (!p.logits) check_probs(x);
  const float* xs = x.f32();
  const float* ts = t.f32();
  const float* ws = w.defined ? w.f32() : nullptr;
  const float* ps = pw.defined ? pw.f32() : nullptr;
  const float* gs = g.f32();
  float* ox = gx.f32();
  float* ot = gt.defined ? gt.f32() : nullptr;
  parallel_for(0, n, 8192, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      double xv = xs[i], tv = ts[i];
      double s = double(gs[i]) * (ws ? double(ws[i]) : 1.0);
      double dx, dt;
      if (p.logits) {
        double pwv = ps ? double(ps[i]) : 1.0;
        double lw = 1 + (pwv - 1) * tv;
        dx = lw * sigmoid(xv) - pwv * tv;
        dt = -xv + (pwv - 1) * softplus_neg(xv);
      } else {
        // PyTorch: (x − t) / max(x (1 − x), 1e-12)
        dx = (xv - tv) / std::max(xv * (1 - xv), 1e-12);
        dt = clamped_log1m(xv) - clamped_log(xv);
      }
      ox[i] = float(s * dx);
      if (ot) ot[i] = float(s * dt);
    }
  });
}

}  // namespace ds::cpu

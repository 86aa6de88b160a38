// CPU convolution through the GEMM. For sample n and group g, with Kg = (Cx/G)·kH·kW and P = OH·OW:
//   forward          y[n, g] (Cy/G x P)  = W_g (Cy/G x Kg) · col (Kg x P)            (+ bias, as beta = 1)
//   backward data    col (Kg x P)        = W_gᵀ · gy[n, g],  then col2im adds col into dx[n, g]
//   backward weight  dW_g (Cy/G x Kg)   += gy[n, g] · colᵀ, summed over n
// col (im2col of the input) is built in segments of at most kColBudget floats along P, in a thread-local
// buffer, never as the whole matrix; a 1x1 kernel with stride 1 and no padding uses the input itself.
// Work is spread either over (n, g) units, each with serial GEMMs, or inside one GEMM at a time; both give
// the same bits, because every GEMM's result is independent of its partition. The weight gradient sums
// over n in chunks fixed by the shape (partials combined in order), so it too is thread-count independent.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/gemm.h"
#include "ops/conv.h"

// im2col/col2im copy short row spans (W floats or fewer): keep GCC from turning those loops into memset /
// memcpy calls, whose per-call cost exceeds the copy.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

namespace ds::cpu {
namespace {

constexpr int64_t kColBudget = int64_t(1) << 19;   // floats per im2col segment (2 MiB)
constexpr int64_t kPartialBudget = int64_t(1) << 22;  // floats of weight-gradient partials (16 MiB)
constexpr int kColSlot = 2;                          // scratch slot of the im2col segment

struct Geom {
  int64_t N, Cx, H, W, Cy, OH, OW, kh, kw, G, Cxg, Cyg, Kg, P, HW;
  Conv2dParams p;
  bool direct;  // 1x1, stride 1, no padding, same size: col is the input itself
  int64_t seg;  // im2col segment length along P

  Geom(const TensorRef& x, const TensorRef& y, const TensorRef& w, const Conv2dParams& prm, const char* op) : p(prm) {
    DS_CHECK(x.ndim == 4 && y.ndim == 4 && w.ndim == 4, std::string(op) + ": 4-D tensors expected");
    DS_CHECK(x.dtype == DType::f32 && y.dtype == DType::f32 && w.dtype == DType::f32, std::string(op) + ": float32 only");
    N = x.shape[0], Cx = x.shape[1], H = x.shape[2], W = x.shape[3];
    Cy = y.shape[1], OH = y.shape[2], OW = y.shape[3];
    kh = w.shape[2], kw = w.shape[3];
    G = p.groups;
    DS_CHECK(G >= 1 && Cx % G == 0 && Cy % G == 0, std::string(op) + ": groups");
    Cxg = Cx / G, Cyg = Cy / G;
    DS_CHECK(y.shape[0] == N && w.shape[0] == Cy && w.shape[1] == Cxg,
             std::string(op) + ": shapes x " + x.shape_str() + ", w " + w.shape_str() + ", y " + y.shape_str());
    DS_CHECK(p.stride_h >= 1 && p.stride_w >= 1 && p.dil_h >= 1 && p.dil_w >= 1 && p.pad_top >= 0 && p.pad_left >= 0,
             std::string(op) + ": stride, dilation, padding");
    Kg = Cxg * kh * kw;
    P = OH * OW;
    HW = H * W;
    direct = kh == 1 && kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_left == 0 && OH == H && OW == W;
    seg = std::max<int64_t>(1, kColBudget / std::max<int64_t>(Kg, 1));
    if (seg > 32) seg = seg / 32 * 32;
    seg = std::min(std::max<int64_t>(seg, std::min<int64_t>(P, 64)), std::max<int64_t>(P, 1));
  }
};

// Output positions [p0, p0 + n) of one row `oh` start at column `ow`; calls fn(oh, ow, n, offset) per row span.
template <class F>
void for_spans(const Geom& g, int64_t p0, int64_t p1, F&& fn) {
  int64_t oh = p0 / g.OW, ow = p0 % g.OW, off = 0;
  for (int64_t p = p0; p < p1;) {
    const int64_t n = std::min(g.OW - ow, p1 - p);
    fn(oh, ow, n, off);
    p += n;
    off += n;
    ++oh;
    ow = 0;
  }
}

// The taps t in [0, n) whose column ix0 + t·sw lies in [0, W): t in [t0, t1) (t0 <= t1, both in [0, n]).
inline void valid_taps(int64_t ix0, int64_t sw, int64_t W, int64_t n, int64_t& t0, int64_t& t1) {
  t0 = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
  t1 = ix0 >= W ? 0 : (W - ix0 + sw - 1) / sw;
  t0 = std::min(t0, n);
  t1 = std::max(t0, std::min(t1, n));
}

// col[r, 0:p1-p0] for rows r = (c, ki, kj) of the group's input block xg [Cxg, H, W].
void im2col(const Geom& g, const float* xg, int64_t p0, int64_t p1, float* col) {
  const int64_t ps = p1 - p0;
  const int64_t rows = g.Kg;
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(ps, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t c = r / (g.kh * g.kw), ki = (r / g.kw) % g.kh, kj = r % g.kw;
      const float* xc = xg + c * g.HW;
      float* dst = col + r * ps;
      for_spans(g, p0, p1, [&](int64_t oh, int64_t ow, int64_t n, int64_t off) {
        float* d = dst + off;
        const int64_t iy = oh * g.p.stride_h - g.p.pad_top + ki * g.p.dil_h;
        if (iy < 0 || iy >= g.H) {
          for (int64_t t = 0; t < n; ++t) d[t] = 0.f;
          return;
        }
        const float* row = xc + iy * g.W;
        const int64_t ix0 = ow * g.p.stride_w - g.p.pad_left + kj * g.p.dil_w;
        const int64_t sw = g.p.stride_w;
        int64_t t0, t1;
        valid_taps(ix0, sw, g.W, n, t0, t1);
        // Plain loops: rows are short (a library call per span would cost more than the copy).
        for (int64_t t = 0; t < t0; ++t) d[t] = 0.f;
        if (sw == 1) {
          for (int64_t t = t0; t < t1; ++t) d[t] = row[ix0 + t];
        } else {
          for (int64_t t = t0; t < t1; ++t) d[t] = row[ix0 + t * sw];
        }
        for (int64_t t = t1; t < n; ++t) d[t] = 0.f;
      });
    }
  });
}

// dxg[c] += the col rows of channel c (parallel over channels: each writes only its own plane).
void col2im_add(const Geom& g, const float* col, int64_t p0, int64_t p1, float* dxg) {
  const int64_t ps = p1 - p0;
  const int64_t kk = g.kh * g.kw;
  parallel_for(0, g.Cxg, std::max<int64_t>(1, 16384 / std::max<int64_t>(ps * kk, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      float* xc = dxg + c * g.HW;
      for (int64_t k = 0; k < kk; ++k) {
        const int64_t ki = k / g.kw, kj = k % g.kw;
        const float* src = col + (c * kk + k) * ps;
        for_spans(g, p0, p1, [&](int64_t oh, int64_t ow, int64_t n, int64_t off) {
          const int64_t iy = oh * g.p.stride_h - g.p.pad_top + ki * g.p.dil_h;
          if (iy < 0 || iy >= g.H) return;
          const float* s = src + off;
          const int64_t ix0 = ow * g.p.stride_w - g.p.pad_left + kj * g.p.dil_w;
          const int64_t sw = g.p.stride_w;
          int64_t t0, t1;
          valid_taps(ix0, sw, g.W, n, t0, t1);
          float* row = xc + iy * g.W;
          if (sw == 1) {
            for (int64_t t = t0; t < t1; ++t) row[ix0 + t] += s[t];
          } else {
            for (int64_t t = t0; t < t1; ++t) row[ix0 + t * sw] += s[t];
          }
        });
      }
    }
  });
}

// Fills `rows` rows of length len with value[r] (or zeros without a value array).
void fill_rows(float* dst, int64_t rows, int64_t len, const float* value) {
  for (int64_t r = 0; r < rows; ++r) {
    float* d = dst + r * len;
    if (value) std::fill(d, d + len, value[r]);
    else std::memset(d, 0, size_t(len) * sizeof(float));
  }
}

// Runs fn(u) for u in [0, units): over threads with serial GEMMs inside when there are enough units or each
// is small, else one after another with the GEMMs parallel inside. Same result either way.
template <class F>
void over_units(int64_t units, double work_per_unit, F&& fn) {
  if (units <= 0) return;
  const int64_t T = num_threads();
  if (units >= 2 && (units >= 2 * T || work_per_unit < double(1 << 20))) {
    parallel_for(0, units, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t u = lo; u < hi; ++u) fn(u);
    });
  } else {
    for (int64_t u = 0; u < units; ++u) fn(u);
  }
}

}  // namespace

void conv2d_forward(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& y, const Conv2dParams& prm) {
  const Geom g(x, y, w, prm, "conv2d");
  if (bias.defined) DS_CHECK(bias.numel() == g.Cy, "conv2d: bias size");
  const float* X = x.f32();
  const float* Wt = w.f32();
  const float* B = bias.defined ? bias.f32() : nullptr;
  float* Y = y.f32();
  if (g.N == 0 || g.Cy == 0 || g.P == 0) return;
  over_units(g.N * g.G, gemm_work(g.Cyg, g.P, g.Kg), [&](int64_t u) {
    const int64_t n = u / g.G, gi = u % g.G;
    float* yg = Y + (n * g.Cy + gi * g.Cyg) * g.P;
    const float* wg = Wt + gi * g.Cyg * g.Kg;
    const float* xg = X + (n * g.Cx + gi * g.Cxg) * g.HW;
    float beta = 0.f;
    if (B) {
      fill_rows(yg, g.Cyg, g.P, B + gi * g.Cyg);
      beta = 1.f;
    } else if (g.Kg == 0) {
      fill_rows(yg, g.Cyg, g.P, nullptr);
    }
    if (g.direct) {
      gemm(false, false, g.Cyg, g.P, g.Kg, 1.f, wg, g.Kg, xg, g.P, beta, yg, g.P);
      return;
    }
    float* col = scratch(kColSlot, g.Kg * g.seg);
    for (int64_t p0 = 0; p0 < g.P; p0 += g.seg) {
      const int64_t p1 = std::min(g.P, p0 + g.seg), ps = p1 - p0;
      im2col(g, xg, p0, p1, col);
      gemm(false, false, g.Cyg, ps, g.Kg, 1.f, wg, g.Kg, col, ps, beta, yg + p0, g.P);
    }
  });
}

void conv2d_backward_data(const TensorRef& gy, const TensorRef& w, const TensorRef& bias, const TensorRef& dx, const Conv2dParams& prm) {
  const Geom g(dx, gy, w, prm, "conv2d_backward_data");
  if (bias.defined) DS_CHECK(bias.numel() == g.Cx, "conv2d_backward_data: bias size");
  const float* GY = gy.f32();
  const float* Wt = w.f32();
  const float* B = bias.defined ? bias.f32() : nullptr;
  float* DX = dx.f32();
  if (g.N == 0 || g.Cx == 0 || g.HW == 0) return;
  over_units(g.N * g.G, gemm_work(g.Kg, g.P, g.Cyg), [&](int64_t u) {
    const int64_t n = u / g.G, gi = u % g.G;
    float* dxg = DX + (n * g.Cx + gi * g.Cxg) * g.HW;
    const float* gyg = GY + (n * g.Cy + gi * g.Cyg) * g.P;
    const float* wg = Wt + gi * g.Cyg * g.Kg;
    fill_rows(dxg, g.Cxg, g.HW, B ? B + gi * g.Cxg : nullptr);
    if (g.direct) {
      gemm(true, false, g.Cxg, g.P, g.Cyg, 1.f, wg, g.Kg, gyg, g.P, 1.f, dxg, g.HW);
      return;
    }
    if (g.P == 0) return;
    float* col = scratch(kColSlot, g.Kg * g.seg);
    for (int64_t p0 = 0; p0 < g.P; p0 += g.seg) {
      const int64_t p1 = std::min(g.P, p0 + g.seg), ps = p1 - p0;
      gemm(true, false, g.Kg, ps, g.Cyg, 1.f, wg, g.Kg, gyg + p0, g.P, 0.f, col, ps);
      col2im_add(g, col, p0, p1, dxg);
    }
  });
}

void conv2d_backward_weight(const TensorRef& x, const TensorRef& gy, const TensorRef& dw, const Conv2dParams& prm) {
  const Geom g(x, gy, dw, prm, "conv2d_backward_weight");
  const float* X = x.f32();
  const float* GY = gy.f32();
  float* DW = dw.f32();
  const int64_t wsize = g.Cy * g.Kg;
  if (wsize == 0) return;
  // The sum over n runs in `chunks` fixed by the shape; chunk 0 accumulates into dw, the others into
  // partial buffers added afterwards in chunk order.
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>({g.N, 8, 1 + kPartialBudget / wsize}));
  std::vector<float> partial(size_t((chunks - 1) * wsize));
  auto target = [&](int64_t chunk) { return chunk == 0 ? DW : partial.data() + (chunk - 1) * wsize; };
  const double work = gemm_work(g.Cyg, g.Kg, g.P) * double(std::max<int64_t>(g.N, 1)) / double(chunks);
  over_units(g.G * chunks, work, [&](int64_t u) {
    const int64_t gi = u / chunks, ch = u % chunks;
    float* dwg = target(ch) + gi * g.Cyg * g.Kg;
    fill_rows(dwg, g.Cyg, g.Kg, nullptr);
    const int64_t n0 = g.N * ch / chunks, n1 = g.N * (ch + 1) / chunks;
    float* col = g.direct ? nullptr : scratch(kColSlot, g.Kg * g.seg);
    for (int64_t n = n0; n < n1; ++n) {
      const float* gyg = GY + (n * g.Cy + gi * g.Cyg) * g.P;
      const float* xg = X + (n * g.Cx + gi * g.Cxg) * g.HW;
      if (g.direct) {
        gemm(false, true, g.Cyg, g.Kg, g.P, 1.f, gyg, g.P, xg, g.P, 1.f, dwg, g.Kg);
        continue;
      }
      for (int64_t p0 = 0; p0 < g.P; p0 += g.seg) {
        const int64_t p1 = std::min(g.P, p0 + g.seg), ps = p1 - p0;
        im2col(g, xg, p0, p1, col);
        gemm(false, true, g.Cyg, g.Kg, ps, 1.f, gyg + p0, g.P, col, ps, 1.f, dwg, g.Kg);
      }
    }
  });
  if (chunks > 1) {
    parallel_for(0, wsize, 16384, [&](int64_t lo, int64_t hi) {
      for (int64_t ch = 1; ch < chunks; ++ch) {
        const float* part = partial.data() + (ch - 1) * wsize;
        for (int64_t i = lo; i < hi; ++i) DW[i] += part[i];
      }
    });
  }
}

}  // namespace ds::cpu

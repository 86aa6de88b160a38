// CPU pooling kernels. Forward: parallel over output rows (plane, oh), each written by one thread.
// Backward: parallel over planes (n, c); each plane's gradient is zeroed and accumulated by one thread in a
// fixed order, so results do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/planes.h"
#include "ops/pool.h"

namespace ds::cpu {
namespace {

// Adaptive window bounds (PyTorch): [floor(i·in/out), ceil((i+1)·in/out)).
inline int64_t a_start(int64_t i, int64_t out, int64_t in) { return (i * in) / out; }
inline int64_t a_end(int64_t i, int64_t out, int64_t in) { return ((i + 1) * in + out - 1) / out; }

// Visits every adaptive window in parallel over output rows: fn(xp, h0, h1, w0, w1, o) with xp the input
// plane and o the flat output index.
template <class F>
void for_each_adaptive_window(const PlaneDims& d, const float* xs, F fn) {
  int64_t kh = (d.H + d.OH - 1) / d.OH + 1, kw = (d.W + d.OW - 1) / d.OW + 1;
  parallel_for(0, d.planes * d.OH, plane_grain(d.OW * kh * kw), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t plane = r / d.OH, oh = r % d.OH;
      const float* xp = xs + plane * d.H * d.W;
      int64_t h0 = a_start(oh, d.OH, d.H), h1 = a_end(oh, d.OH, d.H);
      for (int64_t ow = 0; ow < d.OW; ++ow)
        fn(xp, h0, h1, a_start(ow, d.OW, d.W), a_end(ow, d.OW, d.W), r * d.OW + ow);
    }
  });
}

// Average window of output (oh, ow): clipped bounds and the divisor.
struct AvgWin {
  int64_t h0, h1, w0, w1;
  float div;
};

inline AvgWin avg_window(int64_t oh, int64_t ow, int64_t H, int64_t W, const Pool2dParams& p) {
  int64_t h0 = oh * p.sh - p.ph, w0 = ow * p.sw - p.pw;
  int64_t h1 = std::min(h0 + p.kh, H + p.ph), w1 = std::min(w0 + p.kw, W + p.pw);
  int64_t pool_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, H);
  w1 = std::min(w1, W);
  int64_t n = p.divisor > 0 ? p.divisor : (p.count_include_pad ? pool_size : (h1 - h0) * (w1 - w0));
  return {h0, h1, w0, w1, float(n)};
}

}  // namespace

void max_pool2d(const TensorRef& x, const TensorRef& y, const TensorRef& idx, const Pool2dParams& p) {
  PlaneDims d = plane_dims(x, y, "max_pool2d");
  DS_CHECK(idx.dtype == DType::i32 && idx.numel() == y.numel(), "max_pool2d: indices shape");
  const float* xs = x.f32();
  float* ys = y.f32();
  int32_t* is = idx.i32();
  parallel_for(0, d.planes * d.OH, plane_grain(d.OW * p.kh * p.kw), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t plane = r / d.OH, oh = r % d.OH;
      const float* xp = xs + plane * d.H * d.W;
      int64_t hs = oh * p.sh - p.ph;
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        int64_t ws = ow * p.sw - p.pw;
        float best = -std::numeric_limits<float>::infinity();
        int64_t bi = -1;
        for (int64_t i = 0; i < p.kh; ++i) {
          int64_t ih = hs + i * p.dh;
          if (ih < 0 || ih >= d.H) continue;
          for (int64_t j = 0; j < p.kw; ++j) {
            int64_t iw = ws + j * p.dw;
            if (iw < 0 || iw >= d.W) continue;
            float v = xp[ih * d.W + iw];
            if (bi < 0 || v > best || std::isnan(v)) {
              best = v;
              bi = ih * d.W + iw;
            }
          }
        }
        ys[r * d.OW + ow] = best;  // a window wholly in the padding (dilation) gives -inf and index -1
        is[r * d.OW + ow] = int32_t(bi);
      }
    }
  });
}

void max_pool2d_backward(const TensorRef& gy, const TensorRef& idx, const TensorRef& gx) {
  PlaneDims d = plane_dims(gx, gy, "max_pool2d_backward");
  DS_CHECK(idx.numel() == gy.numel(), "max_pool2d_backward: indices shape");
  const float* g = gy.f32();
  const int32_t* is = idx.i32();
  float* out = gx.f32();
  int64_t HW = d.H * d.W, OHW = d.OH * d.OW;
  parallel_for(0, d.planes, plane_grain(HW + OHW), [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      float* op = out + plane * HW;
      std::fill(op, op + HW, 0.f);
      const float* gp = g + plane * OHW;
      const int32_t* ip = is + plane * OHW;
      for (int64_t o = 0; o < OHW; ++o) {
        int64_t k = ip[o];
        if (k >= 0 && k < HW) op[k] += gp[o];
      }
    }
  });
}

void avg_pool2d(const TensorRef& x, const TensorRef& y, const Pool2dParams& p) {
  PlaneDims d = plane_dims(x, y, "avg_pool2d");
  const float* xs = x.f32();
  float* ys = y.f32();
  parallel_for(0, d.planes * d.OH, plane_grain(d.OW * p.kh * p.kw), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t plane = r / d.OH, oh = r % d.OH;
      const float* xp = xs + plane * d.H * d.W;
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        AvgWin w = avg_window(oh, ow, d.H, d.W, p);
        float s = 0.f;
        for (int64_t ih = w.h0; ih < w.h1; ++ih)
          for (int64_t iw = w.w0; iw < w.w1; ++iw) s += xp[ih * d.W + iw];
        ys[r * d.OW + ow] = (w.h0 >= w.h1 || w.w0 >= w.w1) ? 0.f : s / w.div;
      }
    }
  });
}

void avg_pool2d_backward(const TensorRef& gy, const TensorRef& gx, const Pool2dParams& p) {
  PlaneDims d = plane_dims(gx, gy, "avg_pool2d_backward");
  const float* g = gy.f32();
  float* out = gx.f32();
  int64_t HW = d.H * d.W, OHW = d.OH * d.OW;
  parallel_for(0, d.planes, plane_grain(HW + OHW * p.kh * p.kw), [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      float* op = out + plane * HW;
      std::fill(op, op + HW, 0.f);
      const float* gp = g + plane * OHW;
      for (int64_t oh = 0; oh < d.OH; ++oh)
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          AvgWin w = avg_window(oh, ow, d.H, d.W, p);
          float v = gp[oh * d.OW + ow] / w.div;
          for (int64_t ih = w.h0; ih < w.h1; ++ih)
            for (int64_t iw = w.w0; iw < w.w1; ++iw) op[ih * d.W + iw] += v;
        }
    }
  });
}

void adaptive_avg_pool2d(const TensorRef& x, const TensorRef& y) {
  PlaneDims d = plane_dims(x, y, "adaptive_avg_pool2d");
  DS_CHECK(d.OH > 0 && d.OW > 0, "adaptive_avg_pool2d: empty output");
  float* ys = y.f32();
  for_each_adaptive_window(d, x.f32(), [&](const float* xp, int64_t h0, int64_t h1, int64_t w0, int64_t w1, int64_t o) {
    float s = 0.f;
    for (int64_t ih = h0; ih < h1; ++ih)
      for (int64_t iw = w0; iw < w1; ++iw) s += xp[ih * d.W + iw];
    ys[o] = s / float((h1 - h0) * (w1 - w0));
  });
}

void adaptive_avg_pool2d_backward(const TensorRef& gy, const TensorRef& gx) {
  PlaneDims d = plane_dims(gx, gy, "adaptive_avg_pool2d_backward");
  const float* g = gy.f32();
  float* out = gx.f32();
  int64_t HW = d.H * d.W, OHW = d.OH * d.OW;
  parallel_for(0, d.planes, plane_grain(2 * HW + OHW), [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      float* op = out + plane * HW;
      std::fill(op, op + HW, 0.f);
      const float* gp = g + plane * OHW;
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        int64_t h0 = a_start(oh, d.OH, d.H), h1 = a_end(oh, d.OH, d.H);
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          int64_t w0 = a_start(ow, d.OW, d.W), w1 = a_end(ow, d.OW, d.W);
          float v = gp[oh * d.OW + ow] / float((h1 - h0) * (w1 - w0));
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw) op[ih * d.W + iw] += v;
        }
      }
    }
  });
}

void adaptive_max_pool2d(const TensorRef& x, const TensorRef& y, const TensorRef& idx) {
  PlaneDims d = plane_dims(x, y, "adaptive_max_pool2d");
  DS_CHECK(d.OH > 0 && d.OW > 0 && d.H > 0 && d.W > 0, "adaptive_max_pool2d: empty input or output");
  DS_CHECK(idx.dtype == DType::i32 && idx.numel() == y.numel(), "adaptive_max_pool2d: indices shape");
  float* ys = y.f32();
  int32_t* is = idx.i32();
  for_each_adaptive_window(d, x.f32(), [&](const float* xp, int64_t h0, int64_t h1, int64_t w0, int64_t w1, int64_t o) {
    float best = xp[h0 * d.W + w0];
    int64_t bi = h0 * d.W + w0;
    for (int64_t ih = h0; ih < h1; ++ih)
      for (int64_t iw = w0; iw < w1; ++iw) {
        float v = xp[ih * d.W + iw];
        if (v > best || std::isnan(v)) {
          best = v;
          bi = ih * d.W + iw;
        }
      }
    ys[o] = best;
    is[o] = int32_t(bi);
  });
}

}  // namespace ds::cpu

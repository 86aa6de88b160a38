// CPU nearest and bilinear resampling. Source indices and weights are tabulated once per axis. Forward:
// parallel over output rows; backward: parallel over planes, each accumulated by one thread in a fixed
// order (thread-count independent).
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/planes.h"
#include "ops/resample.h"

namespace ds::cpu {
namespace {

// PyTorch's compute_scales_value: 1/scale when a scale factor was given, else input/output (float32).
float scales_value(double scale, int64_t in, int64_t out) {
  return scale > 0 ? float(1.0 / scale) : float(in) / float(out);
}

// Nearest: src = min(floor(dst · scale), in − 1), with PyTorch's shortcuts for equal and doubled sizes.
std::vector<int64_t> nearest_table(int64_t in, int64_t out, double scale) {
  std::vector<int64_t> t(static_cast<size_t>(out));
  float s = scales_value(scale, in, out);
  for (int64_t o = 0; o < out; ++o) {
    if (out == in) t[size_t(o)] = o;
    else if (out == 2 * in) t[size_t(o)] = o >> 1;
    else t[size_t(o)] = std::min(int64_t(std::floor(float(o) * s)), in - 1);
  }
  return t;
}

struct Lerp {
  int64_t i0, i1;
  float l0, l1;
};

// Bilinear: PyTorch's area_pixel_compute_scale / area_pixel_compute_source_index / guard_index_and_lambda.
std::vector<Lerp> linear_table(int64_t in, int64_t out, bool align, double scale) {
  std::vector<Lerp> t(static_cast<size_t>(out));
  float ratio = align ? (out > 1 ? float(in - 1) / float(out - 1) : 0.f) : scales_value(scale, in, out);
  for (int64_t o = 0; o < out; ++o) {
    if (out == in) {
      t[size_t(o)] = {o, o, 1.f, 0.f};
      continue;
    }
    float src = align ? ratio * float(o) : ratio * (float(o) + 0.5f) - 0.5f;
    if (!align && src < 0) src = 0;
    int64_t i0 = std::min(int64_t(std::floor(src)), in - 1);
    float l1 = std::min(std::max(src - float(i0), 0.f), 1.f);
    t[size_t(o)] = {i0, i0 + (i0 < in - 1 ? 1 : 0), 1.f - l1, l1};
  }
  return t;
}

}  // namespace

void upsample_nearest2d(const TensorRef& x, const TensorRef& y, const ResampleParams& p) {
  PlaneDims d = plane_dims(x, y, "upsample_nearest2d");
  auto th = nearest_table(d.H, d.OH, p.scale_h), tw = nearest_table(d.W, d.OW, p.scale_w);
  const float* xs = x.f32();
  float* ys = y.f32();
  parallel_for(0, d.planes * d.OH, plane_grain(d.OW), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t plane = r / d.OH, oh = r % d.OH;
      const float* row = xs + (plane * d.H + th[size_t(oh)]) * d.W;
      float* out = ys + r * d.OW;
      for (int64_t ow = 0; ow < d.OW; ++ow) out[ow] = row[tw[size_t(ow)]];
    }
  });
}

void upsample_nearest2d_backward(const TensorRef& gy, const TensorRef& gx, const ResampleParams& p) {
  PlaneDims d = plane_dims(gx, gy, "upsample_nearest2d_backward");
  auto th = nearest_table(d.H, d.OH, p.scale_h), tw = nearest_table(d.W, d.OW, p.scale_w);
  const float* g = gy.f32();
  float* out = gx.f32();
  int64_t HW = d.H * d.W, OHW = d.OH * d.OW;
  parallel_for(0, d.planes, plane_grain(HW + OHW), [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      float* op = out + plane * HW;
      std::fill(op, op + HW, 0.f);
      const float* gp = g + plane * OHW;
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        float* row = op + th[size_t(oh)] * d.W;
        for (int64_t ow = 0; ow < d.OW; ++ow) row[tw[size_t(ow)]] += gp[oh * d.OW + ow];
      }
    }
  });
}

void upsample_bilinear2d(const TensorRef& x, const TensorRef& y, const ResampleParams& p) {
  PlaneDims d = plane_dims(x, y, "upsample_bilinear2d");
  auto th = linear_table(d.H, d.OH, p.align_corners, p.scale_h);
  auto tw = linear_table(d.W, d.OW, p.align_corners, p.scale_w);
  const float* xs = x.f32();
  float* ys = y.f32();
  parallel_for(0, d.planes * d.OH, plane_grain(4 * d.OW), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t plane = r / d.OH, oh = r % d.OH;
      const Lerp& h = th[size_t(oh)];
      const float* r0 = xs + (plane * d.H + h.i0) * d.W;
      const float* r1 = xs + (plane * d.H + h.i1) * d.W;
      float* out = ys + r * d.OW;
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const Lerp& w = tw[size_t(ow)];
        out[ow] = h.l0 * (w.l0 * r0[w.i0] + w.l1 * r0[w.i1]) + h.l1 * (w.l0 * r1[w.i0] + w.l1 * r1[w.i1]);
      }
    }
  });
}

void upsample_bilinear2d_backward(const TensorRef& gy, const TensorRef& gx, const ResampleParams& p) {
  PlaneDims d = plane_dims(gx, gy, "upsample_bilinear2d_backward");
  auto th = linear_table(d.H, d.OH, p.align_corners, p.scale_h);
  auto tw = linear_table(d.W, d.OW, p.align_corners, p.scale_w);
  const float* g = gy.f32();
  float* out = gx.f32();
  int64_t HW = d.H * d.W, OHW = d.OH * d.OW;
  parallel_for(0, d.planes, plane_grain(HW + 4 * OHW), [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      float* op = out + plane * HW;
      std::fill(op, op + HW, 0.f);
      const float* gp = g + plane * OHW;
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        const Lerp& h = th[size_t(oh)];
        float* r0 = op + h.i0 * d.W;
        float* r1 = op + h.i1 * d.W;
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          const Lerp& w = tw[size_t(ow)];
          float v = gp[oh * d.OW + ow];
          r0[w.i0] += h.l0 * w.l0 * v;
          r0[w.i1] += h.l0 * w.l1 * v;
          r1[w.i0] += h.l1 * w.l0 * v;
          r1[w.i1] += h.l1 * w.l1 * v;
        }
      }
    }
  });
}

}  // namespace ds::cpu

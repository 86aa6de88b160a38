// CPU fill, range, identity, cast and Philox random kernels.
#include <cmath>

#include "core/error.h"
#include "core/philox.h"
#include "core/thread_pool.h"
#include "ops/creation.h"

namespace ds::cpu {
namespace {
constexpr int64_t kGrain = 1 << 14;
constexpr double kTwoPi = 6.283185307179586;

// Calls draw(i, Philox4 block) for each element; counters are shared by 4 consecutive elements.
template <class F>
void for_each_draw(const TensorRef& out, const RandomParams& p, F draw) {
  int64_t n = out.numel();
  int64_t blocks = (n + 3) / 4;
  parallel_for(0, blocks, kGrain / 4, [&](int64_t lo, int64_t hi) {
    for (int64_t blk = lo; blk < hi; ++blk) {
      Philox4 r = philox4x32(p.offset + uint64_t(blk), p.seed);
      for (int l = 0; l < 4 && blk * 4 + l < n; ++l) draw(blk * 4 + l, r, l);
    }
  });
}
}  // namespace

void fill(const TensorRef& out, double value) {
  int64_t n = out.numel();
  if (out.dtype == DType::f32) {
    float v = float(value);
    float* p = out.f32();
    parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) { for (int64_t i = lo; i < hi; ++i) p[i] = v; });
  } else {
    int32_t v = int32_t(value);
    int32_t* p = out.i32();
    parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) { for (int64_t i = lo; i < hi; ++i) p[i] = v; });
  }
}

void arange(const TensorRef& out, double start, double step) {
  int64_t n = out.numel();
  for (int64_t i = 0; i < n; ++i) {
    double v = start + double(i) * step;
    if (out.dtype == DType::f32) out.f32()[i] = float(v);
    else out.i32()[i] = int32_t(v);
  }
}

void eye(const TensorRef& out) {
  DS_CHECK(out.ndim == 2, "eye: output must be 2-D");
  fill(out, 0.0);
  int64_t k = out.shape[0] < out.shape[1] ? out.shape[0] : out.shape[1];
  for (int64_t i = 0; i < k; ++i) {
    if (out.dtype == DType::f32) out.f32()[i * out.shape[1] + i] = 1.f;
    else out.i32()[i * out.shape[1] + i] = 1;
  }
}

void cast(const TensorRef& in, const TensorRef& out) {
  DS_CHECK(in.numel() == out.numel(), "cast: element counts differ");
  int64_t n = in.numel();
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      if (in.dtype == DType::f32 && out.dtype == DType::i32) {
        float v = in.f32()[i];
        // Out-of-range and NaN values saturate rather than invoke undefined behaviour.
        out.i32()[i] = v != v ? 0 : (v >= 2147483647.f ? INT32_MAX : (v <= -2147483648.f ? INT32_MIN : int32_t(v)));
      } else if (in.dtype == DType::i32 && out.dtype == DType::f32) {
        out.f32()[i] = float(in.i32()[i]);
      } else {
        out.ptr<uint32_t>()[i] = in.ptr<uint32_t>()[i];
      }
    }
  });
}

void random_uniform(const TensorRef& out, const RandomParams& p) {
  float* o = out.f32();
  float a = float(p.a), w = float(p.b - p.a);
  // philox_uniform is in (0, 1]; 1 - u maps it onto [0, 1) as torch.rand's range.
  for_each_draw(out, p, [&](int64_t i, const Philox4& r, int l) { o[i] = a + w * (1.f - philox_uniform(r.v[l])); });
}

void random_normal(const TensorRef& out, const RandomParams& p) {
  float* o = out.f32();
  float mean = float(p.a), sd = float(p.b);
  for_each_draw(out, p, [&](int64_t i, const Philox4& r, int l) {
    int pair = l & ~1;
    double u1 = philox_uniform(r.v[pair]), u2 = philox_uniform(r.v[pair + 1]);
    double rad = std::sqrt(-2.0 * std::log(u1));
    double z = (l & 1) ? rad * std::sin(kTwoPi * u2) : rad * std::cos(kTwoPi * u2);
    o[i] = mean + sd * float(z);
  });
}

void random_bernoulli(const TensorRef& out, const RandomParams& p) {
  float prob = float(p.a);
  for_each_draw(out, p, [&](int64_t i, const Philox4& r, int l) {
    bool one = (1.f - philox_uniform(r.v[l])) < prob;
    if (out.dtype == DType::f32) out.f32()[i] = one ? 1.f : 0.f;
    else out.i32()[i] = one ? 1 : 0;
  });
}

}  // namespace ds::cpu

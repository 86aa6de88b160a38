// Winograd F(4×4, 3×3) convolution (Lavin & Gray 2016): each 4×4 output tile comes from a 6×6 input tile
// as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so the 3×3·C multiply-adds per output become 36 products per 16
// outputs, and summed over input channels the 36 elementwise products are 36 GEMMs:
//   U[ξ] (Cx × Cy) = filter transform G g Gᵀ of every (co, ci), element ξ of the 6×6 result
//   V[ξ] (T × Cx)  = input transform Bᵀ d B of every (tile, ci), tiles of the chunk in rows
//   M[ξ] (T × Cy)  = V[ξ] · U[ξ]
//   y tile (co)    = Aᵀ M[·][t][co] A (+ bias), cut to the output's edge
// Layout NCHW; tiles numbered (n, tile row, tile column) and processed in chunks so V and M stay within
// a fixed workspace. Padding is read as zeros by the input transform; the output transform writes only
// the valid part of the last tile row and column. The filter transform runs in double. Each element's
// arithmetic is fixed by the shape, and the GEMMs' results do not depend on their partition, so results
// are the same for any thread count. Error: the transforms' coefficients (up to 8 in Aᵀ, 5 in Bᵀ) scale
// float32 rounding by roughly an order of magnitude against direct convolution (test/ops/conv.test.ts
// states the tolerance).
#include "cpu/conv_winograd.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/thread_pool.h"
#include "cpu/gemm.h"

namespace ds::cpu {
namespace {

constexpr int kA = 6;                                // input tile side
constexpr int kM = 4;                                // output tile side
constexpr int kXi = kA * kA;                         // transform elements
constexpr int64_t kBudget = int64_t(1) << 20;        // floats in each of V and M per chunk (4 MiB)
constexpr int kVSlot = 2;                            // scratch slots of the calling thread (gemm uses 0 and 1,
constexpr int kMSlot = 3;                            // the calling thread included, as it takes part in the
constexpr int kUSlot = 4;                            // parallel loops)

// t = Bᵀ d for a 6-vector with stride s (in and out).
inline void bt6(const float* d, int64_t sd, float* t, int64_t st) {
  const float d0 = d[0], d1 = d[sd], d2 = d[2 * sd], d3 = d[3 * sd], d4 = d[4 * sd], d5 = d[5 * sd];
  t[0] = 4.f * d0 - 5.f * d2 + d4;
  t[st] = -4.f * (d1 + d2) + d3 + d4;
  t[2 * st] = 4.f * (d1 - d2) - d3 + d4;
  t[3 * st] = -2.f * (d1 - d3) - d2 + d4;
  t[4 * st] = 2.f * (d1 - d3) - d2 + d4;
  t[5 * st] = 4.f * d1 - 5.f * d3 + d5;
}

// y = Aᵀ m for a 6-vector with stride sm, into 4 values with stride sy.
inline void at6(const float* m, int64_t sm, float* y, int64_t sy) {
  const float m0 = m[0], m1 = m[sm], m2 = m[2 * sm], m3 = m[3 * sm], m4 = m[4 * sm], m5 = m[5 * sm];
  const float a = m1 + m2, b = m1 - m2, c = m3 + m4, e = m3 - m4;
  y[0] = m0 + a + c;
  y[sy] = b + 2.f * e;
  y[2 * sy] = a + 4.f * c;
  y[3 * sy] = b + 8.f * e + m5;
}

// o = G g for a 3-vector (strides sg, so), in double.
inline void g3(const double* g, int sg, double* o, int so) {
  const double g0 = g[0], g1 = g[sg], g2 = g[2 * sg];
  o[0] = g0 / 4;
  o[so] = -(g0 + g1 + g2) / 6;
  o[2 * so] = -(g0 - g1 + g2) / 6;
  o[3 * so] = g0 / 24 + g1 / 12 + g2 / 6;
  o[4 * so] = g0 / 24 - g1 / 12 + g2 / 6;
  o[5 * so] = g2;
}

}  // namespace

bool winograd_applies(int64_t Cx, int64_t Cy, int64_t OH, int64_t OW, int64_t kh, int64_t kw, const Conv2dParams& p) {
  // Opt-in (DEEPSCOPE_CONV_WINOGRAD=1): as it stands, its 36 small GEMMs per chunk lose to the im2col GEMM
  // on every 3×3 layer of ResNet-18 at batch 1 and 8 (docs/performance.md). Read per call, so that a
  // process can switch it (the tests do).
  const char* v = std::getenv("DEEPSCOPE_CONV_WINOGRAD");
  const bool enabled = v && std::strcmp(v, "1") == 0;
  // Below 16 channels either way the transforms cost more than the GEMMs save; below 8×8 outputs the
  // last tile row and column waste too much of each tile.
  return enabled && kh == 3 && kw == 3 && p.stride_h == 1 && p.stride_w == 1 && p.dil_h == 1 && p.dil_w == 1 &&
         p.groups == 1 && Cx >= 16 && Cy >= 16 && OH >= 8 && OW >= 8;
}

void conv2d_winograd(const float* X, const float* Wt, const float* bias, float* Y, int64_t N, int64_t Cx, int64_t H,
                     int64_t W, int64_t Cy, int64_t OH, int64_t OW, int64_t pad_top, int64_t pad_left) {
  const int64_t tH = (OH + kM - 1) / kM, tW = (OW + kM - 1) / kM, TP = tH * tW, T = N * TP;
  const int64_t TS = std::max<int64_t>(1, std::min<int64_t>(T, kBudget / (kXi * std::max(Cx, Cy))));

  // U[ξ][ci][co] = (G g Gᵀ)[ξ] of filter (co, ci).
  float* U = scratch(kUSlot, kXi * Cx * Cy);
  parallel_for(0, Cy, std::max<int64_t>(1, 256 / Cx), [&](int64_t lo, int64_t hi) {
    for (int64_t co = lo; co < hi; ++co)
      for (int64_t ci = 0; ci < Cx; ++ci) {
        const float* g = Wt + (co * Cx + ci) * 9;
        double gd[9], t[18], u[36];
        for (int i = 0; i < 9; ++i) gd[i] = g[i];
        for (int j = 0; j < 3; ++j) g3(gd + j, 3, t + j, 3);   // columns: t (6×3) = G g
        for (int i = 0; i < 6; ++i) g3(t + 3 * i, 1, u + 6 * i, 1);  // rows: u (6×6) = t Gᵀ
        for (int xi = 0; xi < kXi; ++xi) U[(xi * Cx + ci) * Cy + co] = float(u[xi]);
      }
  });

  float* V = scratch(kVSlot, kXi * TS * Cx);
  float* M = scratch(kMSlot, kXi * TS * Cy);
  for (int64_t t0 = 0; t0 < T; t0 += TS) {
    const int64_t ts = std::min(TS, T - t0);
    // V[ξ][t][ci] = (Bᵀ d B)[ξ] of the 6×6 input patch of tile t0 + t, channel ci (zeros outside the input).
    parallel_for(0, ts * Cx, std::max<int64_t>(1, 1024 / kXi), [&](int64_t lo, int64_t hi) {
      for (int64_t u = lo; u < hi; ++u) {
        const int64_t t = u / Cx, ci = u % Cx, tg = t0 + t;
        const int64_t n = tg / TP, th = (tg % TP) / tW, tw = tg % tW;
        const int64_t ih0 = th * kM - pad_top, iw0 = tw * kM - pad_left;
        const float* xc = X + (n * Cx + ci) * H * W;
        float d[kXi], s[kXi], v[kXi];
        const bool inside = ih0 >= 0 && iw0 >= 0 && ih0 + kA <= H && iw0 + kA <= W;
        for (int i = 0; i < kA; ++i) {
          const int64_t ih = ih0 + i;
          for (int j = 0; j < kA; ++j) {
            const int64_t iw = iw0 + j;
            d[i * kA + j] = inside || (ih >= 0 && ih < H && iw >= 0 && iw < W) ? xc[ih * W + iw] : 0.f;
          }
        }
        for (int j = 0; j < kA; ++j) bt6(d + j, kA, s + j, kA);         // columns: s = Bᵀ d
        for (int i = 0; i < kA; ++i) bt6(s + kA * i, 1, v + kA * i, 1);  // rows: v = s B
        for (int xi = 0; xi < kXi; ++xi) V[(xi * TS + t) * Cx + ci] = v[xi];
      }
    });
    for (int xi = 0; xi < kXi; ++xi)
      gemm(false, false, ts, Cy, Cx, 1.f, V + xi * TS * Cx, Cx, U + xi * Cx * Cy, Cy, 0.f, M + xi * TS * Cy, Cy);
    // y tile = Aᵀ m A (+ bias), m[ξ] = M[ξ][t][co], cut to the output.
    parallel_for(0, ts * Cy, std::max<int64_t>(1, 1024 / kXi), [&](int64_t lo, int64_t hi) {
      for (int64_t u = lo; u < hi; ++u) {
        const int64_t t = u / Cy, co = u % Cy, tg = t0 + t;
        const int64_t n = tg / TP, th = (tg % TP) / tW, tw = tg % tW;
        float m[kXi], s[kA * kM], o[kM * kM];
        for (int xi = 0; xi < kXi; ++xi) m[xi] = M[(xi * TS + t) * Cy + co];
        for (int j = 0; j < kA; ++j) at6(m + j, kA, s + j, kA);         // columns: s (4×6) = Aᵀ m
        for (int i = 0; i < kM; ++i) at6(s + kA * i, 1, o + kM * i, 1);  // rows: o (4×4) = s A
        const float b = bias ? bias[co] : 0.f;
        const int64_t oh0 = th * kM, ow0 = tw * kM;
        const int64_t mh = std::min<int64_t>(kM, OH - oh0), mw = std::min<int64_t>(kM, OW - ow0);
        float* yc = Y + ((n * Cy + co) * OH + oh0) * OW + ow0;
        for (int64_t i = 0; i < mh; ++i)
          for (int64_t j = 0; j < mw; ++j) yc[i * OW + j] = o[i * kM + j] + b;
      }
    });
  }
}

}  // namespace ds::cpu

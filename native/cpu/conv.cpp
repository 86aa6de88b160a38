// CPU convolution. With Kg = (Cx/G)·kH·kW, P = OH·OW, and col the im2col matrix (Kg rows) of the input of
// group g, four paths, chosen from the shape alone (never from the thread count), and for the forward pass
// of 3×3, stride-1, single-group layers with enough channels a fifth, Winograd F(4×4, 3×3)
// (cpu/conv_winograd.cpp):
//
// 1. Full kernel (the kernel covers the whole unpadded input, so OH = OW = 1: C5 of LeNet, a 1x1 input of
//    convTranspose): col of sample n is x[n, g] itself, so each group is one plain matrix product over the
//    whole batch, written straight into its output (no im2col, no copy):
//      forward          y[:, g] (N x Cy/G)    = x[:, g] (N x Kg) · W_gᵀ                (+ bias, as beta = 1)
//      backward data    dx[:, g] (N x Kg)     = gy[:, g] (N x Cy/G) · W_g
//      backward weight  dW_g (Cy/G x Kg)      = gy[:, g]ᵀ · x[:, g]
// 2. Direct on wide rows (stride 1, at most kWideMaxCyg filters per group, N·G >= kWideMinUnits: C1 and the
//    grouped C3 of LeNet), where a GEMM would have too few rows to pay for im2col. Each (sample, group)
//    input block is copied into zero-padded planes of Ws = OW + (kW-1)·dw columns; then output (oh, ow) is
//    element q = oh·Ws + ow of a "wide row", and tap (c, ki, kj) reads the padded input at q plus a fixed
//    offset, so every tap is one long contiguous multiply-add (the Ws - OW extra columns are computed and
//    dropped). The loops are ISA kernels (native/cpu/isa/conv_direct.cpp):
//      forward          acc = sum over taps t of w[co, t] · input[q + off_t]       then y = acc + bias
//      backward data    the padded dx plane = sum over (co, ki, kj) of w · gy[co] shifted into place, as
//                       the same kernel on the gradient extended by zeros
//      backward weight  dW[co, t] = sum over samples and q of gy_wide[co, q] · input[q + off_t], in 16
//                       lane sums per (co, t), added pairwise at the end of each chunk of samples
// 3. Batched GEMM (P < kSmallP): nb samples side by side, so the GEMM's N dimension is nb·P columns (nb
//    fixed by the shape, so that nb·P >= kBatchCols within the workspace budget); col is built for the nb
//    samples, the gradient gy is gathered into a [Cy/G, nb·P] block and the forward result scattered:
//      forward          Yb (Cy/G x nb·P)  = W_g · col                                   then y[n, g] = Yb + bias
//      backward data    col (Kg x nb·P)   = W_gᵀ · GYb,  then col2im adds each sample's columns into dx[n, g]
//      backward weight  dW_g (Cy/G x Kg) += GYb · colᵀ
// 4. Per-sample GEMM (large P): for sample n and group g,
//      forward          y[n, g] (Cy/G x P)  = W_g (Cy/G x Kg) · col (Kg x P)            (+ bias, as beta = 1)
//      backward data    col (Kg x P)        = W_gᵀ · gy[n, g],  then col2im adds col into dx[n, g]
//      backward weight  dW_g (Cy/G x Kg)   += gy[n, g] · colᵀ, summed over n
//    col is built in segments of at most kColBudget floats along P, never as the whole matrix; a 1x1 kernel
//    with stride 1 and no padding uses the input itself.
// Workspace: col, the batched path's Yb / GYb blocks and the direct path's padded planes and wide rows live
// in thread-local scratch buffers reused across calls, each bounded by kColBudget floats (one sample's
// segment of col may exceed it only when a single output column's Kg rows do). im2col / col2im work in row
// spans with inline 4-float moves; the valid taps of a full output row are computed once per col row.
// Work is spread either over units ((group, sample batch) or (sample, group)), each with serial GEMMs or
// direct loops, or inside one GEMM at a time; both give the same bits, because every GEMM's result is
// independent of its partition and every unit writes its own outputs. The weight gradient sums over n in
// chunks fixed by the shape (partials combined in order; the full-kernel path sums over n inside one GEMM),
// so it too is independent of the thread count.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/conv_winograd.h"
#include "cpu/gemm.h"
#include "cpu/isa_table.h"
#include "ops/conv.h"

// im2col/col2im copy short row spans (W floats or fewer): keep GCC from turning those loops into memset /
// memcpy calls, whose per-call cost exceeds the copy.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

namespace ds::cpu {
namespace {

constexpr int64_t kColBudget = int64_t(1) << 19;      // floats per im2col segment / batch block (2 MiB)
constexpr int64_t kPartialBudget = int64_t(1) << 22;  // floats of weight-gradient partials (16 MiB)
constexpr int64_t kSmallP = 256;                      // below this many outputs per sample, batch samples
constexpr int64_t kBatchCols = 512;                   // GEMM columns aimed at by a sample batch
constexpr int64_t kWideMaxCyg = 8;                    // direct path: at most this many filters per group
constexpr int64_t kWideMinUnits = 8;                  // ... and at least this many (sample, group) units
constexpr int64_t kWideAlign = 16;                    // wide rows: lengths rounded up, buffers padded by this
constexpr int kColSlot = 2;                           // scratch slot of the im2col segment
constexpr int kBlockSlot = 3;                         // scratch slot of the batched path's Yb / GYb block

struct Geom {
  int64_t N, Cx, H, W, Cy, OH, OW, kh, kw, G, Cxg, Cyg, Kg, P, HW;
  Conv2dParams p;
  bool direct;  // 1x1, stride 1, no padding, same size: col is the input itself
  bool full;    // the kernel covers the whole unpadded input: col of a sample is its input (OH = OW = 1)
  int64_t seg;  // im2col segment length along P (per-sample path)
  int64_t nb;   // samples per GEMM (> 1: batched path)
  // Direct path on wide rows (stride 1, few filters per group): the input block of a group is copied into
  // zero-padded planes of Hs = OH + (kH - 1)·dh rows of Ws = OW + (kW - 1)·dw floats (PS = Hs·Ws); output
  // (oh, ow) sits at q = oh·Ws + ow of a wide row of L >= (OH - 1)·Ws + OW floats (rounded up to kWideAlign;
  // the extra elements are computed and dropped), and tap (ki, kj) reads q + ki·dh·Ws + kj·dw, the largest
  // of those offsets being `base`. The backward-data pass computes Z >= Hs·Ws elements of each padded input
  // plane from the gradient extended by zeros (plane length E = base + Hs·Ws, the gradient at `base`).
  bool wide = false;
  int64_t Hs = 0, Ws = 0, PS = 0, L = 0, Z = 0, base = 0, E = 0;

  Geom(const TensorRef& x, const TensorRef& y, const TensorRef& w, const Conv2dParams& prm, const char* op) : p(prm) {
    const Conv2dDims d(x, y, w, prm, op);
    N = d.N, Cx = d.Cx, H = d.H, W = d.W, Cy = d.Cy, OH = d.OH, OW = d.OW, kh = d.kh, kw = d.kw, G = d.G;
    Cxg = d.Cxg, Cyg = d.Cyg;
    Kg = Cxg * kh * kw;
    P = OH * OW;
    HW = H * W;
    direct = kh == 1 && kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_left == 0 && OH == H && OW == W;
    full = OH == 1 && OW == 1 && kh == H && kw == W && p.pad_top == 0 && p.pad_left == 0 && (kh == 1 || p.dil_h == 1) &&
           (kw == 1 || p.dil_w == 1);
    seg = std::max<int64_t>(1, kColBudget / std::max<int64_t>(Kg, 1));
    if (seg > 32) seg = seg / 32 * 32;
    seg = std::min(std::max<int64_t>(seg, std::min<int64_t>(P, 64)), std::max<int64_t>(P, 1));
    nb = 1;
    if (!full && P > 0 && P < kSmallP) {
      const int64_t rows = std::max<int64_t>({Kg, Cyg, 1});
      nb = std::min<int64_t>((kBatchCols + P - 1) / P, kColBudget / (rows * P));
      nb = std::max<int64_t>(1, std::min(nb, N));
    }
    if (!full && p.stride_h == 1 && p.stride_w == 1 && kh * kw > 1 && Cyg <= kWideMaxCyg && N * G >= kWideMinUnits && P > 0) {
      auto align = [](int64_t v) { return (v + kWideAlign - 1) / kWideAlign * kWideAlign; };
      Hs = OH + (kh - 1) * p.dil_h;
      Ws = OW + (kw - 1) * p.dil_w;
      PS = Hs * Ws;
      L = align((OH - 1) * Ws + OW);
      Z = align(PS);
      base = (kh - 1) * p.dil_h * Ws + (kw - 1) * p.dil_w;
      E = base + PS;
      wide = Ws <= 2 * OW && Cxg * PS <= kColBudget && Cyg * E <= kColBudget && Cyg * L <= kColBudget &&
             Cyg * Kg * kWideAlign <= kColBudget;
    }
  }
  // Offset of sample n, group gi in x-shaped ([N, Cx, H, W]) and y-shaped ([N, Cy, OH, OW]) tensors.
  int64_t xoff(int64_t n, int64_t gi) const { return (n * Cx + gi * Cxg) * HW; }
  int64_t yoff(int64_t n, int64_t gi) const { return (n * Cy + gi * Cyg) * P; }
};

// Span moves of im2col / col2im, in 4-float vectors (this file is compiled for the baseline ISA: SSE2).
typedef float v4f __attribute__((vector_size(16), aligned(4), may_alias));

// d[0:n] = s[0:n] (no overlap); for n >= 4 the last 4-float move may overlap the one before it.
inline void copy_span(float* __restrict d, const float* __restrict s, int64_t n) {
  if (n >= 4) {
    int64_t t = 0;
    for (; t + 4 <= n; t += 4) *reinterpret_cast<v4f*>(d + t) = *reinterpret_cast<const v4f*>(s + t);
    if (t < n) *reinterpret_cast<v4f*>(d + n - 4) = *reinterpret_cast<const v4f*>(s + n - 4);
  } else {
    for (int64_t t = 0; t < n; ++t) d[t] = s[t];
  }
}

inline void zero_span(float* d, int64_t n) {
  if (n >= 4) {
    const v4f z = {0.f, 0.f, 0.f, 0.f};
    int64_t t = 0;
    for (; t + 4 <= n; t += 4) *reinterpret_cast<v4f*>(d + t) = z;
    if (t < n) *reinterpret_cast<v4f*>(d + n - 4) = z;
  } else {
    for (int64_t t = 0; t < n; ++t) d[t] = 0.f;
  }
}

// d[0:n] += s[0:n] (no overlap).
inline void add_span(float* __restrict d, const float* __restrict s, int64_t n) {
  int64_t t = 0;
  for (; t + 4 <= n; t += 4) *reinterpret_cast<v4f*>(d + t) += *reinterpret_cast<const v4f*>(s + t);
  for (; t < n; ++t) d[t] += s[t];
}

// The taps t in [0, n) whose column ix0 + t·sw lies in [0, W): t in [t0, t1) (t0 <= t1, both in [0, n]).
inline void valid_taps(int64_t ix0, int64_t sw, int64_t W, int64_t n, int64_t& t0, int64_t& t1) {
  t0 = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
  t1 = ix0 >= W ? 0 : (W - ix0 + sw - 1) / sw;
  t0 = std::min(t0, n);
  t1 = std::max(t0, std::min(t1, n));
}

// The geometry of one col row r = (c, ki, kj) in plain locals (the span loops must not reload it through a
// pointer that a float store may alias). Output position p = (oh, ow) reads input row iy = oh·sh + iy0 and
// column ix = ow·sw + ix0; a full output row (ow = 0, n = OW) reads only its taps [ft0, ft1).
struct ColRow {
  int64_t H, W, OW, sh, sw, iy0, ix0, ft0, ft1, chan;
  ColRow(const Geom& g, int64_t r) {
    const int64_t kk = g.kh * g.kw;
    const int64_t ki = (r / g.kw) % g.kh, kj = r % g.kw;
    H = g.H, W = g.W, OW = g.OW, sh = g.p.stride_h, sw = g.p.stride_w;
    iy0 = ki * g.p.dil_h - g.p.pad_top;
    ix0 = kj * g.p.dil_w - g.p.pad_left;
    chan = r / kk;
    valid_taps(ix0, sw, W, OW, ft0, ft1);
  }
  // Calls fn(offset, row or nullptr, ix, t0, t1, n) for the row spans of output positions [p0, p1):
  // positions [off, off + n) read input row `row` (nullptr: outside, all zero) at columns ix + t·sw for
  // the taps t in [t0, t1); the other taps are padding.
  template <class T, class F>
  inline void spans(T* xc, int64_t p0, int64_t p1, F&& fn) const {
    int64_t oh = p0 / OW, ow = p0 - oh * OW;
    for (int64_t p = p0; p < p1; ++oh, ow = 0) {
      const int64_t n = std::min(OW - ow, p1 - p);
      const int64_t iy = oh * sh + iy0;
      const int64_t ix = ow * sw + ix0;
      if (iy < 0 || iy >= H) {
        fn(p - p0, static_cast<T*>(nullptr), ix, int64_t(0), int64_t(0), n);
      } else {
        int64_t t0 = ft0, t1 = ft1;
        if (n != OW) valid_taps(ix, sw, W, n, t0, t1);
        fn(p - p0, xc + iy * W, ix, t0, t1, n);
      }
      p += n;
    }
  }
};

// col[r, s·ps + (p - p0)] for rows r = (c, ki, kj) of the group's input blocks of samples s in [0, nb)
// (sample s at xg + s·Cx·H·W), output positions [p0, p1), ps = p1 - p0; the row stride is nb·ps.
void im2col(const Geom& g, const float* xg, int64_t nb, int64_t p0, int64_t p1, float* col) {
  const int64_t ps = p1 - p0, ld = nb * ps;
  const int64_t sx = g.Cx * g.HW, HW = g.HW;
  parallel_for(0, g.Kg, std::max<int64_t>(1, 16384 / std::max<int64_t>(ld, 1)), [&, xg, col, nb, ps, ld, sx, HW](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const ColRow cr(g, r);
      const int64_t sw = cr.sw;
      for (int64_t s = 0; s < nb; ++s) {
        const float* xc = xg + s * sx + cr.chan * HW;
        float* dst = col + r * ld + s * ps;
        cr.spans(xc, p0, p1, [&](int64_t off, const float* row, int64_t ix, int64_t t0, int64_t t1, int64_t n) {
          float* d = dst + off;
          if (!row) {
            zero_span(d, n);
            return;
          }
          // Inline moves: rows are short (a library call per span would cost more than the copy).
          for (int64_t t = 0; t < t0; ++t) d[t] = 0.f;
          if (sw == 1) {
            copy_span(d + t0, row + ix + t0, t1 - t0);
          } else {
            for (int64_t t = t0; t < t1; ++t) d[t] = row[ix + t * sw];
          }
          for (int64_t t = t1; t < n; ++t) d[t] = 0.f;
        });
      }
    }
  });
}

// dx[s][c] += the col rows of channel c, for samples s in [0, nb) (sample s's group block at dxg + s·Cx·H·W,
// its columns at s·ps in col; row stride nb·ps). Parallel over channels: each writes only its own planes.
void col2im_add(const Geom& g, const float* col, int64_t nb, int64_t p0, int64_t p1, float* dxg) {
  const int64_t ps = p1 - p0, ld = nb * ps;
  const int64_t kk = g.kh * g.kw, sx = g.Cx * g.HW, HW = g.HW;
  parallel_for(0, g.Cxg, std::max<int64_t>(1, 16384 / std::max<int64_t>(ld * kk, 1)), [&, col, dxg, nb, ps, ld, kk, sx, HW](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      for (int64_t k = 0; k < kk; ++k) {
        const ColRow cr(g, c * kk + k);
        const int64_t sw = cr.sw;
        for (int64_t s = 0; s < nb; ++s) {
          float* xc = dxg + s * sx + c * HW;
          const float* src = col + (c * kk + k) * ld + s * ps;
          cr.spans(xc, p0, p1, [&](int64_t off, float* row, int64_t ix, int64_t t0, int64_t t1, int64_t) {
            if (!row) return;
            const float* sp = src + off;
            if (sw == 1) {
              add_span(row + ix + t0, sp + t0, t1 - t0);
            } else {
              for (int64_t t = t0; t < t1; ++t) row[ix + t * sw] += sp[t];
            }
          });
        }
      }
    }
  });
}

// Fills `rows` rows of length len (row stride ld) with value[r] (or zeros without a value array).
void fill_rows(float* dst, int64_t rows, int64_t len, const float* value, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) {
    float* d = dst + r * ld;
    if (value) std::fill(d, d + len, value[r]);
    else std::memset(d, 0, size_t(len) * sizeof(float));
  }
}
void fill_rows(float* dst, int64_t rows, int64_t len, const float* value) { fill_rows(dst, rows, len, value, len); }

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

// GYb[c, s·P + p] = gy[n0 + s, gi·Cyg + c, p] for s in [0, m).
void gather_gy(const Geom& g, const float* GY, int64_t n0, int64_t m, int64_t gi, float* gyb) {
  const int64_t ld = m * g.P;
  for (int64_t s = 0; s < m; ++s) {
    const float* src = GY + g.yoff(n0 + s, gi);
    for (int64_t c = 0; c < g.Cyg; ++c) {
      const float* a = src + c * g.P;
      float* d = gyb + c * ld + s * g.P;
      for (int64_t p = 0; p < g.P; ++p) d[p] = a[p];
    }
  }
}

// The group's input block xg [Cxg, H, W] copied into the zero-padded wide planes, followed by kWideAlign
// zeros (the taps of the rounded-up row ends read up to there).
const float* wide_input(const Geom& g, const float* xg) {
  float* buf = scratch(kColSlot, g.Cxg * g.PS + kWideAlign);
  zero_span(buf + g.Cxg * g.PS, kWideAlign);
  const int64_t x0 = std::min(g.Ws, g.p.pad_left), x1 = std::min(g.Ws, g.p.pad_left + g.W);
  for (int64_t c = 0; c < g.Cxg; ++c) {
    for (int64_t yy = 0; yy < g.Hs; ++yy) {
      float* d = buf + c * g.PS + yy * g.Ws;
      const int64_t iy = yy - g.p.pad_top;
      if (iy < 0 || iy >= g.H) {
        zero_span(d, g.Ws);
        continue;
      }
      const float* row = xg + c * g.HW + iy * g.W - g.p.pad_left;
      for (int64_t t = 0; t < x0; ++t) d[t] = 0.f;
      copy_span(d + x0, row + x0, x1 - x0);
      for (int64_t t = x1; t < g.Ws; ++t) d[t] = 0.f;
    }
  }
  return buf;
}

// Offsets in the wide input view of the Kg taps (c, ki, kj), in weight order.
std::vector<int64_t> wide_offsets(const Geom& g) {
  std::vector<int64_t> off(static_cast<size_t>(g.Kg));
  const int64_t kk = g.kh * g.kw;
  for (int64_t r = 0; r < g.Kg; ++r) {
    const int64_t c = r / kk, ki = (r / g.kw) % g.kh, kj = r % g.kw;
    off[size_t(r)] = c * g.PS + ki * g.p.dil_h * g.Ws + kj * g.p.dil_w;
  }
  return off;
}

// gw[c, oh·Ws + ow] = gy[n, gi·Cyg + c, oh, ow], zero for ow >= OW: Cyg rows of stride ld, starting at
// column `at` (the rows are zeroed over [0, ld)).
void wide_gy(const Geom& g, const float* GY, int64_t n, int64_t gi, float* gw, int64_t ld, int64_t at) {
  const float* src = GY + g.yoff(n, gi);
  for (int64_t c = 0; c < g.Cyg; ++c) {
    float* d = gw + c * ld;
    zero_span(d, ld);
    for (int64_t oh = 0; oh < g.OH; ++oh) copy_span(d + at + oh * g.Ws, src + c * g.P + oh * g.OW, g.OW);
  }
}

// Number of sample batches of the batched path.
inline int64_t batches(const Geom& g) { return (g.N + g.nb - 1) / g.nb; }

}  // namespace

void conv2d_forward(const TensorRef& x, const TensorRef& w, const TensorRef& bias, const TensorRef& y, const Conv2dParams& prm) {
  const Geom g(x, y, w, prm, "conv2d");
  if (bias.defined) DS_CHECK(bias.numel() == g.Cy, "conv2d: bias size");
  const float* X = x.f32();
  const float* Wt = w.f32();
  const float* B = bias.defined ? bias.f32() : nullptr;
  float* Y = y.f32();
  if (g.N == 0 || g.Cy == 0 || g.P == 0) return;

  if (!g.full && !g.wide && winograd_applies(g.Cx, g.Cy, g.OH, g.OW, g.kh, g.kw, prm)) {
    conv2d_winograd(X, Wt, B, Y, g.N, g.Cx, g.H, g.W, g.Cy, g.OH, g.OW, prm.pad_top, prm.pad_left);
    return;
  }

  if (g.wide) {
    // y[n, co] = bias + sum over taps t of w[co, t] · (wide input shifted by off[t]), per (n, group).
    const ConvDirectKernels& K = conv_direct_kernels();
    const std::vector<int64_t> off = wide_offsets(g);
    over_units(g.N * g.G, gemm_work(g.Cyg, g.L, g.Kg), [&](int64_t u) {
      const int64_t n = u / g.G, gi = u % g.G;
      const float* xs = wide_input(g, X + g.xoff(n, gi));
      float* acc = scratch(kBlockSlot, g.L);
      for (int64_t co = 0; co < g.Cyg; ++co) {
        zero_span(acc, g.L);
        K.taps(g.L, g.Kg, Wt + (gi * g.Cyg + co) * g.Kg, off.data(), xs, acc);
        float* yp = Y + g.yoff(n, gi) + co * g.P;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const float* a = acc + oh * g.Ws;
          float* d = yp + oh * g.OW;
          if (B) {
            const float b = B[gi * g.Cyg + co];
            for (int64_t ow = 0; ow < g.OW; ++ow) d[ow] = a[ow] + b;
          } else {
            copy_span(d, a, g.OW);
          }
        }
      }
    });
    return;
  }

  if (g.full) {
    // y[:, g] (N x Cyg, row stride Cy) = x[:, g] (N x Kg, row stride Cx·H·W) · W_gᵀ.
    over_units(g.G, gemm_work(g.N, g.Cyg, g.Kg), [&](int64_t gi) {
      float* yg = Y + gi * g.Cyg;
      float beta = 0.f;
      if (B) {
        for (int64_t n = 0; n < g.N; ++n) std::copy(B + gi * g.Cyg, B + (gi + 1) * g.Cyg, yg + n * g.Cy);
        beta = 1.f;
      }
      gemm(false, true, g.N, g.Cyg, g.Kg, 1.f, X + gi * g.Kg, g.Cx * g.HW, Wt + gi * g.Cyg * g.Kg, g.Kg, beta, yg, g.Cy);
    });
    return;
  }

  if (g.nb > 1) {
    const int64_t nbt = batches(g);
    over_units(g.G * nbt, gemm_work(g.Cyg, g.nb * g.P, g.Kg), [&](int64_t u) {
      const int64_t gi = u % g.G, n0 = (u / g.G) * g.nb, m = std::min(g.nb, g.N - n0), cols = m * g.P;
      float* col = scratch(kColSlot, g.Kg * cols);
      float* yb = scratch(kBlockSlot, g.Cyg * cols);
      im2col(g, X + g.xoff(n0, gi), m, 0, g.P, col);
      gemm(false, false, g.Cyg, cols, g.Kg, 1.f, Wt + gi * g.Cyg * g.Kg, g.Kg, col, cols, 0.f, yb, cols);
      for (int64_t s = 0; s < m; ++s) {
        float* yg = Y + g.yoff(n0 + s, gi);
        for (int64_t c = 0; c < g.Cyg; ++c) {
          const float* src = yb + c * cols + s * g.P;
          float* d = yg + c * g.P;
          if (B) {
            const float bc = B[gi * g.Cyg + c];
            for (int64_t p = 0; p < g.P; ++p) d[p] = src[p] + bc;
          } else {
            for (int64_t p = 0; p < g.P; ++p) d[p] = src[p];
          }
        }
      }
    });
    return;
  }

  over_units(g.N * g.G, gemm_work(g.Cyg, g.P, g.Kg), [&](int64_t u) {
    const int64_t n = u / g.G, gi = u % g.G;
    float* yg = Y + g.yoff(n, gi);
    const float* wg = Wt + gi * g.Cyg * g.Kg;
    const float* xg = X + g.xoff(n, gi);
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
      im2col(g, xg, 1, p0, p1, col);
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

  if (g.wide) {
    // The wide padded-input plane of dx[n, ci] (Hs x Ws) = sum over (co, ki, kj) of w[co, ci, ki, kj] times
    // the gradient plane gy[n, co] placed at (ki·dh, kj·dw): a correlation of the zero-extended gradient
    // (plane length E, the gradient at offset `base`) with taps at offsets base - (ki·dh·Ws + kj·dw).
    const ConvDirectKernels& K = conv_direct_kernels();
    const int64_t kk = g.kh * g.kw, nt = g.Cyg * kk, Z = g.Z;
    std::vector<int64_t> off(static_cast<size_t>(nt));
    std::vector<float> wt(static_cast<size_t>(g.Cx * nt));  // wt[ci of all groups][co·kk + k]
    for (int64_t co = 0; co < g.Cyg; ++co)
      for (int64_t k = 0; k < kk; ++k)
        off[size_t(co * kk + k)] = co * g.E + g.base - ((k / g.kw) * g.p.dil_h * g.Ws + (k % g.kw) * g.p.dil_w);
    for (int64_t gi = 0; gi < g.G; ++gi)
      for (int64_t ci = 0; ci < g.Cxg; ++ci)
        for (int64_t co = 0; co < g.Cyg; ++co)
          for (int64_t k = 0; k < kk; ++k)
            wt[size_t((gi * g.Cxg + ci) * nt + co * kk + k)] = Wt[((gi * g.Cyg + co) * g.Cxg + ci) * kk + k];
    over_units(g.N * g.G, gemm_work(g.Cxg, Z, nt), [&](int64_t u) {
      const int64_t n = u / g.G, gi = u % g.G;
      float* ge = scratch(kBlockSlot, g.Cyg * g.E + kWideAlign);
      wide_gy(g, GY, n, gi, ge, g.E, g.base);
      zero_span(ge + g.Cyg * g.E, kWideAlign);
      float* acc = scratch(kColSlot, Z);
      for (int64_t ci = 0; ci < g.Cxg; ++ci) {
        zero_span(acc, Z);
        K.taps(Z, nt, wt.data() + (gi * g.Cxg + ci) * nt, off.data(), ge, acc);
        float* dp = DX + g.xoff(n, gi) + ci * g.HW;
        const float b = B ? B[gi * g.Cxg + ci] : 0.f;
        for (int64_t y0 = 0; y0 < g.H; ++y0) {
          float* d = dp + y0 * g.W;
          const int64_t yy = y0 + g.p.pad_top;
          const float* a = acc + yy * g.Ws + g.p.pad_left;
          const int64_t x1 = yy < g.Hs ? std::max<int64_t>(0, std::min(g.W, g.Ws - g.p.pad_left)) : 0;
          if (B) {
            for (int64_t x0 = 0; x0 < x1; ++x0) d[x0] = a[x0] + b;
          } else {
            copy_span(d, a, x1);
          }
          for (int64_t x0 = x1; x0 < g.W; ++x0) d[x0] = b;
        }
      }
    });
    return;
  }

  if (g.full) {
    // dx[:, g] (N x Kg, row stride Cx·H·W) = gy[:, g] (N x Cyg, row stride Cy) · W_g.
    over_units(g.G, gemm_work(g.N, g.Kg, g.Cyg), [&](int64_t gi) {
      float* dxg = DX + gi * g.Kg;
      float beta = 0.f;
      if (B) {
        for (int64_t n = 0; n < g.N; ++n) fill_rows(DX + g.xoff(n, gi), g.Cxg, g.HW, B + gi * g.Cxg);
        beta = 1.f;
      }
      gemm(false, false, g.N, g.Kg, g.Cyg, 1.f, GY + gi * g.Cyg, g.Cy, Wt + gi * g.Cyg * g.Kg, g.Kg, beta, dxg, g.Cx * g.HW);
    });
    return;
  }

  if (g.nb > 1) {
    const int64_t nbt = batches(g);
    over_units(g.G * nbt, gemm_work(g.Kg, g.nb * g.P, g.Cyg), [&](int64_t u) {
      const int64_t gi = u % g.G, n0 = (u / g.G) * g.nb, m = std::min(g.nb, g.N - n0), cols = m * g.P;
      float* dxg = DX + g.xoff(n0, gi);
      for (int64_t s = 0; s < m; ++s) fill_rows(dxg + s * g.Cx * g.HW, g.Cxg, g.HW, B ? B + gi * g.Cxg : nullptr);
      float* gyb = scratch(kBlockSlot, g.Cyg * cols);
      float* col = scratch(kColSlot, g.Kg * cols);
      gather_gy(g, GY, n0, m, gi, gyb);
      gemm(true, false, g.Kg, cols, g.Cyg, 1.f, Wt + gi * g.Cyg * g.Kg, g.Kg, gyb, cols, 0.f, col, cols);
      col2im_add(g, col, m, 0, g.P, dxg);
    });
    return;
  }

  over_units(g.N * g.G, gemm_work(g.Kg, g.P, g.Cyg), [&](int64_t u) {
    const int64_t n = u / g.G, gi = u % g.G;
    float* dxg = DX + g.xoff(n, gi);
    const float* gyg = GY + g.yoff(n, gi);
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
      col2im_add(g, col, 1, p0, p1, dxg);
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

  if (g.full) {
    // dW_g (Cyg x Kg) = gy[:, g]ᵀ (gy: N x Cyg, row stride Cy) · x[:, g] (N x Kg, row stride Cx·H·W).
    over_units(g.G, gemm_work(g.Cyg, g.Kg, g.N), [&](int64_t gi) {
      gemm(true, false, g.Cyg, g.Kg, g.N, 1.f, GY + gi * g.Cyg, g.Cy, X + gi * g.Kg, g.Cx * g.HW, 0.f,
           DW + gi * g.Cyg * g.Kg, g.Kg);
    });
    return;
  }

  // The sum over n runs in `chunks` fixed by the shape; chunk 0 accumulates into dw, the others into
  // partial buffers added afterwards in chunk order. Inside a chunk, samples go nb at a time (batched
  // path) or one at a time in segments of P.
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>({g.N, 8, 1 + kPartialBudget / wsize}));
  std::vector<float> partial(size_t((chunks - 1) * wsize));
  auto target = [&](int64_t chunk) { return chunk == 0 ? DW : partial.data() + (chunk - 1) * wsize; };
  const double work = gemm_work(g.Cyg, g.Kg, g.P) * double(std::max<int64_t>(g.N, 1)) / double(chunks);
  const ConvDirectKernels* wk = g.wide ? &conv_direct_kernels() : nullptr;
  const std::vector<int64_t> woff = g.wide ? wide_offsets(g) : std::vector<int64_t>();
  over_units(g.G * chunks, work, [&](int64_t u) {
    const int64_t gi = u / chunks, ch = u % chunks;
    float* dwg = target(ch) + gi * g.Cyg * g.Kg;
    fill_rows(dwg, g.Cyg, g.Kg, nullptr);
    const int64_t n0 = g.N * ch / chunks, n1 = g.N * (ch + 1) / chunks;
    if (g.wide) {
      // dW[co, t] = sum over the chunk's samples and q of gy_wide[co, q] · (wide input shifted by off[t])[q]:
      // 16 lane sums per (co, t) over all the samples, then the lanes added pairwise.
      static_assert(kWideAlign == 16, "the dots kernel sums in 16 lanes");
      std::vector<float> lanes(static_cast<size_t>(g.Cyg * g.Kg * 16), 0.f);
      float* gw = scratch(kBlockSlot, g.Cyg * g.L);
      for (int64_t n = n0; n < n1; ++n) {
        const float* xs = wide_input(g, X + g.xoff(n, gi));
        wide_gy(g, GY, n, gi, gw, g.L, 0);
        for (int64_t co = 0; co < g.Cyg; ++co) wk->dots(g.L, g.Kg, woff.data(), xs, gw + co * g.L, lanes.data() + co * g.Kg * 16);
      }
      for (int64_t i = 0; i < g.Cyg * g.Kg; ++i) {
        float* l = lanes.data() + i * 16;
        for (int w = 8; w >= 1; w /= 2)
          for (int j = 0; j < w; ++j) l[j] += l[j + w];
        dwg[i] = l[0];
      }
      return;
    }
    if (g.nb > 1) {
      for (int64_t b0 = n0; b0 < n1; b0 += g.nb) {
        const int64_t m = std::min(g.nb, n1 - b0), cols = m * g.P;
        float* gyb = scratch(kBlockSlot, g.Cyg * cols);
        float* col = scratch(kColSlot, g.Kg * cols);
        gather_gy(g, GY, b0, m, gi, gyb);
        im2col(g, X + g.xoff(b0, gi), m, 0, g.P, col);
        gemm(false, true, g.Cyg, g.Kg, cols, 1.f, gyb, cols, col, cols, 1.f, dwg, g.Kg);
      }
      return;
    }
    float* col = g.direct ? nullptr : scratch(kColSlot, g.Kg * g.seg);
    for (int64_t n = n0; n < n1; ++n) {
      const float* gyg = GY + g.yoff(n, gi);
      const float* xg = X + g.xoff(n, gi);
      if (g.direct) {
        gemm(false, true, g.Cyg, g.Kg, g.P, 1.f, gyg, g.P, xg, g.P, 1.f, dwg, g.Kg);
        continue;
      }
      for (int64_t p0 = 0; p0 < g.P; p0 += g.seg) {
        const int64_t p1 = std::min(g.P, p0 + g.seg), ps = p1 - p0;
        im2col(g, xg, 1, p0, p1, col);
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

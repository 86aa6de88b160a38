// CPU recurrent layers (layout and workspace in native/ops/rnn.h). Per layer and direction:
//   forward:  one GEMM projects the inputs of all T steps (x · W_ihᵀ + b_ih, [T*B, G*H]); then per step a
//             recurrent GEMM (h · W_hhᵀ + b_hh, [B, G*H]) and one fused pass over the gates (nonlinearities,
//             cell update, masking of finished sequences) that also writes what backward needs.
//   backward: a reverse sweep of the fused gate derivative pass and the recurrent backward-data GEMM
//             (dG_hh · W_hh); the gate gradients of every step are kept, so the weight gradients and the
//             gradient of the layer's input are one GEMM each per sequence rather than one per step.
// Every GEMM is our own (cpu/gemm.h); all sums run in an order fixed by the shapes, so results do not
// depend on the thread count.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/gemm.h"
#include "ops/rnn.h"
#include "ops/rnn_gates.h"

namespace ds::cpu {

namespace {

// True when sequence b has a step at time t.
inline bool active(const int32_t* len, int64_t b, int64_t t) { return !len || t < len[b]; }

// Rows [0, rows) of `out` [rows, n] := bias broadcast (or zeros).
void fill_rows(float* out, int64_t rows, int64_t n, const float* bias) {
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      if (bias) std::memcpy(out + r * n, bias, size_t(n) * sizeof(float));
      else std::memset(out + r * n, 0, size_t(n) * sizeof(float));
    }
  });
}

// db[j] = Σ_r g[r, j], rows summed in order (deterministic).
void column_sums(const float* g, int64_t rows, int64_t n, float* db) {
  parallel_for(0, n, 64, [&](int64_t lo, int64_t hi) {
    for (int64_t j = lo; j < hi; ++j) {
      double s = 0;
      for (int64_t r = 0; r < rows; ++r) s += g[r * n + j];
      db[j] = float(s);
    }
  });
}

// One forward step of every sequence: pre [B, G*H] (input projection at time t), hh [B, G*H] (recurrent
// projection), the previous states at sl.h/sl.c + s*B*H; writes the next states, the saved gates and y.
void step_forward(const RnnParams& p, const RnnSlot& sl, const int32_t* len, int64_t B, int64_t s, int64_t t,
                  int64_t d, const float* pre, const float* hh) {
  const int64_t H = p.hidden, G = p.gates(), D = p.dirs();
  const float* hp = sl.h + s * B * H;
  float* hnx = sl.h + (s + 1) * B * H;
  const float* cp = sl.c ? sl.c + s * B * H : nullptr;
  float* cnx = sl.c ? sl.c + (s + 1) * B * H : nullptr;
  float* gs = sl.gates ? sl.gates + s * B * 4 * H : nullptr;
  parallel_for(0, B, std::max<int64_t>(1, 2048 / (G * H)), [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      const float* a = pre + b * G * H;
      const float* r = hh + b * G * H;
      float* hb = hnx + b * H;
      float* yb = sl.y + (t * B + b) * D * H + d * H;
      if (!active(len, b, t)) {
        std::memcpy(hb, hp + b * H, size_t(H) * sizeof(float));
        if (cnx) std::memcpy(cnx + b * H, cp + b * H, size_t(H) * sizeof(float));
        if (gs) std::memset(gs + b * 4 * H, 0, size_t(4 * H) * sizeof(float));
        std::memset(yb, 0, size_t(H) * sizeof(float));
        continue;
      }
      float* g = gs ? gs + b * 4 * H : nullptr;
      for (int64_t j = 0; j < H; ++j)
        rnn_unit_forward(p.mode, H, j, a, r, hp[b * H + j], cp ? cp[b * H + j] : 0.f, hb + j,
                         cnx ? cnx + b * H + j : nullptr, g);
      std::memcpy(yb, hb, size_t(H) * sizeof(float));
    }
  });
}

// One backward step: dh [B, H] (gradient reaching h after step s, dy included) and dc [B, H] (LSTM) are
// turned into the gate gradients gih (input side) and ghh (recurrent side) [B, G*H], dc becomes the
// gradient of the previous cell state and dh_keep the part of dh_prev not flowing through W_hh.
void step_backward(const RnnParams& p, const RnnSlot& sl, const int32_t* len, int64_t B, int64_t s, int64_t t,
                   const float* dh, float* dc, float* gih, float* ghh, float* dh_keep) {
  const int64_t H = p.hidden, G = p.gates();
  const float* hp = sl.h + s * B * H;
  const float* hc = sl.h + (s + 1) * B * H;
  parallel_for(0, B, std::max<int64_t>(1, 2048 / (G * H)), [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      const float* db = dh + b * H;
      float* gi = gih + b * G * H;
      float* gh = ghh + b * G * H;
      float* keep = dh_keep + b * H;
      if (!active(len, b, t)) {
        std::memset(gi, 0, size_t(G * H) * sizeof(float));
        std::memset(gh, 0, size_t(G * H) * sizeof(float));
        std::memcpy(keep, db, size_t(H) * sizeof(float));
        continue;
      }
      const float* g = sl.gates ? sl.gates + (s * B + b) * 4 * H : nullptr;
      const float* cprev = sl.c ? sl.c + (s * B + b) * H : nullptr;
      const float* cv = sl.c ? sl.c + ((s + 1) * B + b) * H : nullptr;
      for (int64_t j = 0; j < H; ++j)
        keep[j] = rnn_unit_backward(p.mode, H, j, db[j], dc ? dc + b * H + j : nullptr, hc[b * H + j], hp[b * H + j],
                                    cprev ? cprev[j] : 0.f, cv ? cv[j] : 0.f, g, gi, gh);
    }
  });
}

// Lengths are read on the host here (the CUDA path relies on the JS validation).
void check_lengths(const TensorRef& lengths, int64_t T) {
  if (!lengths.defined) return;
  for (int64_t b = 0; b < lengths.numel(); ++b)
    DS_CHECK(lengths.i32()[b] >= 1 && lengths.i32()[b] <= T, "rnn: lengths must lie in 1..T");
}

}  // namespace

void rnn_forward(const TensorRef& x, const TensorRef& h0, const TensorRef& c0, const TensorRef& lengths,
                 const TensorRef* weights, const TensorRef& y, const TensorRef& hn, const TensorRef& cn,
                 const TensorRef& ws, const RnnParams& p) {
  check_lengths(lengths, x.shape[0]);
  const int64_t T = x.shape[0], B = x.shape[1], H = p.hidden, G = p.gates(), D = p.dirs(), L = p.layers;
  const bool lstm = p.mode == RnnMode::Lstm;
  const int32_t* len = lengths.defined ? lengths.i32() : nullptr;
  std::vector<float> pre(size_t(T * B * G * H)), hh(size_t(B * G * H));
  for (int64_t l = 0; l < L; ++l) {
    const float* X = l ? p.slot(ws.f32(), T, B, l - 1, 0).y : x.f32();
    const int64_t in = l ? D * H : x.shape[2];
    for (int64_t d = 0; d < D; ++d) {
      const TensorRef* w = weights + (l * D + d) * p.weights_per_dir();
      const float* b_ih = p.bias ? w[2].f32() : nullptr;
      const float* b_hh = p.bias ? w[3].f32() : nullptr;
      const RnnSlot sl = p.slot(ws.f32(), T, B, l, d);
      const int64_t state = (l * D + d) * B * H;
      // Absent initial states are zeros.
      if (h0.defined) std::memcpy(sl.h, h0.f32() + state, size_t(B * H) * sizeof(float));
      else std::memset(sl.h, 0, size_t(B * H) * sizeof(float));
      if (lstm && c0.defined) std::memcpy(sl.c, c0.f32() + state, size_t(B * H) * sizeof(float));
      else if (lstm) std::memset(sl.c, 0, size_t(B * H) * sizeof(float));
      fill_rows(pre.data(), T * B, G * H, b_ih);
      gemm(false, true, T * B, G * H, in, 1.f, X, in, w[0].f32(), in, 1.f, pre.data(), G * H);
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = rnn_time(s, T, d);
        fill_rows(hh.data(), B, G * H, b_hh);
        gemm(false, true, B, G * H, H, 1.f, sl.h + s * B * H, H, w[1].f32(), H, 1.f, hh.data(), G * H);
        step_forward(p, sl, len, B, s, t, d, pre.data() + t * B * G * H, hh.data());
      }
      std::memcpy(hn.f32() + state, sl.h + T * B * H, size_t(B * H) * sizeof(float));
      if (lstm) std::memcpy(cn.f32() + state, sl.c + T * B * H, size_t(B * H) * sizeof(float));
    }
  }
  std::memcpy(y.f32(), p.slot(ws.f32(), T, B, L - 1, 0).y, size_t(T * B * D * H) * sizeof(float));
}

void rnn_backward(const TensorRef& x, const TensorRef& lengths, const TensorRef& ws, const TensorRef& dy,
                  const TensorRef& dhn, const TensorRef& dcn, const TensorRef* weights, const TensorRef& dx,
                  const TensorRef& dh0, const TensorRef& dc0, const TensorRef* dweights, const RnnParams& p) {
  check_lengths(lengths, x.shape[0]);
  const int64_t T = x.shape[0], B = x.shape[1], H = p.hidden, G = p.gates(), D = p.dirs(), L = p.layers;
  const bool lstm = p.mode == RnnMode::Lstm;
  const int32_t* len = lengths.defined ? lengths.i32() : nullptr;
  std::vector<float> dyl(dy.f32(), dy.f32() + T * B * D * H), dxl;
  std::vector<float> gih(size_t(T * B * G * H)), ghh(size_t(T * B * G * H));
  std::vector<float> dh(size_t(B * H)), dc(size_t(B * H)), dht(size_t(B * H)), keep(size_t(B * H));
  for (int64_t l = L - 1; l >= 0; --l) {
    const float* X = l ? p.slot(ws.f32(), T, B, l - 1, 0).y : x.f32();
    const int64_t in = l ? D * H : x.shape[2];
    float* dX = dx.f32();
    if (l) {
      dxl.assign(size_t(T * B * in), 0.f);
      dX = dxl.data();
    }
    for (int64_t d = 0; d < D; ++d) {
      const TensorRef* w = weights + (l * D + d) * p.weights_per_dir();
      const TensorRef* dw = dweights + (l * D + d) * p.weights_per_dir();
      const RnnSlot sl = p.slot(ws.f32(), T, B, l, d);
      const int64_t state = (l * D + d) * B * H;
      std::memcpy(dh.data(), dhn.f32() + state, size_t(B * H) * sizeof(float));
      if (lstm) std::memcpy(dc.data(), dcn.f32() + state, size_t(B * H) * sizeof(float));
      for (int64_t s = T - 1; s >= 0; --s) {
        const int64_t t = rnn_time(s, T, d);
        for (int64_t b = 0; b < B; ++b) {
          const float* g = dyl.data() + (t * B + b) * D * H + d * H;
          const bool on = active(len, b, t);
          for (int64_t j = 0; j < H; ++j) dht[b * H + j] = dh[b * H + j] + (on ? g[j] : 0.f);
        }
        float* gi = gih.data() + t * B * G * H;
        float* gh = ghh.data() + s * B * G * H;
        step_backward(p, sl, len, B, s, t, dht.data(), dc.data(), gi, gh, keep.data());
        std::memcpy(dh.data(), keep.data(), size_t(B * H) * sizeof(float));
        gemm(false, false, B, H, G * H, 1.f, gh, G * H, w[1].f32(), H, 1.f, dh.data(), H);
      }
      std::memcpy(dh0.f32() + state, dh.data(), size_t(B * H) * sizeof(float));
      if (lstm) std::memcpy(dc0.f32() + state, dc.data(), size_t(B * H) * sizeof(float));
      // Weight gradients: every step at once. h[s] (s < T) is the state step s read.
      gemm(true, false, G * H, in, T * B, 1.f, gih.data(), G * H, X, in, 0.f, dw[0].f32(), in);
      gemm(true, false, G * H, H, T * B, 1.f, ghh.data(), G * H, sl.h, H, 0.f, dw[1].f32(), H);
      if (p.bias) {
        column_sums(gih.data(), T * B, G * H, dw[2].f32());
        column_sums(ghh.data(), T * B, G * H, dw[3].f32());
      }
      gemm(false, false, T * B, in, G * H, 1.f, gih.data(), G * H, w[0].f32(), in, d ? 1.f : 0.f, dX, in);
    }
    if (l) dyl.swap(dxl);
  }
}

}  // namespace ds::cpu

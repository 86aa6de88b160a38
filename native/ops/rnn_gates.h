// The per-unit gate math of the recurrent layers, shared by the CPU and CUDA kernels so that both compute
// exactly the same expressions (PyTorch's equations and gate order, see ops/rnn.h). For one sequence and
// hidden unit j, `a` and `r` point at that sequence's input and recurrent projections [G*H] (biases
// included), `g` at its saved gates [4*H] (LSTM, GRU; unused otherwise).
#pragma once
#include <math.h>

#include <cstdint>

#include "ops/rnn.h"

#if defined(__CUDACC__)
#define DS_RNN_HD __host__ __device__ __forceinline__
#else
#define DS_RNN_HD inline
#endif

namespace ds {

DS_RNN_HD float rnn_sigmoid(float v) { return 1.f / (1.f + expf(-v)); }

// Forward: the new h (and c for LSTM) of unit j; saves the activated gates to g.
DS_RNN_HD void rnn_unit_forward(RnnMode mode, int64_t H, int64_t j, const float* a, const float* r, float hprev,
                                float cprev, float* h, float* c, float* g) {
  switch (mode) {
    case RnnMode::RnnTanh:
      *h = tanhf(a[j] + r[j]);
      break;
    case RnnMode::RnnRelu:
      *h = fmaxf(a[j] + r[j], 0.f);
      break;
    case RnnMode::Lstm: {
      const float ig = rnn_sigmoid(a[j] + r[j]), fg = rnn_sigmoid(a[H + j] + r[H + j]);
      const float gg = tanhf(a[2 * H + j] + r[2 * H + j]), og = rnn_sigmoid(a[3 * H + j] + r[3 * H + j]);
      *c = fg * cprev + ig * gg;
      *h = og * tanhf(*c);
      g[j] = ig, g[H + j] = fg, g[2 * H + j] = gg, g[3 * H + j] = og;
      break;
    }
    case RnnMode::Gru: {
      const float rg = rnn_sigmoid(a[j] + r[j]), zg = rnn_sigmoid(a[H + j] + r[H + j]);
      const float hn = r[2 * H + j];
      const float ng = tanhf(a[2 * H + j] + rg * hn);
      *h = (1.f - zg) * ng + zg * hprev;
      g[j] = rg, g[H + j] = zg, g[2 * H + j] = ng, g[3 * H + j] = hn;
      break;
    }
  }
}

// Backward of unit j: dh is the gradient reaching its new h (output gradient included), *dc that reaching
// its new c (LSTM; becomes the previous c's). Writes the pre-activation gate gradients of the input side
// (gi) and the recurrent side (gh, differing for GRU's n gate) [G*H], and returns the part of the previous
// h's gradient that does not flow through W_hh.
DS_RNN_HD float rnn_unit_backward(RnnMode mode, int64_t H, int64_t j, float dh, float* dc, float h, float hprev,
                                  float cprev, float c, const float* g, float* gi, float* gh) {
  switch (mode) {
    case RnnMode::RnnTanh:
      gi[j] = gh[j] = dh * (1.f - h * h);
      return 0.f;
    case RnnMode::RnnRelu:
      gi[j] = gh[j] = h > 0.f ? dh : 0.f;
      return 0.f;
    case RnnMode::Lstm: {
      const float ig = g[j], fg = g[H + j], gg = g[2 * H + j], og = g[3 * H + j];
      const float tc = tanhf(c);
      const float dct = *dc + dh * og * (1.f - tc * tc);
      gi[j] = gh[j] = dct * gg * ig * (1.f - ig);
      gi[H + j] = gh[H + j] = dct * cprev * fg * (1.f - fg);
      gi[2 * H + j] = gh[2 * H + j] = dct * ig * (1.f - gg * gg);
      gi[3 * H + j] = gh[3 * H + j] = dh * tc * og * (1.f - og);
      *dc = dct * fg;
      return 0.f;
    }
    case RnnMode::Gru: {
      const float rg = g[j], zg = g[H + j], ng = g[2 * H + j], hn = g[3 * H + j];
      const float dn = dh * (1.f - zg) * (1.f - ng * ng);
      const float dz = dh * (hprev - ng) * zg * (1.f - zg);
      const float dr = dn * hn * rg * (1.f - rg);
      gi[j] = gh[j] = dr;
      gi[H + j] = gh[H + j] = dz;
      gi[2 * H + j] = dn;
      gh[2 * H + j] = dn * rg;
      return dh * zg;
    }
  }
  return 0.f;
}

}  // namespace ds

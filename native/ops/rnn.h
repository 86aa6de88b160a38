// Fused recurrent layers (cuDNN's RNN API): RNN_TANH, RNN_RELU, LSTM and GRU, stacked layers, one or two
// directions, variable-length batches through per-sequence lengths. Gate order and weight layout are
// PyTorch's, so its state dicts map one to one.
//
// Shapes (T steps, B sequences, I input features, H hidden units, L layers, D directions, G gates:
// 1 RNN, 4 LSTM (i, f, g, o), 3 GRU (r, z, n)):
//   x [T, B, I] time-major; y [T, B, D*H]; h0, hn, c0, cn [L*D, B, H]; lengths int32 [B] (optional, each
//   in 1..T; steps at or past a sequence's length carry its state and output zeros).
//   weights, per layer l and direction d in that order: w_ih [G*H, I or D*H], w_hh [G*H, H],
//   then, with bias, b_ih [G*H], b_hh [G*H].
// The workspace (written by forward, read by backward) holds, per layer, the layer's output [T, B, D*H]
// and per direction the states h [T+1, B, H] (and c for LSTM) in processing order, and the activated
// gates [T, B, 4*H] (LSTM: i, f, g, o; GRU: r, z, n, W_hn·h + b_hn) for LSTM and GRU.
#pragma once
#include <cstdint>

#include "core/attrs.h"
#include "core/tensor_ref.h"

namespace ds {

enum class RnnMode { RnnTanh, RnnRelu, Lstm, Gru };

// Where one layer-direction's saved tensors sit in the workspace.
struct RnnSlot {
  float* y;      // the layer's output [T, B, D*H] (shared by both directions)
  float* h;      // [T+1, B, H] in processing order, h[0] = h0
  float* c;      // [T+1, B, H] (LSTM) or null
  float* gates;  // [T, B, 4*H] (LSTM, GRU) or null
};

struct RnnParams {
  RnnMode mode = RnnMode::Lstm;
  int64_t hidden = 0;
  int64_t layers = 1;
  bool bidirectional = false;
  bool bias = true;
  static RnnParams from(const Attrs& a);

  int64_t dirs() const { return bidirectional ? 2 : 1; }
  int64_t gates() const { return mode == RnnMode::Lstm ? 4 : mode == RnnMode::Gru ? 3 : 1; }
  // Floats of activated gates kept per (step, sequence, unit).
  int64_t saved_gates() const { return mode == RnnMode::Lstm || mode == RnnMode::Gru ? 4 : 0; }
  int64_t weights_per_dir() const { return bias ? 4 : 2; }
  // Floats of the workspace for T steps and B sequences (mirrored by rnnWorkspaceSize in src/ops/rnn.ts).
  int64_t workspace(int64_t T, int64_t B) const {
    const int64_t states = (T + 1) * B * hidden * (mode == RnnMode::Lstm ? 2 : 1);
    return layers * (T * B * dirs() * hidden + dirs() * (states + T * B * saved_gates() * hidden));
  }
  RnnSlot slot(float* ws, int64_t T, int64_t B, int64_t l, int64_t d) const {
    const int64_t H = hidden, D = dirs();
    const bool lstm = mode == RnnMode::Lstm;
    const int64_t states = (T + 1) * B * H;
    const int64_t per_dir = states * (lstm ? 2 : 1) + T * B * saved_gates() * H;
    float* layer = ws + l * (T * B * D * H + D * per_dir);
    float* dir = layer + T * B * D * H + d * per_dir;
    return {layer, dir, lstm ? dir + states : nullptr, saved_gates() ? dir + states * (lstm ? 2 : 1) : nullptr};
  }
};

// Shape checks shared by every backend (JS validates first; these guard the kernels).
void rnn_check(const TensorRef& x, const TensorRef& lengths, const TensorRef& ws, const TensorRef* weights,
               const RnnParams& p);

// The time index of processing step s of direction d.
inline int64_t rnn_time(int64_t s, int64_t T, int64_t d) { return d ? T - 1 - s : s; }

// The entry points, declared alike for each backend:
// rnn_forward: in x, h0?, c0? (zeros when absent), lengths?, weights...; out y, hn, workspace[, cn for LSTM].
// rnn_backward: in x, lengths?, workspace, dy, dhn, dcn?, weights...; out dx, dh0, dweights... (same order
// as weights)[, dc0 for LSTM]. Backward-data and backward-weights through time in one sweep; weight
// gradients are one GEMM per sequence, not one per step. The CUDA kernel reads no lengths on the host
// (JS validated them).
#define DS_RNN_ENTRY_POINTS                                                                                      \
  void rnn_forward(const TensorRef& x, const TensorRef& h0, const TensorRef& c0, const TensorRef& lengths,      \
                   const TensorRef* weights, const TensorRef& y, const TensorRef& hn, const TensorRef& cn,      \
                   const TensorRef& ws, const RnnParams& p);                                                    \
  void rnn_backward(const TensorRef& x, const TensorRef& lengths, const TensorRef& ws, const TensorRef& dy,     \
                    const TensorRef& dhn, const TensorRef& dcn, const TensorRef* weights, const TensorRef& dx,  \
                    const TensorRef& dh0, const TensorRef& dc0, const TensorRef* dweights, const RnnParams& p);

namespace cpu {
DS_RNN_ENTRY_POINTS
}  // namespace cpu
namespace cuda {
DS_RNN_ENTRY_POINTS
}  // namespace cuda

}  // namespace ds

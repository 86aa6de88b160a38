#include "ops/rnn.h"

#include "core/op_registry.h"

namespace ds {

RnnParams RnnParams::from(const Attrs& a) {
  RnnParams p;
  const std::string m = a.s("mode");
  if (m == "rnn_tanh") p.mode = RnnMode::RnnTanh;
  else if (m == "rnn_relu") p.mode = RnnMode::RnnRelu;
  else if (m == "lstm") p.mode = RnnMode::Lstm;
  else if (m == "gru") p.mode = RnnMode::Gru;
  else fail("rnn: unknown mode '" + m + "'");
  p.hidden = a.i("hidden");
  p.layers = a.i("layers", 1);
  p.bidirectional = a.b("bidirectional", false);
  p.bias = a.b("bias", true);
  DS_CHECK(p.hidden > 0 && p.layers > 0, "rnn: hidden and layers must be positive");
  return p;
}

void rnn_check(const TensorRef& x, const TensorRef& lengths, const TensorRef& ws, const TensorRef* w,
               const RnnParams& p) {
  DS_CHECK(x.dtype == DType::f32 && x.ndim == 3, "rnn: x must be float32 [T, B, I], got " + x.shape_str());
  const int64_t T = x.shape[0], B = x.shape[1], H = p.hidden, G = p.gates();
  DS_CHECK(ws.numel() == p.workspace(T, B), "rnn: workspace size");
  DS_CHECK(!lengths.defined || (lengths.dtype == DType::i32 && lengths.numel() == B), "rnn: lengths must be int32 [B]");
  for (int64_t l = 0; l < p.layers; ++l) {
    const int64_t in = l ? p.dirs() * H : x.shape[2];
    for (int64_t d = 0; d < p.dirs(); ++d) {
      const TensorRef* wd = w + (l * p.dirs() + d) * p.weights_per_dir();
      DS_CHECK(wd[0].numel() == G * H * in && wd[1].numel() == G * H * H, "rnn: weight shapes");
      if (p.bias) DS_CHECK(wd[2].numel() == G * H && wd[3].numel() == G * H, "rnn: bias shapes");
    }
  }
}

namespace {

const TensorRef kNone{};

int64_t weight_count(const RnnParams& p) { return p.layers * p.dirs() * p.weights_per_dir(); }

using ForwardFn = decltype(&cpu::rnn_forward);
using BackwardFn = decltype(&cpu::rnn_backward);

// in x, h0?, c0?, lengths?, weights... (absent states are zeros); out y, hn, workspace[, cn].
template <ForwardFn kernel>
void forward(const OpCall& c) {
  const RnnParams p = RnnParams::from(c.attrs);
  DS_CHECK(int64_t(c.in.size()) == 4 + weight_count(p), "rnn_forward: wrong number of weights");
  const bool lstm = p.mode == RnnMode::Lstm;
  DS_CHECK(c.out.size() == (lstm ? 4u : 3u), "rnn_forward: wrong number of outputs");
  rnn_check(c.in[0], c.in[3], c.out[2], &c.in[4], p);
  const int64_t T = c.in[0].shape[0], B = c.in[0].shape[1], S = p.layers * p.dirs() * B * p.hidden;
  DS_CHECK((!c.in[1].defined || c.in[1].numel() == S) && c.out[1].numel() == S, "rnn_forward: state shapes");
  DS_CHECK(!lstm || ((!c.in[2].defined || c.in[2].numel() == S) && c.out[3].numel() == S), "rnn_forward: LSTM cell states");
  DS_CHECK(c.out[0].numel() == T * B * p.dirs() * p.hidden, "rnn_forward: output shape");
  kernel(c.in[0], c.in[1], c.in[2], c.in[3], &c.in[4], c.out[0], c.out[1], lstm ? c.out[3] : kNone, c.out[2], p);
}

// in x, h0, c0?, lengths?, workspace, dy, dhn, dcn?, weights...; out dx, dh0, dweights...[, dc0].
template <BackwardFn kernel>
void backward(const OpCall& c) {
  const RnnParams p = RnnParams::from(c.attrs);
  const int64_t nw = weight_count(p);
  DS_CHECK(int64_t(c.in.size()) == 8 + nw, "rnn_backward: wrong number of weights");
  const bool lstm = p.mode == RnnMode::Lstm;
  DS_CHECK(int64_t(c.out.size()) == 2 + nw + (lstm ? 1 : 0), "rnn_backward: wrong number of outputs");
  rnn_check(c.in[0], c.in[3], c.in[4], &c.in[8], p);
  const int64_t T = c.in[0].shape[0], B = c.in[0].shape[1], S = p.layers * p.dirs() * B * p.hidden;
  DS_CHECK(c.in[5].numel() == T * B * p.dirs() * p.hidden && c.in[6].numel() == S && c.out[1].numel() == S,
           "rnn_backward: gradient shapes");
  DS_CHECK(!lstm || (c.in[7].defined && c.in[7].numel() == S && c.out[2 + nw].numel() == S), "rnn_backward: LSTM cell state gradients");
  DS_CHECK(c.out[0].numel() == c.in[0].numel(), "rnn_backward: dx shape");
  kernel(c.in[0], c.in[3], c.in[4], c.in[5], c.in[6], c.in[7], &c.in[8], c.out[0], c.out[1],
         lstm ? c.out[2 + nw] : kNone, &c.out[2], p);
}

}  // namespace

DS_REGISTER_OPS({"rnn_forward", forward<cpu::rnn_forward>, DS_CUDA(forward<cuda::rnn_forward>)},
                {"rnn_backward", backward<cpu::rnn_backward>, DS_CUDA(backward<cuda::rnn_backward>)});

}  // namespace ds

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

namespace {

const TensorRef kNone{};

int64_t weight_count(const RnnParams& p) { return p.layers * p.dirs() * p.weights_per_dir(); }

// in x, h0, c0?, lengths?, weights...; out y, hn, workspace[, cn].
void rnn_forward_cpu(const OpCall& c) {
  const RnnParams p = RnnParams::from(c.attrs);
  DS_CHECK(int64_t(c.in.size()) == 4 + weight_count(p), "rnn_forward: wrong number of weights");
  const bool lstm = p.mode == RnnMode::Lstm;
  DS_CHECK(c.out.size() == (lstm ? 4u : 3u), "rnn_forward: wrong number of outputs");
  cpu::rnn_forward(c.in[0], c.in[1], c.in[2], c.in[3], &c.in[4], c.out[0], c.out[1], lstm ? c.out[3] : kNone,
                   c.out[2], p);
}

// in x, h0, c0?, lengths?, workspace, dy, dhn, dcn?, weights...; out dx, dh0, dweights...[, dc0].
void rnn_backward_cpu(const OpCall& c) {
  const RnnParams p = RnnParams::from(c.attrs);
  const int64_t nw = weight_count(p);
  DS_CHECK(int64_t(c.in.size()) == 8 + nw, "rnn_backward: wrong number of weights");
  const bool lstm = p.mode == RnnMode::Lstm;
  DS_CHECK(int64_t(c.out.size()) == 2 + nw + (lstm ? 1 : 0), "rnn_backward: wrong number of outputs");
  cpu::rnn_backward(c.in[0], c.in[3], c.in[4], c.in[5], c.in[6], c.in[7], &c.in[8], c.out[0], c.out[1],
                    lstm ? c.out[2 + nw] : kNone, &c.out[2], p);
}

}  // namespace

DS_REGISTER_OPS({"rnn_forward", rnn_forward_cpu, nullptr}, {"rnn_backward", rnn_backward_cpu, nullptr});

}  // namespace ds

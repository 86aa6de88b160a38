#include "ops/norm.h"

#include "core/op_registry.h"

namespace ds {

BatchNormParams BatchNormParams::from(const Attrs& a) {
  BatchNormParams p;
  p.training = a.b("training", false);
  p.momentum = a.f("momentum", p.momentum);
  p.eps = a.f("eps", p.eps);
  return p;
}

LrnParams LrnParams::from(const Attrs& a) {
  LrnParams p;
  p.size = a.i("size", p.size);
  p.alpha = a.f("alpha", p.alpha);
  p.beta = a.f("beta", p.beta);
  p.k = a.f("k", p.k);
  DS_CHECK(p.size > 0, "local_response_norm: size must be positive");
  return p;
}

namespace {

const TensorRef kNone{};

// batch_norm. Training: in x, weight?, bias?; out y, save_mean, save_invstd[, running_mean, running_var]
// (the running buffers are read and updated in place, in stream order). Eval: in x, weight?, bias?,
// running_mean, running_var; out y, save_mean, save_invstd.
void batch_norm_cpu(const OpCall& c) {
  BatchNormParams p = BatchNormParams::from(c.attrs);
  if (p.training) {
    bool running = c.out.size() == 5;
    cpu::batch_norm(c.in[0], c.in[1], c.in[2], running ? c.out[3] : kNone, running ? c.out[4] : kNone, c.out[0],
                    c.out[1], c.out[2], p);
  } else {
    DS_CHECK(c.in.size() == 5, "batch_norm: eval needs the running statistics");
    cpu::batch_norm(c.in[0], c.in[1], c.in[2], c.in[3], c.in[4], c.out[0], c.out[1], c.out[2], p);
  }
}
// batch_norm_backward: in x, gy, weight?, save_mean, save_invstd; out dx, dweight, dbias.
void batch_norm_backward_cpu(const OpCall& c) {
  cpu::batch_norm_backward(c.in[0], c.in[1], c.in[2], c.in[3], c.in[4], c.out[0], c.out[1], c.out[2],
                           BatchNormParams::from(c.attrs));
}
// local_response_norm: in x; out y, scale.  _backward: in x, y, scale, gy; out gx.
void lrn_cpu(const OpCall& c) { cpu::local_response_norm(c.in[0], c.out[0], c.out[1], LrnParams::from(c.attrs)); }
void lrn_backward_cpu(const OpCall& c) {
  cpu::local_response_norm_backward(c.in[0], c.in[1], c.in[2], c.in[3], c.out[0], LrnParams::from(c.attrs));
}

}  // namespace

DS_REGISTER_OPS({"batch_norm", batch_norm_cpu, nullptr}, {"batch_norm_backward", batch_norm_backward_cpu, nullptr},
                {"local_response_norm", lrn_cpu, nullptr},
                {"local_response_norm_backward", lrn_backward_cpu, nullptr});

}  // namespace ds

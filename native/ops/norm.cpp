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

NcsDims batch_norm_dims(const TensorRef& x, const TensorRef& weight, const TensorRef& bias,
                        const TensorRef& running_mean, const TensorRef& running_var, const TensorRef& y,
                        const TensorRef& save_mean, const TensorRef& save_invstd, const BatchNormParams& p) {
  DS_CHECK(x.ndim >= 2, "batch_norm: input must have at least 2 axes");
  NcsDims d{x.shape[0], x.shape[1], 1};
  for (int i = 2; i < x.ndim; ++i) d.S *= x.shape[i];
  DS_CHECK(y.numel() == x.numel() && save_mean.numel() == d.C && save_invstd.numel() == d.C, "batch_norm: output sizes");
  DS_CHECK(!weight.defined || weight.numel() == d.C, "batch_norm: weight size");
  DS_CHECK(!bias.defined || bias.numel() == d.C, "batch_norm: bias size");
  DS_CHECK(running_mean.defined == running_var.defined, "batch_norm: running mean and var go together");
  DS_CHECK(!running_mean.defined || (running_mean.numel() == d.C && running_var.numel() == d.C), "batch_norm: running sizes");
  if (p.training) DS_CHECK(d.N * d.S > 1, "batch_norm: training needs more than one value per channel");
  else DS_CHECK(running_mean.defined, "batch_norm: eval needs the running statistics");
  return d;
}

NcsDims batch_norm_backward_dims(const TensorRef& x, const TensorRef& gy, const TensorRef& mean, const TensorRef& invstd,
                                 const TensorRef& dx, const TensorRef& dweight, const TensorRef& dbias) {
  DS_CHECK(x.ndim >= 2, "batch_norm_backward: input must have at least 2 axes");
  NcsDims d{x.shape[0], x.shape[1], 1};
  for (int i = 2; i < x.ndim; ++i) d.S *= x.shape[i];
  DS_CHECK(gy.numel() == x.numel() && dx.numel() == x.numel(), "batch_norm_backward: gradient sizes");
  DS_CHECK(mean.numel() == d.C && invstd.numel() == d.C && dweight.numel() == d.C && dbias.numel() == d.C,
           "batch_norm_backward: per-channel sizes");
  return d;
}

namespace {

const TensorRef kNone{};

// batch_norm. Training: in x, weight?, bias?; out y, save_mean, save_invstd[, running_mean, running_var]
// (the running buffers are read and updated in place, in stream order). Eval: in x, weight?, bias?,
// running_mean, running_var; out y, save_mean, save_invstd.
template <decltype(&cpu::batch_norm) kBatchNorm>
void batch_norm_op(const OpCall& c) {
  BatchNormParams p = BatchNormParams::from(c.attrs);
  if (p.training) {
    bool running = c.out.size() == 5;
    kBatchNorm(c.in[0], c.in[1], c.in[2], running ? c.out[3] : kNone, running ? c.out[4] : kNone, c.out[0], c.out[1],
               c.out[2], p);
  } else {
    DS_CHECK(c.in.size() == 5, "batch_norm: eval needs the running statistics");
    kBatchNorm(c.in[0], c.in[1], c.in[2], c.in[3], c.in[4], c.out[0], c.out[1], c.out[2], p);
  }
}
// batch_norm_backward: in x, gy, weight?, save_mean, save_invstd; out dx, dweight, dbias.
template <decltype(&cpu::batch_norm_backward) kBackward>
void batch_norm_backward_op(const OpCall& c) {
  kBackward(c.in[0], c.in[1], c.in[2], c.in[3], c.in[4], c.out[0], c.out[1], c.out[2], BatchNormParams::from(c.attrs));
}
// local_response_norm: in x; out y, scale.  _backward: in x, y, scale, gy; out gx.
template <decltype(&cpu::local_response_norm) kLrn>
void lrn_op(const OpCall& c) {
  kLrn(c.in[0], c.out[0], c.out[1], LrnParams::from(c.attrs));
}
template <decltype(&cpu::local_response_norm_backward) kBackward>
void lrn_backward_op(const OpCall& c) {
  kBackward(c.in[0], c.in[1], c.in[2], c.in[3], c.out[0], LrnParams::from(c.attrs));
}

}  // namespace

DS_REGISTER_OPS({"batch_norm", batch_norm_op<cpu::batch_norm>, DS_CUDA(batch_norm_op<cuda::batch_norm>)},
                {"batch_norm_backward", batch_norm_backward_op<cpu::batch_norm_backward>,
                 DS_CUDA(batch_norm_backward_op<cuda::batch_norm_backward>)},
                {"local_response_norm", lrn_op<cpu::local_response_norm>, DS_CUDA(lrn_op<cuda::local_response_norm>)},
                {"local_response_norm_backward", lrn_backward_op<cpu::local_response_norm_backward>,
                 DS_CUDA(lrn_backward_op<cuda::local_response_norm_backward>)});

}  // namespace ds

#include "ops/softmax.h"

#include "core/error.h"
#include "core/op_registry.h"

namespace ds {

SoftmaxParams SoftmaxParams::from(const Attrs& a) {
  SoftmaxParams p;
  p.dim = int(a.i("dim"));
  return p;
}

NllParams NllParams::from(const Attrs& a, bool from_logits) {
  NllParams p;
  p.from_logits = from_logits;
  p.ignore_index = a.i("ignore_index", -100);
  p.label_smoothing = a.f("label_smoothing", 0);
  std::string r = a.s("reduction", "mean");
  if (r == "mean") p.reduction = Reduction::mean;
  else if (r == "sum") p.reduction = Reduction::sum;
  else if (r == "none") p.reduction = Reduction::none;
  else fail("unknown reduction '" + r + "'");
  p.op = a.s("op", from_logits ? "crossEntropy" : "nllLoss");
  return p;
}

BceParams BceParams::from(const Attrs&, bool logits) {
  BceParams p;
  p.logits = logits;
  return p;
}

namespace {

const TensorRef kNone;
const TensorRef& opt(const std::vector<TensorRef>& v, size_t i) { return i < v.size() ? v[i] : kNone; }

void softmax_cpu(const OpCall& c) { cpu::softmax_forward(c.in[0], c.out[0], SoftmaxParams::from(c.attrs), false); }
void log_softmax_cpu(const OpCall& c) { cpu::softmax_forward(c.in[0], c.out[0], SoftmaxParams::from(c.attrs), true); }
// in: y, gy
void softmax_bwd_cpu(const OpCall& c) { cpu::softmax_backward(c.in[0], c.in[1], c.out[0], SoftmaxParams::from(c.attrs), false); }
void log_softmax_bwd_cpu(const OpCall& c) { cpu::softmax_backward(c.in[0], c.in[1], c.out[0], SoftmaxParams::from(c.attrs), true); }

// in: x, target, weight?; out: loss
template <bool logits>
void nll_fwd_cpu(const OpCall& c) {
  cpu::nll_forward(c.in[0], c.in[1], opt(c.in, 2), c.out[0], NllParams::from(c.attrs, logits));
}
// in: x, target, weight?, gloss; out: gx
template <bool logits>
void nll_bwd_cpu(const OpCall& c) {
  cpu::nll_backward(c.in[0], c.in[1], opt(c.in, 2), c.in[3], c.out[0], NllParams::from(c.attrs, logits));
}
// in: x, target, weight?, pos_weight?; out: loss
template <bool logits>
void bce_fwd_cpu(const OpCall& c) {
  cpu::bce_forward(c.in[0], c.in[1], opt(c.in, 2), opt(c.in, 3), c.out[0], BceParams::from(c.attrs, logits));
}
// in: x, target, weight?, pos_weight?, g; out: gx, gt?
template <bool logits>
void bce_bwd_cpu(const OpCall& c) {
  cpu::bce_backward(c.in[0], c.in[1], opt(c.in, 2), opt(c.in, 3), c.in[4], c.out[0], opt(c.out, 1),
                    BceParams::from(c.attrs, logits));
}

}  // namespace

DS_REGISTER_OPS({"softmax", softmax_cpu, nullptr}, {"softmax_backward", softmax_bwd_cpu, nullptr},
                {"log_softmax", log_softmax_cpu, nullptr}, {"log_softmax_backward", log_softmax_bwd_cpu, nullptr},
                {"cross_entropy", nll_fwd_cpu<true>, nullptr}, {"cross_entropy_backward", nll_bwd_cpu<true>, nullptr},
                {"nll_loss", nll_fwd_cpu<false>, nullptr}, {"nll_loss_backward", nll_bwd_cpu<false>, nullptr},
                {"binary_cross_entropy", bce_fwd_cpu<false>, nullptr},
                {"binary_cross_entropy_backward", bce_bwd_cpu<false>, nullptr},
                {"binary_cross_entropy_with_logits", bce_fwd_cpu<true>, nullptr},
                {"binary_cross_entropy_with_logits_backward", bce_bwd_cpu<true>, nullptr});

}  // namespace ds

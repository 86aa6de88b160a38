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

#ifdef DEEPSCOPE_WITH_CUDA
// The same rows for the CUDA kernels.
void softmax_cuda(const OpCall& c) { cuda::softmax_forward(c.in[0], c.out[0], SoftmaxParams::from(c.attrs), false); }
void log_softmax_cuda(const OpCall& c) { cuda::softmax_forward(c.in[0], c.out[0], SoftmaxParams::from(c.attrs), true); }
void softmax_bwd_cuda(const OpCall& c) {
  cuda::softmax_backward(c.in[0], c.in[1], c.out[0], SoftmaxParams::from(c.attrs), false);
}
void log_softmax_bwd_cuda(const OpCall& c) {
  cuda::softmax_backward(c.in[0], c.in[1], c.out[0], SoftmaxParams::from(c.attrs), true);
}
template <bool logits>
void nll_fwd_cuda(const OpCall& c) {
  cuda::nll_forward(c.in[0], c.in[1], opt(c.in, 2), c.out[0], NllParams::from(c.attrs, logits));
}
template <bool logits>
void nll_bwd_cuda(const OpCall& c) {
  cuda::nll_backward(c.in[0], c.in[1], opt(c.in, 2), c.in[3], c.out[0], NllParams::from(c.attrs, logits));
}
template <bool logits>
void bce_fwd_cuda(const OpCall& c) {
  cuda::bce_forward(c.in[0], c.in[1], opt(c.in, 2), opt(c.in, 3), c.out[0], BceParams::from(c.attrs, logits));
}
template <bool logits>
void bce_bwd_cuda(const OpCall& c) {
  cuda::bce_backward(c.in[0], c.in[1], opt(c.in, 2), opt(c.in, 3), c.in[4], c.out[0], opt(c.out, 1),
                     BceParams::from(c.attrs, logits));
}
#endif

}  // namespace

DS_REGISTER_OPS({"softmax", softmax_cpu, DS_CUDA(softmax_cuda)},
                {"softmax_backward", softmax_bwd_cpu, DS_CUDA(softmax_bwd_cuda)},
                {"log_softmax", log_softmax_cpu, DS_CUDA(log_softmax_cuda)},
                {"log_softmax_backward", log_softmax_bwd_cpu, DS_CUDA(log_softmax_bwd_cuda)},
                {"cross_entropy", nll_fwd_cpu<true>, DS_CUDA(nll_fwd_cuda<true>)},
                {"cross_entropy_backward", nll_bwd_cpu<true>, DS_CUDA(nll_bwd_cuda<true>)},
                {"nll_loss", nll_fwd_cpu<false>, DS_CUDA(nll_fwd_cuda<false>)},
                {"nll_loss_backward", nll_bwd_cpu<false>, DS_CUDA(nll_bwd_cuda<false>)},
                {"binary_cross_entropy", bce_fwd_cpu<false>, DS_CUDA(bce_fwd_cuda<false>)},
                {"binary_cross_entropy_backward", bce_bwd_cpu<false>, DS_CUDA(bce_bwd_cuda<false>)},
                {"binary_cross_entropy_with_logits", bce_fwd_cpu<true>, DS_CUDA(bce_fwd_cuda<true>)},
                {"binary_cross_entropy_with_logits_backward", bce_bwd_cpu<true>, DS_CUDA(bce_bwd_cuda<true>)});

}  // namespace ds

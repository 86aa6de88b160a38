// Softmax and the losses built on it. softmax / log_softmax work along any axis of any rank: the input is
// seen as [outer, C, inner] and reduced along C with stride `inner` (no permute copies). The fused
// cross_entropy kernels compute log-softmax and the negative log-likelihood in one pass (nll_loss is the
// same kernel fed with log-probabilities); binary_cross_entropy(_with_logits) are elementwise.
#pragma once
#include <cstdint>
#include <string>

#include "core/attrs.h"
#include "core/tensor_ref.h"

namespace ds {

struct SoftmaxParams {
  int dim = -1;  // the softmax axis (normalised by JS)
  static SoftmaxParams from(const Attrs& a);
};

enum class Reduction { none, mean, sum };

// cross_entropy / nll_loss. Logits (or log-probs) are [N, C, S...] (or [C]); targets [N, S...] int32.
struct NllParams {
  int64_t ignore_index = -100;
  double label_smoothing = 0;  // cross_entropy only
  Reduction reduction = Reduction::mean;
  bool from_logits = true;     // cross_entropy: log-softmax first; nll_loss: input already log-probs
  std::string op = "crossEntropy";  // the JS name, for messages about bad targets
  static NllParams from(const Attrs& a, bool from_logits);
};

struct BceParams {
  bool logits = false;  // binary_cross_entropy_with_logits
  static BceParams from(const Attrs& a, bool logits);
};

namespace cpu {
// y = softmax(x) (or log_softmax) along p.dim; float32.
void softmax_forward(const TensorRef& x, const TensorRef& y, const SoftmaxParams& p, bool log);
// softmax: gx = y * (gy - sum(gy * y)); log_softmax: gx = gy - exp(y) * sum(gy).
void softmax_backward(const TensorRef& y, const TensorRef& gy, const TensorRef& gx, const SoftmaxParams& p, bool log);

// loss = NLL(log_softmax(x) or x, target) with class weights (undefined = all ones), reduced or per element.
void nll_forward(const TensorRef& x, const TensorRef& target, const TensorRef& weight, const TensorRef& loss,
                 const NllParams& p);
// gx = d loss / d x · gloss (gloss: a scalar for mean/sum, per element for none).
void nll_backward(const TensorRef& x, const TensorRef& target, const TensorRef& weight, const TensorRef& gloss,
                  const TensorRef& gx, const NllParams& p);

// Elementwise BCE (weight and pos_weight, when defined, have the input's shape). Per-element loss.
void bce_forward(const TensorRef& x, const TensorRef& t, const TensorRef& w, const TensorRef& pw, const TensorRef& loss,
                 const BceParams& p);
// gx (and gt when defined) from the per-element loss gradient g.
void bce_backward(const TensorRef& x, const TensorRef& t, const TensorRef& w, const TensorRef& pw, const TensorRef& g,
                  const TensorRef& gx, const TensorRef& gt, const BceParams& p);
}  // namespace cpu

namespace cuda {
void softmax_forward(const TensorRef& x, const TensorRef& y, const SoftmaxParams& p, bool log);
void softmax_backward(const TensorRef& y, const TensorRef& gy, const TensorRef& gx, const SoftmaxParams& p, bool log);
void nll_forward(const TensorRef& x, const TensorRef& target, const TensorRef& weight, const TensorRef& loss,
                 const NllParams& p);
void nll_backward(const TensorRef& x, const TensorRef& target, const TensorRef& weight, const TensorRef& gloss,
                  const TensorRef& gx, const NllParams& p);
void bce_forward(const TensorRef& x, const TensorRef& t, const TensorRef& w, const TensorRef& pw, const TensorRef& loss,
                 const BceParams& p);
void bce_backward(const TensorRef& x, const TensorRef& t, const TensorRef& w, const TensorRef& pw, const TensorRef& g,
                  const TensorRef& gx, const TensorRef& gt, const BceParams& p);
}  // namespace cuda

}  // namespace ds

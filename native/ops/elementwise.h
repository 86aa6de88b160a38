// Elementwise ops: unary functions with their derivatives, binary arithmetic and comparisons with NumPy
// broadcasting (a missing second input means the `scalar` attribute), and where(cond, a, b).
#pragma once
#include "core/attrs.h"
#include "core/tensor_ref.h"

namespace ds {

// X-macro list of unary functions; each is registered as `<name>` and `<name>_backward`.
#define DS_UNARY_OPS(X)                                                                                 \
  X(neg) X(abs) X(exp) X(log) X(sqrt) X(rsqrt) X(reciprocal) X(sign) X(sin) X(cos) X(relu) X(leaky_relu) \
  X(elu) X(sigmoid) X(tanh) X(hardtanh) X(softplus) X(gelu) X(clamp) X(pow_scalar)

enum class UnaryOp {
#define DS_ENUM(n) n,
  DS_UNARY_OPS(DS_ENUM)
#undef DS_ENUM
};

struct UnaryParams {
  float alpha = 0.01f;          // leaky_relu slope, elu alpha
  float lo = -1.f, hi = 1.f;    // hardtanh / clamp bounds (clamp: -inf/+inf when absent)
  float beta = 1.f;             // softplus beta
  float threshold = 20.f;       // softplus linear threshold
  float exponent = 1.f;         // pow_scalar
  static UnaryParams from(const Attrs& a);
};

#define DS_BINARY_OPS(X) X(add) X(sub) X(mul) X(div) X(pow) X(maximum) X(minimum) X(eq) X(ne) X(lt) X(le) X(gt) X(ge)

enum class BinaryOp {
#define DS_ENUM(n) n,
  DS_BINARY_OPS(DS_ENUM)
#undef DS_ENUM
};

namespace cpu {
// y = f(x); float32.
void unary_forward(UnaryOp op, const TensorRef& x, const TensorRef& y, const UnaryParams& p);
// gx = gy * f'(x), given x and y = f(x) (each function reads the one it needs).
void unary_backward(UnaryOp op, const TensorRef& x, const TensorRef& y, const TensorRef& gy, const TensorRef& gx,
                    const UnaryParams& p);
// out = a op b with broadcasting; b may be undefined, then `scalar` stands in. Comparisons write float32 0/1.
void binary(BinaryOp op, const TensorRef& a, const TensorRef& b, double scalar, const TensorRef& out);
// out = cond != 0 ? a : b, all three broadcast to out.
void where(const TensorRef& cond, const TensorRef& a, const TensorRef& b, const TensorRef& out);
}  // namespace cpu

namespace cuda {
void unary_forward(UnaryOp op, const TensorRef& x, const TensorRef& y, const UnaryParams& p);
void unary_backward(UnaryOp op, const TensorRef& x, const TensorRef& y, const TensorRef& gy, const TensorRef& gx,
                    const UnaryParams& p);
void binary(BinaryOp op, const TensorRef& a, const TensorRef& b, double scalar, const TensorRef& out);
void where(const TensorRef& cond, const TensorRef& a, const TensorRef& b, const TensorRef& out);
}  // namespace cuda

}  // namespace ds

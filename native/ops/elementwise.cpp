#include "ops/elementwise.h"

#include <limits>

#include "core/op_registry.h"

namespace ds {

UnaryParams UnaryParams::from(const Attrs& a) {
  UnaryParams p;
  p.alpha = float(a.f("alpha", p.alpha));
  p.lo = float(a.f("min", -std::numeric_limits<double>::infinity()));
  p.hi = float(a.f("max", std::numeric_limits<double>::infinity()));
  p.beta = float(a.f("beta", p.beta));
  p.threshold = float(a.f("threshold", p.threshold));
  p.exponent = float(a.f("exponent", p.exponent));
  return p;
}

namespace {

template <UnaryOp op>
void unary_fwd_cpu(const OpCall& c) {
  cpu::unary_forward(op, c.in[0], c.out[0], UnaryParams::from(c.attrs));
}
template <UnaryOp op>
void unary_bwd_cpu(const OpCall& c) {
  cpu::unary_backward(op, c.in[0], c.in[1], c.in[2], c.out[0], UnaryParams::from(c.attrs));
}
template <BinaryOp op>
void binary_cpu(const OpCall& c) {
  cpu::binary(op, c.in[0], c.in[1], c.attrs.f("scalar", 0), c.out[0]);
}
void where_cpu(const OpCall& c) { cpu::where(c.in[0], c.in[1], c.in[2], c.out[0]); }

#ifdef DEEPSCOPE_WITH_CUDA
template <UnaryOp op>
void unary_fwd_cuda(const OpCall& c) {
  cuda::unary_forward(op, c.in[0], c.out[0], UnaryParams::from(c.attrs));
}
template <UnaryOp op>
void unary_bwd_cuda(const OpCall& c) {
  cuda::unary_backward(op, c.in[0], c.in[1], c.in[2], c.out[0], UnaryParams::from(c.attrs));
}
template <BinaryOp op>
void binary_cuda(const OpCall& c) {
  cuda::binary(op, c.in[0], c.in[1], c.attrs.f("scalar", 0), c.out[0]);
}
void where_cuda(const OpCall& c) { cuda::where(c.in[0], c.in[1], c.in[2], c.out[0]); }
#endif

}  // namespace

#define DS_UNARY_ROW(n)                                                                     \
  {#n, unary_fwd_cpu<UnaryOp::n>, DS_CUDA(unary_fwd_cuda<UnaryOp::n>)},                     \
      {#n "_backward", unary_bwd_cpu<UnaryOp::n>, DS_CUDA(unary_bwd_cuda<UnaryOp::n>)},
#define DS_BINARY_ROW(n) {#n, binary_cpu<BinaryOp::n>, DS_CUDA(binary_cuda<BinaryOp::n>)},
DS_REGISTER_OPS(DS_UNARY_OPS(DS_UNARY_ROW) DS_BINARY_OPS(DS_BINARY_ROW){"where", where_cpu, DS_CUDA(where_cuda)});

}  // namespace ds

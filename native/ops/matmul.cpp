#include "ops/matmul.h"

#include "core/op_registry.h"

namespace ds {

MatmulParams MatmulParams::from(const Attrs& a) {
  MatmulParams p;
  p.transA = a.b("transA", false);
  p.transB = a.b("transB", false);
  return p;
}

namespace {
void matmul_cpu(const OpCall& c) { cpu::matmul(c.in[0], c.in[1], c.out[0], MatmulParams::from(c.attrs)); }
void linear_cpu(const OpCall& c) {
  cpu::linear(c.in[0], c.in[1], c.in.size() > 2 ? c.in[2] : TensorRef(), c.out[0]);
}
}  // namespace

// Backward of both is expressed with `matmul` (transposes instead of copies) and `sum`.
DS_REGISTER_OPS({"matmul", matmul_cpu, nullptr}, {"linear", linear_cpu, nullptr});

}  // namespace ds

#include "ops/reduce.h"

#include "core/op_registry.h"

namespace ds {
namespace {

template <ReduceOp op>
void reduce_cpu(const OpCall& c) {
  ReduceParams p;
  p.begin = int(c.attrs.i("begin"));
  p.end = int(c.attrs.i("end"));
  p.correction = c.attrs.f("correction", 1);
  cpu::reduce(op, c.in[0], c.out[0], p);
}

}  // namespace

DS_REGISTER_OPS({"sum", reduce_cpu<ReduceOp::sum>, nullptr}, {"mean", reduce_cpu<ReduceOp::mean>, nullptr},
                {"max", reduce_cpu<ReduceOp::max>, nullptr}, {"min", reduce_cpu<ReduceOp::min>, nullptr},
                {"argmax", reduce_cpu<ReduceOp::argmax>, nullptr},
                {"argmin", reduce_cpu<ReduceOp::argmin>, nullptr}, {"var", reduce_cpu<ReduceOp::var>, nullptr});

}  // namespace ds

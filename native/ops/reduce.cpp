#include "ops/reduce.h"

#include "core/op_registry.h"

namespace ds {
namespace {

ReduceParams params(const Attrs& a) {
  ReduceParams p;
  p.begin = int(a.i("begin"));
  p.end = int(a.i("end"));
  p.correction = a.f("correction", 1);
  return p;
}

template <ReduceOp op>
void reduce_cpu(const OpCall& c) {
  cpu::reduce(op, c.in[0], c.out[0], params(c.attrs));
}

#ifdef DEEPSCOPE_WITH_CUDA
template <ReduceOp op>
void reduce_cuda(const OpCall& c) {
  cuda::reduce(op, c.in[0], c.out[0], params(c.attrs));
}
#endif

}  // namespace

#define DS_REDUCE_ROW(n) {#n, reduce_cpu<ReduceOp::n>, DS_CUDA(reduce_cuda<ReduceOp::n>)}
DS_REGISTER_OPS(DS_REDUCE_ROW(sum), DS_REDUCE_ROW(mean), DS_REDUCE_ROW(max), DS_REDUCE_ROW(min), DS_REDUCE_ROW(argmax),
                DS_REDUCE_ROW(argmin), DS_REDUCE_ROW(var));

}  // namespace ds

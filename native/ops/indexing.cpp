#include "ops/indexing.h"

#include "core/error.h"
#include "core/op_registry.h"

namespace ds {

SliceParams SliceParams::from(const Attrs& a) {
  SliceParams p;
  p.dim = int(a.i("dim"));
  p.start = a.i("start", 0);
  p.step = a.i("step", 1);
  return p;
}

PadParams PadParams::from(const Attrs& a, int ndim) {
  PadParams p;
  p.pads = a.has("pads") ? a.ints("pads") : std::vector<int64_t>{};
  if (int(p.pads.size()) != 2 * ndim) fail("pad: expected " + std::to_string(2 * ndim) + " pads in axis order");
  std::string m = a.s("mode", "constant");
  if (m == "constant") p.mode = PadMode::constant;
  else if (m == "reflect") p.mode = PadMode::reflect;
  else if (m == "replicate") p.mode = PadMode::replicate;
  else fail("pad: unknown mode '" + m + "'");
  p.value = a.f("value", 0);
  return p;
}

namespace {

int dim_of(const OpCall& c) { return int(c.attrs.i("dim")); }

void cat_cpu(const OpCall& c) { cpu::cat(c.in, c.out[0], dim_of(c)); }
void split_cpu(const OpCall& c) { cpu::split(c.in[0], c.out, dim_of(c)); }
void slice_cpu(const OpCall& c) { cpu::slice(c.in[0], c.out[0], SliceParams::from(c.attrs)); }
void slice_bwd_cpu(const OpCall& c) { cpu::slice_backward(c.in[0], c.out[0], SliceParams::from(c.attrs)); }
void gather_cpu(const OpCall& c) { cpu::gather(c.in[0], c.in[1], c.out[0], dim_of(c)); }
void gather_bwd_cpu(const OpCall& c) { cpu::gather_backward(c.in[0], c.in[1], c.out[0], dim_of(c)); }
void index_select_cpu(const OpCall& c) { cpu::index_select(c.in[0], c.in[1], c.out[0], dim_of(c)); }
void index_select_bwd_cpu(const OpCall& c) { cpu::index_select_backward(c.in[0], c.in[1], c.out[0], dim_of(c)); }
void pad_cpu(const OpCall& c) { cpu::pad(c.in[0], c.out[0], PadParams::from(c.attrs, c.in[0].ndim)); }
void pad_bwd_cpu(const OpCall& c) { cpu::pad_backward(c.in[0], c.out[0], PadParams::from(c.attrs, c.out[0].ndim)); }

}  // namespace

DS_REGISTER_OPS({"cat", cat_cpu, nullptr}, {"split", split_cpu, nullptr}, {"slice", slice_cpu, nullptr},
                {"slice_backward", slice_bwd_cpu, nullptr}, {"gather", gather_cpu, nullptr},
                {"gather_backward", gather_bwd_cpu, nullptr}, {"index_select", index_select_cpu, nullptr},
                {"index_select_backward", index_select_bwd_cpu, nullptr}, {"pad", pad_cpu, nullptr},
                {"pad_backward", pad_bwd_cpu, nullptr});

}  // namespace ds

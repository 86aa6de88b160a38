#include "ops/conv.h"

#include "core/error.h"
#include "core/op_registry.h"

namespace ds {

Conv2dParams Conv2dParams::from(const Attrs& a) {
  Conv2dParams p;
  auto pair = [&](const char* name, int64_t& h, int64_t& w) {
    if (!a.has(name)) return;
    auto v = a.ints(name);
    if (v.size() != 2) fail(std::string("conv2d: attribute '") + name + "' must hold 2 numbers");
    h = v[0];
    w = v[1];
  };
  pair("stride", p.stride_h, p.stride_w);
  pair("padding", p.pad_top, p.pad_left);
  pair("dilation", p.dil_h, p.dil_w);
  p.groups = a.i("groups", 1);
  return p;
}

namespace {
TensorRef opt(const OpCall& c, size_t i) { return c.in.size() > i ? c.in[i] : TensorRef(); }
void conv2d_cpu(const OpCall& c) { cpu::conv2d_forward(c.in[0], c.in[1], opt(c, 2), c.out[0], Conv2dParams::from(c.attrs)); }
void conv2d_bwd_data_cpu(const OpCall& c) {
  cpu::conv2d_backward_data(c.in[0], c.in[1], opt(c, 2), c.out[0], Conv2dParams::from(c.attrs));
}
void conv2d_bwd_weight_cpu(const OpCall& c) {
  cpu::conv2d_backward_weight(c.in[0], c.in[1], c.out[0], Conv2dParams::from(c.attrs));
}
}  // namespace

// conv2d(x, w, bias?) -> y;  conv2d_backward_data(gy, w, bias?) -> dx;  conv2d_backward_weight(x, gy) -> dw.
DS_REGISTER_OPS({"conv2d", conv2d_cpu, nullptr}, {"conv2d_backward_data", conv2d_bwd_data_cpu, nullptr},
                {"conv2d_backward_weight", conv2d_bwd_weight_cpu, nullptr});

}  // namespace ds

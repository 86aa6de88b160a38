#include "ops/binary.h"

#include "core/op_registry.h"

namespace ds {

BinaryConv2dParams BinaryConv2dParams::from(const Attrs& a) {
  BinaryConv2dParams p;
  auto pair = [&](const char* name, int64_t& h, int64_t& w) {
    auto v = a.ints(name);
    DS_CHECK(v.size() == 2, std::string("binary_conv2d: attribute '") + name + "' must hold 2 numbers");
    h = v[0];
    w = v[1];
  };
  p.channels = a.i("channels");
  pair("stride", p.sh, p.sw);
  pair("padding", p.ph, p.pw);
  pair("dilation", p.dh, p.dw);
  DS_CHECK(p.channels > 0 && p.sh > 0 && p.sw > 0 && p.dh > 0 && p.dw > 0 && p.ph >= 0 && p.pw >= 0,
           "binary_conv2d: channels, stride and dilation must be positive, padding non-negative");
  return p;
}

// binarize: in x; out y.  binarize_backward: in x, gy; out gx.  bitpack: in x; out packed.
// bitunpack: in packed; out y.  binary_conv2d: in x (packed), w (packed), alpha?, scale?; out y.
// binary_matmul: in a (packed), b (packed), alpha?, scale?; out y; attribute bits.
DS_REGISTER_OPS(
    {"binarize", [](const OpCall& c) { cpu::binarize(c.in[0], c.out[0]); },
     DS_CUDA([](const OpCall& c) { cuda::binarize(c.in[0], c.out[0]); })},
    {"binarize_backward", [](const OpCall& c) { cpu::binarize_backward(c.in[0], c.in[1], c.out[0]); },
     DS_CUDA([](const OpCall& c) { cuda::binarize_backward(c.in[0], c.in[1], c.out[0]); })},
    {"bitpack", [](const OpCall& c) { cpu::bitpack(c.in[0], c.out[0]); },
     DS_CUDA([](const OpCall& c) { cuda::bitpack(c.in[0], c.out[0]); })},
    {"bitunpack", [](const OpCall& c) { cpu::bitunpack(c.in[0], c.out[0]); },
     DS_CUDA([](const OpCall& c) { cuda::bitunpack(c.in[0], c.out[0]); })},
    {"binary_conv2d",
     [](const OpCall& c) {
       cpu::binary_conv2d(c.in[0], c.in[1], c.in[2], c.in[3], c.out[0], BinaryConv2dParams::from(c.attrs));
     },
     DS_CUDA([](const OpCall& c) {
       cuda::binary_conv2d(c.in[0], c.in[1], c.in[2], c.in[3], c.out[0], BinaryConv2dParams::from(c.attrs));
     })},
    {"binary_matmul", [](const OpCall& c) { cpu::binary_matmul(c.in[0], c.in[1], c.in[2], c.in[3], c.out[0], c.attrs.i("bits")); },
     DS_CUDA([](const OpCall& c) {
       cuda::binary_matmul(c.in[0], c.in[1], c.in[2], c.in[3], c.out[0], c.attrs.i("bits"));
     })});

}  // namespace ds

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

Conv2dDims::Conv2dDims(const TensorRef& x, const TensorRef& y, const TensorRef& w, const Conv2dParams& p, const char* op) {
  DS_CHECK(x.ndim == 4 && y.ndim == 4 && w.ndim == 4, std::string(op) + ": 4-D tensors expected");
  DS_CHECK(x.dtype == DType::f32 && y.dtype == DType::f32 && w.dtype == DType::f32, std::string(op) + ": float32 only");
  N = x.shape[0], Cx = x.shape[1], H = x.shape[2], W = x.shape[3];
  Cy = y.shape[1], OH = y.shape[2], OW = y.shape[3];
  kh = w.shape[2], kw = w.shape[3];
  G = p.groups;
  DS_CHECK(G >= 1 && Cx % G == 0 && Cy % G == 0, std::string(op) + ": groups");
  Cxg = Cx / G, Cyg = Cy / G;
  DS_CHECK(y.shape[0] == N && w.shape[0] == Cy && w.shape[1] == Cxg,
           std::string(op) + ": shapes x " + x.shape_str() + ", w " + w.shape_str() + ", y " + y.shape_str());
  DS_CHECK(p.stride_h >= 1 && p.stride_w >= 1 && p.dil_h >= 1 && p.dil_w >= 1 && p.pad_top >= 0 && p.pad_left >= 0,
           std::string(op) + ": stride, dilation, padding");
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
#ifdef DEEPSCOPE_WITH_CUDA
void conv2d_cuda(const OpCall& c) { cuda::conv2d_forward(c.in[0], c.in[1], opt(c, 2), c.out[0], Conv2dParams::from(c.attrs)); }
void conv2d_bwd_data_cuda(const OpCall& c) {
  cuda::conv2d_backward_data(c.in[0], c.in[1], opt(c, 2), c.out[0], Conv2dParams::from(c.attrs));
}
void conv2d_bwd_weight_cuda(const OpCall& c) {
  cuda::conv2d_backward_weight(c.in[0], c.in[1], c.out[0], Conv2dParams::from(c.attrs));
}
#endif
}  // namespace

// conv2d(x, w, bias?) -> y;  conv2d_backward_data(gy, w, bias?) -> dx;  conv2d_backward_weight(x, gy) -> dw.
DS_REGISTER_OPS({"conv2d", conv2d_cpu, DS_CUDA(conv2d_cuda)},
                {"conv2d_backward_data", conv2d_bwd_data_cpu, DS_CUDA(conv2d_bwd_data_cuda)},
                {"conv2d_backward_weight", conv2d_bwd_weight_cpu, DS_CUDA(conv2d_bwd_weight_cuda)});

}  // namespace ds

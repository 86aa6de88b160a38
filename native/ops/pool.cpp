#include "ops/pool.h"

#include "core/op_registry.h"

namespace ds {

Pool2dParams Pool2dParams::from(const Attrs& a) {
  Pool2dParams p;
  auto pair = [&](const char* name, int64_t& h, int64_t& w) {
    if (!a.has(name)) return;
    auto v = a.ints(name);
    DS_CHECK(v.size() == 2, std::string("pool: attribute '") + name + "' must hold 2 numbers");
    h = v[0];
    w = v[1];
  };
  pair("kernel", p.kh, p.kw);
  pair("stride", p.sh, p.sw);
  pair("padding", p.ph, p.pw);
  pair("dilation", p.dh, p.dw);
  p.count_include_pad = a.b("count_include_pad", true);
  p.divisor = a.i("divisor", 0);
  DS_CHECK(p.kh > 0 && p.kw > 0 && p.sh > 0 && p.sw > 0 && p.dh > 0 && p.dw > 0 && p.ph >= 0 && p.pw >= 0,
           "pool: kernel, stride and dilation must be positive, padding non-negative");
  return p;
}

// One row per op, the CPU kernel and the CUDA one called alike.
#define DS_POOL_OP(name, call) \
  { #name, [](const OpCall& c) { cpu::call; }, DS_CUDA([](const OpCall& c) { cuda::call; }) }

// max_pool2d: in x; out y, indices.  max_pool2d_backward: in gy, indices; out gx (also the backward of
// adaptive max pooling).  avg_pool2d, adaptive_avg_pool2d: in x; out y; their backward: in gy; out gx.
// adaptive_max_pool2d: in x; out y, indices.
DS_REGISTER_OPS(DS_POOL_OP(max_pool2d, max_pool2d(c.in[0], c.out[0], c.out[1], Pool2dParams::from(c.attrs))),
                DS_POOL_OP(max_pool2d_backward, max_pool2d_backward(c.in[0], c.in[1], c.out[0])),
                DS_POOL_OP(avg_pool2d, avg_pool2d(c.in[0], c.out[0], Pool2dParams::from(c.attrs))),
                DS_POOL_OP(avg_pool2d_backward, avg_pool2d_backward(c.in[0], c.out[0], Pool2dParams::from(c.attrs))),
                DS_POOL_OP(adaptive_avg_pool2d, adaptive_avg_pool2d(c.in[0], c.out[0])),
                DS_POOL_OP(adaptive_avg_pool2d_backward, adaptive_avg_pool2d_backward(c.in[0], c.out[0])),
                DS_POOL_OP(adaptive_max_pool2d, adaptive_max_pool2d(c.in[0], c.out[0], c.out[1])));

}  // namespace ds

#include "ops/resample.h"

#include "core/op_registry.h"

namespace ds {

ResampleParams ResampleParams::from(const Attrs& a) {
  ResampleParams p;
  p.align_corners = a.b("align_corners", false);
  p.scale_h = a.f("scale_h", 0);
  p.scale_w = a.f("scale_w", 0);
  return p;
}

namespace {

// Forward: in x; out y. Backward: in gy; out gx (its shape is the input's).
void nearest_cpu(const OpCall& c) { cpu::upsample_nearest2d(c.in[0], c.out[0], ResampleParams::from(c.attrs)); }
void nearest_backward_cpu(const OpCall& c) {
  cpu::upsample_nearest2d_backward(c.in[0], c.out[0], ResampleParams::from(c.attrs));
}
void bilinear_cpu(const OpCall& c) { cpu::upsample_bilinear2d(c.in[0], c.out[0], ResampleParams::from(c.attrs)); }
void bilinear_backward_cpu(const OpCall& c) {
  cpu::upsample_bilinear2d_backward(c.in[0], c.out[0], ResampleParams::from(c.attrs));
}

}  // namespace

DS_REGISTER_OPS({"upsample_nearest2d", nearest_cpu, nullptr},
                {"upsample_nearest2d_backward", nearest_backward_cpu, nullptr},
                {"upsample_bilinear2d", bilinear_cpu, nullptr},
                {"upsample_bilinear2d_backward", bilinear_backward_cpu, nullptr});

}  // namespace ds

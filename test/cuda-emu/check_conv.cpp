// Emulated checks of cuda/conv.cu (implicit GEMMs) against the CPU convolutions: forward with and without
// bias, backward data (with bias: convTranspose2d's forward) and backward weight, over strides, padding
// (asymmetric too), dilation, groups, depthwise, 1x1, a 7x7 stride-2 stem, batch 1, empty batches, the
// TF32 path, and the shape errors.
#include <cstdlib>

#include "harness.h"
#include "ops/conv.h"

namespace emu_check {

namespace {

// 1e-5: float32 sums over Kg = Cxg·kh·kw (forward), Cyg·kh·kw (backward data) or N·OH·OW (backward
// weight) terms, up to a few thousand, in a different order from the CPU's; wrong gathers give errors near 1.
constexpr double kTol = 1e-5;
constexpr double kTf32Tol = 3e-3;  // as in check_matmul.cpp

struct Case {
  int64_t N, Cx, H, W, Cy, kh, kw, sh, sw, pt, pl, extra_h, dh, dw, G;  // extra_h: extra bottom padding
  bool tf32;
};

void one_conv(const Case& c) {
  Conv2dParams p;
  p.stride_h = c.sh, p.stride_w = c.sw, p.pad_top = c.pt, p.pad_left = c.pl, p.dil_h = c.dh, p.dil_w = c.dw, p.groups = c.G;
  const int64_t OH = (c.H + 2 * c.pt + c.extra_h - c.dh * (c.kh - 1) - 1) / c.sh + 1;
  const int64_t OW = (c.W + 2 * c.pl - c.dw * (c.kw - 1) - 1) / c.sw + 1;
  const std::vector<int64_t> xs{c.N, c.Cx, c.H, c.W}, ws{c.Cy, c.Cx / c.G, c.kh, c.kw}, ys{c.N, c.Cy, OH, OW};
  std::string tag = "conv " + shape_str(xs) + " w" + shape_str(ws) + " s" + std::to_string(c.sh) + "," + std::to_string(c.sw) +
                    " p" + std::to_string(c.pt) + "," + std::to_string(c.pl) + " d" + std::to_string(c.dh) + "," +
                    std::to_string(c.dw) + " g" + std::to_string(c.G) + (c.tf32 ? " tf32" : "");
  const double tol = c.tf32 ? kTf32Tol : kTol;
  if (c.tf32) setenv("DEEPSCOPE_CUDA_TF32", "1", 1);
  Buf x = uniform(xs), w = uniform(ws), by = uniform({c.Cy}), bx = uniform({c.Cx}), gy = uniform(ys);
  for (bool bias : {false, true}) {
    Buf y1(ys), y2(ys);
    cpu::conv2d_forward(cpu(x), cpu(w), bias ? cpu(by) : none(), cpu(y1), p);
    cuda::conv2d_forward(gpu(x), gpu(w), bias ? gpu(by) : none(), gpu(y2), p);
    compare(tag + " forward" + (bias ? " bias" : ""), y1, y2, tol);
    Buf d1(xs), d2(xs);
    cpu::conv2d_backward_data(cpu(gy), cpu(w), bias ? cpu(bx) : none(), cpu(d1), p);
    cuda::conv2d_backward_data(gpu(gy), gpu(w), bias ? gpu(bx) : none(), gpu(d2), p);
    compare(tag + " backward data" + (bias ? " bias" : ""), d1, d2, tol);
  }
  Buf g1(ws), g2(ws);
  cpu::conv2d_backward_weight(cpu(x), cpu(gy), cpu(g1), p);
  cuda::conv2d_backward_weight(gpu(x), gpu(gy), gpu(g2), p);
  compare(tag + " backward weight", g1, g2, tol);
  unsetenv("DEEPSCOPE_CUDA_TF32");
}

}  // namespace

void check_conv() {
  const Case cases[] = {
      {2, 4, 9, 8, 6, 3, 3, 2, 1, 1, 0, 1, 1, 2, 2, false},    // strides, asymmetric padding, dilation, groups
      {1, 5, 7, 6, 5, 3, 3, 1, 1, 1, 1, 0, 1, 1, 5, false},    // depthwise, batch 1
      {2, 16, 15, 13, 32, 3, 3, 1, 1, 1, 1, 0, 1, 1, 1, false}, // 3x3 'same'
      {3, 32, 5, 7, 8, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, false},   // 1x1
      {1, 3, 17, 17, 8, 7, 7, 2, 2, 3, 3, 0, 1, 1, 1, false},  // 7x7 stride-2 stem
      {2, 6, 5, 4, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 3, false},    // convTranspose-like geometry
      {2, 1, 40, 40, 3, 2, 2, 3, 3, 0, 0, 0, 2, 2, 1, false},  // stride beyond the kernel: skipped pixels
      {8, 16, 12, 12, 24, 3, 3, 1, 1, 1, 1, 0, 1, 1, 1, false}, // backward weight over K = 1152: split K
      {2, 32, 12, 11, 64, 3, 3, 1, 1, 1, 1, 0, 1, 1, 1, true},  // TF32 mma
  };
  for (const auto& c : cases) one_conv(c);

  Conv2dParams p;
  Buf x({0, 3, 5, 5}), w = uniform({4, 3, 3, 3}), y1({0, 4, 3, 3}), y2({0, 4, 3, 3});
  cpu::conv2d_forward(cpu(x), cpu(w), none(), cpu(y1), p);
  cuda::conv2d_forward(gpu(x), gpu(w), none(), gpu(y2), p);
  compare("conv empty batch", y1, y2, 0);
  Buf xb = uniform({1, 3, 5, 5}), wb = uniform({4, 2, 3, 3}), yb({1, 4, 3, 3});
  compare_errors("conv shapes", [&] { cpu::conv2d_forward(cpu(xb), cpu(wb), none(), cpu(yb), p); },
                 [&] { cuda::conv2d_forward(gpu(xb), gpu(wb), none(), gpu(yb), p); });
  Buf bad_bias = uniform({3}), wc = uniform({4, 3, 3, 3});
  compare_errors("conv bias size", [&] { cpu::conv2d_forward(cpu(xb), cpu(wc), cpu(bad_bias), cpu(yb), p); },
                 [&] { cuda::conv2d_forward(gpu(xb), gpu(wc), gpu(bad_bias), gpu(yb), p); });
}

}  // namespace emu_check

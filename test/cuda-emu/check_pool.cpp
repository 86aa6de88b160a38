// Emulated checks of cuda/pool.cu against the CPU pooling kernels, bit for bit (tolerance 0: the kernels
// visit windows and add gradients in the CPU's order): odd sizes, padding, strides, dilation, ceil-mode
// output sizes, count_include_pad and a divisor override, NaN inputs, windows wholly in the padding,
// adaptive windows that overlap, and the errors.
#include <cmath>
#include <tuple>

#include "harness.h"
#include "ops/pool.h"

namespace emu_check {

namespace {

struct Case {
  std::vector<int64_t> xs;
  int64_t OH, OW;
  Pool2dParams p;
};

Pool2dParams params(int64_t k, int64_t s, int64_t pad, int64_t dil, bool cip = true, int64_t div = 0) {
  Pool2dParams p;
  p.kh = k, p.kw = k + 1 > 4 ? k : k + 1, p.sh = s, p.sw = s, p.ph = pad, p.pw = pad, p.dh = dil, p.dw = dil;
  p.count_include_pad = cip;
  p.divisor = div;
  return p;
}

void one_pool(const Case& c) {
  const std::vector<int64_t> ys{c.xs[0], c.xs[1], c.OH, c.OW};
  std::string tag = shape_str(c.xs) + "->" + shape_str(ys) + " k" + std::to_string(c.p.kh) + "x" + std::to_string(c.p.kw) +
                    " s" + std::to_string(c.p.sh) + " p" + std::to_string(c.p.ph) + " d" + std::to_string(c.p.dh);
  Buf x = uniform(c.xs), gy = uniform(ys);
  if (x.n > 10) x.f()[7] = NAN;
  Buf y1(ys), y2(ys), i1(ys, DType::i32), i2(ys, DType::i32), g1(c.xs), g2(c.xs);
  cpu::max_pool2d(cpu(x), cpu(y1), cpu(i1), c.p);
  cuda::max_pool2d(gpu(x), gpu(y2), gpu(i2), c.p);
  compare("max_pool2d " + tag, y1, y2, 0);
  compare("max_pool2d indices " + tag, i1, i2, 0);
  cpu::max_pool2d_backward(cpu(gy), cpu(i1), cpu(g1));
  cuda::max_pool2d_backward(gpu(gy), gpu(i1), gpu(g2));
  compare("max_pool2d_backward " + tag, g1, g2, 0);
  if (c.p.dh != 1) return;  // average pooling has no dilation
  Buf x2 = uniform(c.xs), a1(ys), a2(ys), b1(c.xs), b2(c.xs);
  cpu::avg_pool2d(cpu(x2), cpu(a1), c.p);
  cuda::avg_pool2d(gpu(x2), gpu(a2), c.p);
  compare("avg_pool2d " + tag, a1, a2, 0);
  cpu::avg_pool2d_backward(cpu(gy), cpu(b1), c.p);
  cuda::avg_pool2d_backward(gpu(gy), gpu(b2), c.p);
  compare("avg_pool2d_backward " + tag, b1, b2, 0);
}

}  // namespace

void check_pool() {
  const Case cases[] = {
      {{2, 3, 9, 7}, 5, 3, params(3, 2, 1, 1)},
      {{2, 3, 9, 7}, 5, 4, params(3, 2, 1, 2)},            // dilation; ceil-mode sized output
      {{2, 3, 8, 7}, 4, 4, params(3, 2, 1, 1, false)},     // count_include_pad off, ceil mode
      {{1, 2, 8, 7}, 7, 5, params(2, 1, 0, 1, true, 4)},   // divisor override, batch 1
      {{1, 1, 5, 5}, 3, 3, params(2, 3, 1, 3)},            // windows wholly in the padding (dilation)
      {{3, 5, 112, 31}, 56, 16, params(3, 2, 1, 1)},       // many planes, the ResNet stem's pooling
  };
  for (const auto& c : cases) one_pool(c);

  for (auto [xs, oh, ow] : {std::tuple<std::vector<int64_t>, int64_t, int64_t>{{2, 4, 7, 5}, 3, 2},
                            {{2, 4, 7, 5}, 3, 4}, {{1, 3, 10, 10}, 1, 1}, {{2, 2, 5, 6}, 7, 9}}) {
    const std::vector<int64_t> ys{xs[0], xs[1], oh, ow};
    const std::string tag = shape_str(xs) + "->" + shape_str(ys);
    Buf x = uniform(xs), gy = uniform(ys), y1(ys), y2(ys), g1(xs), g2(xs), i1(ys, DType::i32), i2(ys, DType::i32);
    cpu::adaptive_avg_pool2d(cpu(x), cpu(y1));
    cuda::adaptive_avg_pool2d(gpu(x), gpu(y2));
    compare("adaptive_avg_pool2d " + tag, y1, y2, 0);
    cpu::adaptive_avg_pool2d_backward(cpu(gy), cpu(g1));
    cuda::adaptive_avg_pool2d_backward(gpu(gy), gpu(g2));
    compare("adaptive_avg_pool2d_backward " + tag, g1, g2, 0);
    cpu::adaptive_max_pool2d(cpu(x), cpu(y1), cpu(i1));
    cuda::adaptive_max_pool2d(gpu(x), gpu(y2), gpu(i2));
    compare("adaptive_max_pool2d " + tag, y1, y2, 0);
    compare("adaptive_max_pool2d indices " + tag, i1, i2, 0);
  }

  Buf x = uniform({2, 3, 5, 5}), y({2, 4, 2, 2}), i({2, 4, 2, 2}, DType::i32);
  compare_errors("max_pool2d shapes", [&] { cpu::max_pool2d(cpu(x), cpu(y), cpu(i), params(2, 2, 0, 1)); },
                 [&] { cuda::max_pool2d(gpu(x), gpu(y), gpu(i), params(2, 2, 0, 1)); });
  Buf e({2, 3, 0, 5}), ey({2, 3, 1, 1});
  compare_errors("adaptive_avg_pool2d empty plane", [&] { cpu::adaptive_avg_pool2d(cpu(e), cpu(ey)); },
                 [&] { cuda::adaptive_avg_pool2d(gpu(e), gpu(ey)); });
}

}  // namespace emu_check

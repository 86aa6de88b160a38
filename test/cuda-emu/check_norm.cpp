// Emulated checks of cuda/norm.cu (batch norm and LRN) against the CPU: training with and without running
// statistics, eval, with and without weight and bias, [N, C] and [N, C, H, W] inputs, batch 1, long slices
// (several elements per thread), a constant channel, and the errors.
#include "harness.h"
#include "ops/norm.h"

namespace emu_check {

namespace {

// 1e-6: statistics in double on both sides (Welford here, two passes on the CPU), then the same float
// formulas; what is left is float rounding of a few operations per element.
constexpr double kTol = 1e-6;

void one_bn(const std::vector<int64_t>& xs, bool training, bool affine, bool running) {
  const int64_t C = xs[1];
  BatchNormParams p;
  p.training = training;
  p.momentum = 0.3;
  p.eps = 1e-4;
  const std::string tag = "batch_norm " + shape_str(xs) + (training ? " train" : " eval") + (affine ? " affine" : "") +
                          (running ? " running" : "");
  Buf x = uniform(xs, -2, 3), w = uniform({C}), b = uniform({C}), rm1 = uniform({C}), rv1 = uniform({C}, 0.5f, 2);
  if (x.n >= 3 * C)  // channel 0 of sample 0 constant: a zero-variance slice
    for (int64_t i = 0; i < x.n / xs[0] / C; ++i) x.f()[i] = 0.75f;
  Buf rm2 = rm1.clone(), rv2 = rv1.clone();
  Buf y1(xs), y2(xs), m1({C}), m2({C}), s1({C}), s2({C});
  const bool run = running || !training;
  cpu::batch_norm(cpu(x), affine ? cpu(w) : none(), affine ? cpu(b) : none(), run ? cpu(rm1) : none(),
                  run ? cpu(rv1) : none(), cpu(y1), cpu(m1), cpu(s1), p);
  cuda::batch_norm(gpu(x), affine ? gpu(w) : none(), affine ? gpu(b) : none(), run ? gpu(rm2) : none(),
                   run ? gpu(rv2) : none(), gpu(y2), gpu(m2), gpu(s2), p);
  compare(tag, y1, y2, kTol);
  compare(tag + " mean", m1, m2, kTol);
  compare(tag + " invstd", s1, s2, kTol);
  if (run) {
    compare(tag + " running mean", rm1, rm2, kTol);
    compare(tag + " running var", rv1, rv2, kTol);
  }
  Buf gy = uniform(xs), dx1(xs), dx2(xs), dw1({C}), dw2({C}), db1({C}), db2({C});
  cpu::batch_norm_backward(cpu(x), cpu(gy), affine ? cpu(w) : none(), cpu(m1), cpu(s1), cpu(dx1), cpu(dw1), cpu(db1), p);
  cuda::batch_norm_backward(gpu(x), gpu(gy), affine ? gpu(w) : none(), gpu(m1), gpu(s1), gpu(dx2), gpu(dw2), gpu(db2), p);
  compare(tag + " backward dx", dx1, dx2, kTol);
  compare(tag + " backward dweight", dw1, dw2, kTol);
  compare(tag + " backward dbias", db1, db2, kTol);
}

}  // namespace

void check_norm() {
  for (bool training : {true, false})
    for (bool affine : {false, true}) {
      one_bn({4, 3, 5, 7}, training, affine, true);
      one_bn({9, 5}, training, affine, false);
      one_bn({1, 2, 33, 31}, training, affine, false);  // batch 1, slices of 1023 > 256 threads
    }
  for (auto [xs, size] : {std::pair<std::vector<int64_t>, int64_t>{{2, 7, 3, 5}, 5}, {{3, 4}, 2}, {{1, 9, 6}, 4}, {{2, 3, 2, 2}, 7}}) {
    LrnParams lp;
    lp.size = size;
    lp.alpha = 0.3;
    lp.beta = 0.75;
    lp.k = 1.5;
    const std::string tag = "local_response_norm " + shape_str(xs) + " size " + std::to_string(size);
    Buf x = uniform(xs, -2, 2), gy = uniform(xs), y1(xs), y2(xs), s1(xs), s2(xs), g1(xs), g2(xs);
    cpu::local_response_norm(cpu(x), cpu(y1), cpu(s1), lp);
    cuda::local_response_norm(gpu(x), gpu(y2), gpu(s2), lp);
    compare(tag, y1, y2, kTol);
    compare(tag + " scale", s1, s2, kTol);
    cpu::local_response_norm_backward(cpu(x), cpu(y1), cpu(s1), cpu(gy), cpu(g1), lp);
    cuda::local_response_norm_backward(gpu(x), gpu(y1), gpu(s1), gpu(gy), gpu(g2), lp);
    compare(tag + " backward", g1, g2, kTol);
  }
  Buf x = uniform({1, 3}), y({1, 3}), m({3}), s({3});
  BatchNormParams p;
  p.training = true;
  compare_errors("batch_norm one value per channel", [&] { cpu::batch_norm(cpu(x), none(), none(), none(), none(), cpu(y), cpu(m), cpu(s), p); },
                 [&] { cuda::batch_norm(gpu(x), none(), none(), none(), none(), gpu(y), gpu(m), gpu(s), p); });
}

}  // namespace emu_check

// Emulated checks of cuda/matmul.cu (and so of the GEMM of cuda/gemm.cuh) against the CPU: every transpose
// combination, broadcast batches, batch 1, odd sizes, each tile configuration (64 x 64, 128 x 128), split K,
// K = 0, the TF32 mma path, linear with and without bias, and the shape errors.
#include <cstdlib>

#include "harness.h"
#include "ops/matmul.h"

namespace emu_check {

namespace {

// 1e-5: float32 sums of up to 1200 products whose order differs between the backends (FMA chains per
// thread on the GPU, blocked sums on the CPU); a wrong index or a missed tile gives errors near 1.
constexpr double kFp32Tol = 1e-5;
// TF32 keeps 10 mantissa bits of each operand: a relative error near 2^-11 per product, about 5e-4
// normalised over random sums; 3e-3 leaves room. The check also demands more than 1e-5, which proves that
// the tensor-core path (not the FP32 one) ran.
constexpr double kTf32Tol = 3e-3;

std::vector<int64_t> mat(std::vector<int64_t> batch, int64_t r, int64_t c) {
  batch.push_back(r);
  batch.push_back(c);
  return batch;
}

void one_matmul(const std::vector<int64_t>& ba, const std::vector<int64_t>& bb, const std::vector<int64_t>& bo, int64_t M,
                int64_t N, int64_t K, bool ta, bool tb, bool tf32) {
  Buf a = uniform(mat(ba, ta ? K : M, ta ? M : K)), b = uniform(mat(bb, tb ? N : K, tb ? K : N));
  Buf o1(mat(bo, M, N)), o2(mat(bo, M, N));
  MatmulParams p;
  p.transA = ta;
  p.transB = tb;
  std::string tag = "matmul " + shape_str(a.shape) + (ta ? "ᵀ" : "") + " · " + shape_str(b.shape) + (tb ? "ᵀ" : "") +
                    (tf32 ? " tf32" : "");
  if (tf32) setenv("DEEPSCOPE_CUDA_TF32", "1", 1);
  cpu::matmul(cpu(a), cpu(b), cpu(o1), p);
  cuda::matmul(gpu(a), gpu(b), gpu(o2), p);
  unsetenv("DEEPSCOPE_CUDA_TF32");
  compare(tag, o1, o2, tf32 ? kTf32Tol : kFp32Tol);
  if (tf32) compare_at_least(tag + " (differs from FP32)", o1, o2, 1e-5);
}

}  // namespace

void check_matmul() {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      one_matmul({2, 1}, {3}, {2, 3}, 5, 4, 7, ta, tb, false);   // broadcast batch dims
      one_matmul({}, {}, {}, 1, 1, 1, ta, tb, false);            // 1 x 1 x 1
      one_matmul({}, {2}, {2}, 33, 65, 17, ta, tb, false);       // odd sizes over 64 x 64 tiles
      one_matmul({}, {}, {}, 20, 30, 1100, ta, tb, false);       // split K
      one_matmul({}, {}, {}, 260, 257, 40, ta, tb, false);       // 128 x 128 tiles
      one_matmul({}, {}, {}, 130, 140, 200, ta, tb, true);       // TF32 mma
    }
  one_matmul({2}, {2}, {2}, 70, 64, 300, false, true, true);     // TF32 batched
  one_matmul({}, {}, {}, 70, 30, 1200, true, false, true);       // TF32, split K
  one_matmul({}, {}, {}, 6, 5, 0, false, false, false);          // K = 0: zeros

  for (bool with_bias : {false, true})
    for (auto xs : {std::vector<int64_t>{3, 5, 8}, {1, 8}, {300, 8}, {8}}) {
      Buf x = uniform(xs), w = uniform({13, 8}), bias = uniform({13});
      std::vector<int64_t> os = xs;
      os.back() = 13;
      Buf o1(os), o2(os);
      cpu::linear(cpu(x), cpu(w), with_bias ? cpu(bias) : none(), cpu(o1));
      cuda::linear(gpu(x), gpu(w), with_bias ? gpu(bias) : none(), gpu(o2));
      compare("linear " + shape_str(xs) + (with_bias ? " bias" : ""), o1, o2, kFp32Tol);
    }

  Buf a = uniform({4, 5}), b = uniform({6, 3}), o({4, 3}), w = uniform({3, 5}), bad_bias = uniform({4});
  compare_errors("matmul inner dims", [&] { cpu::matmul(cpu(a), cpu(b), cpu(o), {}); },
                 [&] { cuda::matmul(gpu(a), gpu(b), gpu(o), {}); });
  compare_errors("linear bias size", [&] { cpu::linear(cpu(a), cpu(w), cpu(bad_bias), cpu(o)); },
                 [&] { cuda::linear(gpu(a), gpu(w), gpu(bad_bias), gpu(o)); });
}

}  // namespace emu_check

// Runs the CUDA kernels of native/cuda/*.cu through the CPU emulator (cuda_runtime.h beside this file) and
// compares every op with the CPU kernel on the same inputs: random data, odd sizes (vector paths and their
// tails), broadcasting, chunked reductions, NaN/inf/ties, empty tensors and the error paths. Built and run by
// scripts/cuda-emulate.sh. This checks the kernels' logic (indexing, reductions, barriers, shuffles); it
// cannot check what only a GPU shows (timing, memory model, the device's own math library, launch limits).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/storage.h"
#include "cpu/isa_table.h"
#include "cuda/check.h"
#include "harness.h"
#include "ops/binary.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/layout.h"
#include "ops/reduce.h"
#include "ops/rnn.h"
#include "ops/softmax.h"

// ------------------------------------------------------------------ the runtime functions of cuda/check.h
namespace ds::cuda {
int g_multiprocessors = 4;
void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail(std::string(what) + " failed");
}
void check_launch(const char*) {}
cudaStream_t stream(int) { return nullptr; }
int multiprocessors(int) { return g_multiprocessors; }
int compute_capability(int) { return 90; }
void read_back(int, void* host, const void* dev, size_t bytes) { std::memcpy(host, dev, bytes); }
}  // namespace ds::cuda

namespace emu_check {
namespace {

// ---------------------------------------------------------------------------------------------- creation

void check_creation() {
  for (DType t : {DType::f32, DType::i32}) {
    const char* tn = t == DType::f32 ? "f32" : "i32";
    Buf a({1001}, t), b({1001}, t);
    cpu::fill(cpu(a), 2.5);
    cuda::fill(gpu(b), 2.5);
    compare(std::string("fill ") + tn, a, b, 0);
    for (auto [start, step] : {std::pair<double, double>{-3.5, 0.37}, {2, 3}, {10, -0.1}}) {
      Buf x({777}, t), y({777}, t);
      cpu::arange(cpu(x), start, step);
      cuda::arange(gpu(y), start, step);
      compare(std::string("arange ") + tn + " " + std::to_string(step), x, y, 0);
    }
    for (auto s : {std::vector<int64_t>{5, 7}, {7, 5}, {0, 3}, {1, 1}}) {
      Buf x(s, t), y(s, t);
      cpu::eye(cpu(x));
      cuda::eye(gpu(y));
      compare(std::string("eye ") + tn + " " + shape_str(s), x, y, 0);
    }
  }
  {
    Buf x = uniform({1000}, -1e3f, 1e3f);
    const float special[] = {NAN, INFINITY, -INFINITY, 3e9f, -3e9f, 2.5f, -2.5f, 2147483647.f, -2147483648.f, 0.f, -0.f};
    for (size_t k = 0; k < sizeof(special) / sizeof(float); ++k) x.f()[k * 7] = special[k];
    Buf a({1000}, DType::i32), b({1000}, DType::i32);
    cpu::cast(cpu(x), cpu(a));
    cuda::cast(gpu(x), gpu(b));
    compare("cast f32->i32", a, b, 0);
    Buf xi = ints({999}, -2000000000, 2000000000), c({999}), d({999});
    cpu::cast(cpu(xi), cpu(c));
    cuda::cast(gpu(xi), gpu(d));
    compare("cast i32->f32", c, d, 0);
    Buf e({1000}), f({1000});
    cpu::cast(cpu(x), cpu(e));
    cuda::cast(gpu(x), gpu(f));
    compare("cast f32->f32", e, f, 0);
  }
  for (int64_t n : {1, 4, 1001, 4096}) {
    RandomParams p;
    p.seed = 123456789012345ull;
    p.offset = 77;
    p.a = -2;
    p.b = 3;
    std::string ns = " n=" + std::to_string(n);
    Buf a({n}), b({n});
    cpu::random_uniform(cpu(a), p);
    cuda::random_uniform(gpu(b), p);
    compare("random_uniform" + ns, a, b, 0);
    p.a = 1;
    p.b = 2;
    Buf c({n}), d({n});
    cpu::random_normal(cpu(c), p);
    cuda::random_normal(gpu(d), p);
    compare("random_normal" + ns, c, d, 0);
    p.a = 0.3;
    for (DType t : {DType::f32, DType::i32}) {
      Buf e({n}, t), f({n}, t);
      cpu::random_bernoulli(cpu(e), p);
      cuda::random_bernoulli(gpu(f), p);
      compare(std::string("random_bernoulli ") + (t == DType::f32 ? "f32" : "i32") + ns, e, f, 0);
    }
  }
}

// ------------------------------------------------------------------------------------------- elementwise

struct UnaryCase {
  UnaryOp op;
  const char* name;
  float lo, hi;
  bool x, y;  // what the backward reads (src/ops/elementwise.ts NEEDS)
};

void check_unary() {
  const UnaryCase cases[] = {
      {UnaryOp::neg, "neg", -2, 2, false, false},        {UnaryOp::abs, "abs", -2, 2, true, false},
      {UnaryOp::exp, "exp", -2, 2, false, true},         {UnaryOp::log, "log", 0.1f, 3, true, false},
      {UnaryOp::sqrt, "sqrt", 0.1f, 3, false, true},     {UnaryOp::rsqrt, "rsqrt", 0.1f, 3, true, true},
      {UnaryOp::reciprocal, "reciprocal", 0.5f, 2, false, true}, {UnaryOp::sign, "sign", -2, 2, false, false},
      {UnaryOp::sin, "sin", -30, 30, true, false},       {UnaryOp::cos, "cos", -30, 30, true, false},
      {UnaryOp::relu, "relu", -2, 2, true, false},       {UnaryOp::leaky_relu, "leaky_relu", -2, 2, true, false},
      {UnaryOp::elu, "elu", -2, 2, true, true},          {UnaryOp::sigmoid, "sigmoid", -10, 10, false, true},
      {UnaryOp::tanh, "tanh", -3, 3, false, true},       {UnaryOp::hardtanh, "hardtanh", -2, 2, true, false},
      {UnaryOp::softplus, "softplus", -6, 6, true, false}, {UnaryOp::gelu, "gelu", -3, 3, true, false},
      {UnaryOp::clamp, "clamp", -1, 1, true, false},     {UnaryOp::pow_scalar, "pow_scalar", 0.1f, 2, true, false},
  };
  UnaryParams p;
  p.alpha = 0.1f;
  p.lo = -0.5f;
  p.hi = 0.5f;
  p.beta = 2.f;
  p.threshold = 5.f;
  p.exponent = 1.5f;
  for (const auto& c : cases) {
    for (int64_t n : {1003, 3, 0}) {
      std::string tag = std::string(c.name) + " n=" + std::to_string(n);
      Buf x = uniform({n}, c.lo, c.hi);
      if (n > 10) {
        x.f()[5] = 0.5f;  // exactly on the clamp / hardtanh bound
        x.f()[7] = NAN;
        x.f()[8] = INFINITY;
        x.f()[9] = -INFINITY;
        x.f()[10] = 0.f;
      }
      Buf y1({n}), y2({n});
      cpu::unary_forward(c.op, cpu(x), cpu(y1), p);
      cuda::unary_forward(c.op, gpu(x), gpu(y2), p);
      compare(tag, y1, y2, 1e-6);
      Buf g = uniform({n});
      Buf g1({n}), g2({n});
      cpu::unary_backward(c.op, cpu(x), cpu(y1), cpu(g), cpu(g1), p);
      cuda::unary_backward(c.op, gpu(x), gpu(y1), gpu(g), gpu(g2), p);
      compare(tag + " backward", g1, g2, 1e-6);
      // As JS calls it: only what the derivative reads.
      Buf g3({n}), g4({n});
      cpu::unary_backward(c.op, c.x ? cpu(x) : none(), c.y ? cpu(y1) : none(), cpu(g), cpu(g3), p);
      cuda::unary_backward(c.op, c.x ? gpu(x) : none(), c.y ? gpu(y1) : none(), gpu(g), gpu(g4), p);
      compare(tag + " backward (needs only)", g3, g4, 1e-6);
    }
  }
  // pow_scalar's zero exponent and the default clamp bounds (infinite).
  UnaryParams q;
  q.exponent = 0.f;
  Buf x = uniform({100}, -2, 2), y1({100}), y2({100}), g = uniform({100}), g1({100}), g2({100});
  cpu::unary_forward(UnaryOp::pow_scalar, cpu(x), cpu(y1), q);
  cuda::unary_forward(UnaryOp::pow_scalar, gpu(x), gpu(y2), q);
  compare("pow_scalar exponent 0", y1, y2, 0);
  cpu::unary_backward(UnaryOp::pow_scalar, cpu(x), none(), cpu(g), cpu(g1), q);
  cuda::unary_backward(UnaryOp::pow_scalar, gpu(x), none(), gpu(g), gpu(g2), q);
  compare("pow_scalar exponent 0 backward", g1, g2, 0);
  q.lo = -std::numeric_limits<float>::infinity();
  q.hi = 0.25f;
  cpu::unary_forward(UnaryOp::clamp, cpu(x), cpu(y1), q);
  cuda::unary_forward(UnaryOp::clamp, gpu(x), gpu(y2), q);
  compare("clamp max only", y1, y2, 0);
}

std::vector<int64_t> broadcast_shape(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  size_t n = std::max(a.size(), b.size());
  std::vector<int64_t> s(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = i + a.size() >= n ? a[i + a.size() - n] : 1;
    int64_t y = i + b.size() >= n ? b[i + b.size() - n] : 1;
    s[i] = x == 1 ? y : x;
  }
  return s;
}

void check_binary() {
  const std::pair<BinaryOp, const char*> ops[] = {
      {BinaryOp::add, "add"}, {BinaryOp::sub, "sub"}, {BinaryOp::mul, "mul"}, {BinaryOp::div, "div"},
      {BinaryOp::pow, "pow"}, {BinaryOp::maximum, "maximum"}, {BinaryOp::minimum, "minimum"}, {BinaryOp::eq, "eq"},
      {BinaryOp::ne, "ne"}, {BinaryOp::lt, "lt"}, {BinaryOp::le, "le"}, {BinaryOp::gt, "gt"}, {BinaryOp::ge, "ge"}};
  const std::pair<std::vector<int64_t>, std::vector<int64_t>> shapes[] = {
      {{3, 37}, {3, 37}},          {{4, 1, 9}, {5, 9}},  {{}, {6}},      {{6}, {}},     {{2, 1, 3, 1, 2, 3}, {1, 4, 3, 5, 1, 3}},
      {{0, 3}, {3}},               {{7, 1}, {1, 5}},     {{1}, {1}},     {{2, 3, 4}, {2, 3, 4}},
  };
  for (auto [op, name] : ops) {
    bool cmp = int(op) >= int(BinaryOp::eq);
    for (DType t : {DType::f32, DType::i32}) {
      for (const auto& [sa, sb] : shapes) {
        std::vector<int64_t> so = broadcast_shape(sa, sb);
        std::string tag = std::string(name) + (t == DType::f32 ? " f32 " : " i32 ") + shape_str(sa) + shape_str(sb);
        Buf a, b;
        if (t == DType::f32) {
          a = op == BinaryOp::pow ? uniform(sa, 0.2f, 2) : small_ints(sa, -2, 2);
          b = op == BinaryOp::pow ? uniform(sb, -2, 2) : small_ints(sb, -2, 2);
          if (op == BinaryOp::div) b = uniform(sb, 0.5f, 2);
          if (a.n > 4) a.f()[3] = NAN;
          if (b.n > 4) b.f()[1] = NAN;
        } else {
          a = ints(sa, -3, 3);
          b = op == BinaryOp::div ? ints(sb, 1, 4) : (op == BinaryOp::pow ? ints(sb, 0, 3) : ints(sb, -3, 3));
        }
        Buf o1(so, cmp ? DType::f32 : t), o2(so, cmp ? DType::f32 : t);
        cpu::binary(op, cpu(a), cpu(b), 0, cpu(o1));
        cuda::binary(op, gpu(a), gpu(b), 0, gpu(o2));
        compare(tag, o1, o2, 0);
      }
      // A number as the second operand.
      Buf a = t == DType::f32 ? small_ints({1001}, -2, 2) : ints({1001}, -3, 3);
      double scalar = t == DType::f32 ? 1.5 : 2;
      Buf o1({1001}, cmp ? DType::f32 : t), o2({1001}, cmp ? DType::f32 : t);
      cpu::binary(op, cpu(a), none(), scalar, cpu(o1));
      cuda::binary(op, gpu(a), none(), scalar, gpu(o2));
      compare(std::string(name) + (t == DType::f32 ? " f32" : " i32") + " scalar", o1, o2, 0);
    }
  }
}

void check_where() {
  const std::vector<std::vector<int64_t>> shapes[] = {
      {{3, 1}, {3, 4}, {4}, {3, 4}}, {{5, 6}, {5, 6}, {5, 6}, {5, 6}}, {{}, {2, 3}, {}, {2, 3}}, {{2, 1, 4}, {3, 1}, {1}, {2, 3, 4}}, {{0}, {0}, {0}, {0}}};
  for (DType ct : {DType::f32, DType::i32})
    for (DType vt : {DType::f32, DType::i32})
      for (const auto& s : shapes) {
        Buf c = ct == DType::f32 ? small_ints(s[0], -1, 1) : ints(s[0], -1, 1);
        if (ct == DType::f32 && c.n > 2) c.f()[1] = NAN;
        Buf a = vt == DType::f32 ? uniform(s[1]) : ints(s[1], -100, 100);
        Buf b = vt == DType::f32 ? uniform(s[2]) : ints(s[2], -100, 100);
        Buf o1(s[3], vt), o2(s[3], vt);
        cpu::where(cpu(c), cpu(a), cpu(b), cpu(o1));
        cuda::where(gpu(c), gpu(a), gpu(b), gpu(o2));
        compare("where " + shape_str(s[0]) + shape_str(s[1]) + shape_str(s[2]), o1, o2, 0);
      }
}

// ------------------------------------------------------------------------------------------------ reduce

void check_reduce() {
  const std::pair<ReduceOp, const char*> ops[] = {{ReduceOp::sum, "sum"},       {ReduceOp::mean, "mean"},
                                                  {ReduceOp::max, "max"},       {ReduceOp::min, "min"},
                                                  {ReduceOp::argmax, "argmax"}, {ReduceOp::argmin, "argmin"},
                                                  {ReduceOp::var, "var"}};
  struct Geo {
    std::vector<int64_t> shape;
    int begin, end;
  };
  const Geo geos[] = {
      {{3, 50, 7}, 1, 2},  {{3, 50, 7}, 0, 3},  {{4, 33}, 1, 2},     {{6, 5, 40}, 1, 2},  {{2, 70000}, 1, 2},
      {{3, 1000, 40}, 1, 2}, {{1000, 3}, 0, 1}, {{5, 0, 3}, 1, 2},   {{0, 5}, 1, 2},      {{4, 1, 9}, 1, 2},
      {{2, 3, 4, 5}, 1, 3}, {{7}, 0, 1},        {{}, 0, 0},          {{5, 6}, 2, 2},      {{2, 3000, 3}, 1, 2},
  };
  for (auto [op, name] : ops) {
    bool arg = op == ReduceOp::argmax || op == ReduceOp::argmin;
    bool ext = arg || op == ReduceOp::max || op == ReduceOp::min;
    for (DType t : {DType::f32, DType::i32}) {
      for (const auto& g : geos) {
        for (int variant = 0; variant < (t == DType::f32 && ext ? 3 : 1); ++variant) {
          std::vector<int64_t> os;
          for (int d = 0; d < int(g.shape.size()); ++d)
            if (d < g.begin || d >= g.end) os.push_back(g.shape[size_t(d)]);
          Buf x;
          if (t == DType::i32) x = ints(g.shape, -50, 50);
          else if (variant == 0) x = uniform(g.shape);
          else x = small_ints(g.shape, -3, 3);  // ties
          if (variant == 2)
            for (int64_t k = 5; k < x.n; k += 97) x.f()[k] = NAN;
          ReduceParams p;
          p.begin = g.begin;
          p.end = g.end;
          DType ot = arg ? DType::i32 : (op == ReduceOp::mean || op == ReduceOp::var ? DType::f32 : t);
          std::string tag = std::string(name) + (t == DType::f32 ? " f32 " : " i32 ") + shape_str(g.shape) + " axes " +
                            std::to_string(g.begin) + ".." + std::to_string(g.end) +
                            (variant == 1 ? " ties" : variant == 2 ? " NaN" : "");
          Buf o1(os, ot), o2(os, ot);
          bool empty_axis = false;
          for (int d = g.begin; d < g.end; ++d) empty_axis |= g.shape[size_t(d)] == 0;
          if (ext && empty_axis) {
            compare_errors(tag, [&] { cpu::reduce(op, cpu(x), cpu(o1), p); }, [&] { cuda::reduce(op, gpu(x), gpu(o2), p); });
            continue;
          }
          cpu::reduce(op, cpu(x), cpu(o1), p);
          cuda::reduce(op, gpu(x), gpu(o2), p);
          compare(tag, o1, o2, ext ? 0 : 1e-6);
          if (op == ReduceOp::var) {
            for (double corr : {0.0, 3.0, 1e9}) {
              p.correction = corr;
              Buf o3(os, ot), o4(os, ot);
              cpu::reduce(op, cpu(x), cpu(o3), p);
              cuda::reduce(op, gpu(x), gpu(o4), p);
              compare(tag + " correction " + std::to_string(corr), o3, o4, 1e-6);
            }
          }
        }
      }
    }
  }
}

// ----------------------------------------------------------------------------------------------- softmax

void check_softmax() {
  struct Case {
    std::vector<int64_t> shape;
    int dim;
  };
  const Case cases[] = {{{4, 129}, 1}, {{3, 2000}, 1}, {{3, 70, 5}, 1}, {{2, 6, 3, 4}, 2}, {{7}, 0},     {{}, 0},
                        {{0, 5}, 1},   {{5, 0}, 1},    {{70, 3}, 0},    {{1, 1}, 1},       {{33, 1024}, 1}, {{2, 1025}, 1}};
  for (bool log : {false, true}) {
    for (const auto& c : cases) {
      std::string tag = std::string(log ? "log_softmax " : "softmax ") + shape_str(c.shape) + " dim " + std::to_string(c.dim);
      Buf x = uniform(c.shape, -4, 4);
      if (x.n > 200) {  // a row with -inf entries and a row with a NaN
        x.f()[3] = -INFINITY;
        x.f()[x.n - 2] = NAN;
      }
      SoftmaxParams p;
      p.dim = c.dim;
      Buf y1(c.shape), y2(c.shape);
      cpu::softmax_forward(cpu(x), cpu(y1), p, log);
      cuda::softmax_forward(gpu(x), gpu(y2), p, log);
      compare(tag, y1, y2, 1e-6);
      Buf g = uniform(c.shape), g1(c.shape), g2(c.shape);
      cpu::softmax_backward(cpu(y1), cpu(g), cpu(g1), p, log);
      cuda::softmax_backward(gpu(y1), gpu(g), gpu(g2), p, log);
      compare(tag + " backward", g1, g2, 1e-6);
    }
  }
}

void check_nll() {
  struct Case {
    std::vector<int64_t> xs;
    std::vector<int32_t> targets;  // empty: random valid
    bool weight;
    double eps;
    Reduction red;
    int64_t ignore;
  };
  const Case cases[] = {
      {{6, 5}, {0, 4, -100, 2, 1, 3}, true, 0.1, Reduction::mean, -100},
      {{2, 4, 3, 2}, {0, 1, 2, 3, 2, 1, 3, 3, 0, 2, 1, 0}, false, 0, Reduction::none, 2},
      {{5, 4}, {3, 0, -100, 1, 1}, true, 0, Reduction::sum, -100},
      {{7}, {3}, false, 0, Reduction::mean, -100},
      {{3, 1500}, {}, true, 0.2, Reduction::sum, -100},
      {{40, 10, 3}, {}, true, 0.05, Reduction::mean, -100},
      {{4, 3}, {-100, -100, -100, -100}, false, 0, Reduction::mean, -100},
      {{0, 3}, {}, false, 0, Reduction::mean, -100},
      {{0, 3}, {}, false, 0, Reduction::none, -100},
      {{6, 5}, {0, 4, 7, 2, -1, 3}, true, 0, Reduction::mean, -100},  // bad targets
  };
  for (bool logits : {true, false}) {
    for (const auto& c : cases) {
      int64_t N = c.xs.size() == 1 ? 1 : c.xs[0], C = c.xs.size() == 1 ? c.xs[0] : c.xs[1], S = 1;
      for (size_t d = 2; d < c.xs.size(); ++d) S *= c.xs[d];
      std::vector<int64_t> ts;
      if (c.xs.size() > 1) {
        ts.push_back(N);
        for (size_t d = 2; d < c.xs.size(); ++d) ts.push_back(c.xs[d]);
      }
      Buf x = logits ? uniform(c.xs, -3, 3) : uniform(c.xs, -3, 0);
      Buf t = c.targets.empty() ? ints(ts, 0, int(C - 1)) : Buf(ts, DType::i32);
      for (size_t k = 0; k < c.targets.size(); ++k) t.i()[k] = c.targets[k];
      Buf w = uniform({C}, 0.5f, 2);
      NllParams p;
      p.from_logits = logits;
      p.label_smoothing = logits ? c.eps : 0;
      p.reduction = c.red;
      p.ignore_index = c.ignore;
      p.op = logits ? "crossEntropy" : "nllLoss";
      std::string tag = std::string(logits ? "cross_entropy " : "nll_loss ") + shape_str(c.xs) +
                        (c.red == Reduction::none ? " none" : c.red == Reduction::sum ? " sum" : " mean");
      std::vector<int64_t> ls = c.red == Reduction::none ? ts : std::vector<int64_t>{};
      Buf l1(ls), l2(ls);
      const Buf* wp = c.weight ? &w : nullptr;
      compare_errors(tag + " (errors)", [&] { cpu::nll_forward(cpu(x), cpu(t), cpu_opt(wp), cpu(l1), p); },
                     [&] { cuda::nll_forward(gpu(x), gpu(t), gpu_opt(wp), gpu(l2), p); });
      bool bad = false;
      for (int64_t k = 0; k < t.n; ++k) bad |= t.i()[k] != c.ignore && (t.i()[k] < 0 || t.i()[k] >= C);
      Buf gl = uniform(ls), g1(c.xs), g2(c.xs);
      compare_errors(tag + " backward (errors)", [&] { cpu::nll_backward(cpu(x), cpu(t), cpu_opt(wp), cpu(gl), cpu(g1), p); },
                     [&] { cuda::nll_backward(gpu(x), gpu(t), gpu_opt(wp), gpu(gl), gpu(g2), p); });
      if (bad) continue;
      compare(tag, l1, l2, 1e-6);
      compare(tag + " backward", g1, g2, 1e-6);
    }
  }
}

void check_bce() {
  for (bool logits : {false, true})
    for (int mask = 0; mask < 8; ++mask) {
      bool hw = mask & 1, hp = (mask & 2) && logits, ht = mask & 4;
      std::vector<int64_t> s{37, 3};
      Buf x = logits ? uniform(s, -5, 5) : uniform(s, 0.05f, 0.95f);
      if (!logits) {
        x.f()[0] = 0.f;
        x.f()[1] = 1.f;
      } else {
        x.f()[0] = NAN;
        x.f()[1] = INFINITY;
        x.f()[2] = -INFINITY;
        x.f()[3] = 0.f;
      }
      Buf t = uniform(s, 0, 1), w = uniform(s, 0.5f, 2), pw = uniform(s, 0.5f, 3), g = uniform(s);
      BceParams p;
      p.logits = logits;
      std::string tag = std::string(logits ? "bce_with_logits" : "bce") + (hw ? " w" : "") + (hp ? " pw" : "") + (ht ? " gt" : "");
      Buf l1(s), l2(s);
      cpu::bce_forward(cpu(x), cpu(t), hw ? cpu(w) : none(), hp ? cpu(pw) : none(), cpu(l1), p);
      cuda::bce_forward(gpu(x), gpu(t), hw ? gpu(w) : none(), hp ? gpu(pw) : none(), gpu(l2), p);
      compare(tag, l1, l2, 1e-6);
      Buf gx1(s), gx2(s), gt1(s), gt2(s);
      cpu::bce_backward(cpu(x), cpu(t), hw ? cpu(w) : none(), hp ? cpu(pw) : none(), cpu(g), cpu(gx1), ht ? cpu(gt1) : none(), p);
      cuda::bce_backward(gpu(x), gpu(t), hw ? gpu(w) : none(), hp ? gpu(pw) : none(), gpu(g), gpu(gx2), ht ? gpu(gt2) : none(), p);
      compare(tag + " backward gx", gx1, gx2, 1e-6);
      if (ht) compare(tag + " backward gt", gt1, gt2, 1e-6);
    }
  Buf x = uniform({2000}, 0, 1), t = uniform({2000}, 0, 1), l1({2000}), l2({2000});
  x.f()[1700] = 1.5f;
  x.f()[1900] = NAN;
  x.f()[1800] = -0.25f;
  BceParams p;
  compare_errors("bce probability out of range", [&] { cpu::bce_forward(cpu(x), cpu(t), none(), none(), cpu(l1), p); },
                 [&] { cuda::bce_forward(gpu(x), gpu(t), none(), none(), gpu(l2), p); });
}

// ------------------------------------------------------------------------------------------------ layout

void check_layout() {
  Buf x = uniform({2, 3, 4, 5});
  for (auto perm : {std::vector<int64_t>{0, 2, 3, 1}, {3, 2, 1, 0}, {0, 1, 2, 3}, {1, 0, 2, 3}}) {
    std::vector<int64_t> os;
    for (int64_t d : perm) os.push_back(x.shape[size_t(d)]);
    Buf a(os), b(os);
    cpu::permute(cpu(x), cpu(a), perm);
    cuda::permute(gpu(x), gpu(b), perm);
    compare("permute " + shape_str(perm), a, b, 0);
  }
  const std::pair<std::vector<int64_t>, std::vector<int64_t>> ex[] = {
      {{3, 1, 5}, {2, 3, 4, 5}}, {{}, {3, 2}}, {{1}, {7}}, {{4, 1}, {4, 6}}, {{2, 3}, {2, 3}}, {{3, 1}, {0, 3, 5}}};
  for (const auto& [si, so] : ex) {
    Buf in = ints(si, -9, 9), a(so, DType::i32), b(so, DType::i32);
    cpu::expand(cpu(in), cpu(a));
    cuda::expand(gpu(in), gpu(b));
    compare("expand " + shape_str(si) + "->" + shape_str(so), a, b, 0);
  }
  Buf c(x.shape), d(x.shape);
  cpu::copy(cpu(x), cpu(c));
  cuda::copy(gpu(x), gpu(d));
  compare("copy", c, d, 0);
}

// ---------------------------------------------------------------------------------------------------- rnn

// Forward and backward of every mode against the CPU kernel: stacked, bidirectional, without bias, with
// sequence lengths, batch 1, sizes that are not multiples of the GEMM's 16x16 tile.
void check_rnn() {
  struct Case {
    const char* mode;
    int64_t T, B, I, H, L;
    bool bidi, bias;
    std::vector<int32_t> lengths;
  };
  const Case cases[] = {{"lstm", 5, 3, 7, 17, 2, true, true, {5, 2, 4}}, {"gru", 4, 1, 3, 5, 1, false, true, {}},
                        {"rnn_tanh", 3, 2, 18, 4, 2, true, false, {}}, {"rnn_relu", 6, 2, 2, 3, 1, true, true, {1, 6}},
                        {"gru", 3, 20, 4, 6, 2, true, true, {}}};
  for (const Case& k : cases) {
    Attrs a;
    a.set("mode", std::string(k.mode));
    a.set("hidden", std::vector<double>{double(k.H)});
    a.set("layers", std::vector<double>{double(k.L)});
    a.set("bidirectional", std::vector<double>{k.bidi ? 1.0 : 0.0});
    a.set("bias", std::vector<double>{k.bias ? 1.0 : 0.0});
    const RnnParams p = RnnParams::from(a);
    const int64_t D = p.dirs(), G = p.gates(), S = k.L * D;
    const bool lstm = p.mode == RnnMode::Lstm;
    const std::string name = std::string("rnn ") + k.mode + " T" + std::to_string(k.T) + " B" + std::to_string(k.B) +
                             " H" + std::to_string(k.H) + " L" + std::to_string(k.L) + (k.bidi ? " bidi" : "");
    Buf x = uniform({k.T, k.B, k.I}), h0 = uniform({S, k.B, k.H}), c0 = uniform({S, k.B, k.H});
    Buf len({k.B}, DType::i32);
    for (int64_t b = 0; b < k.B; ++b) len.i()[b] = k.lengths.empty() ? int32_t(k.T) : k.lengths[size_t(b)];
    std::vector<Buf> w;
    for (int64_t l = 0; l < k.L; ++l)
      for (int64_t d = 0; d < D; ++d) {
        w.push_back(uniform({G * k.H, l ? D * k.H : k.I}, -0.5f, 0.5f));
        w.push_back(uniform({G * k.H, k.H}, -0.5f, 0.5f));
        if (k.bias) w.push_back(uniform({G * k.H}, -0.5f, 0.5f)), w.push_back(uniform({G * k.H}, -0.5f, 0.5f));
      }
    const Buf* lp = k.lengths.empty() ? nullptr : &len;
    auto refs = [&](TensorRef (*f)(const Buf&), const std::vector<Buf>& v) {
      std::vector<TensorRef> r;
      for (const Buf& b : v) r.push_back(f(b));
      return r;
    };
    // Forward on both; the workspaces must agree too (backward reads them).
    Buf y[2] = {Buf({k.T, k.B, D * k.H}), Buf({k.T, k.B, D * k.H})};
    Buf hn[2] = {Buf({S, k.B, k.H}), Buf({S, k.B, k.H})}, cn[2] = {Buf({S, k.B, k.H}), Buf({S, k.B, k.H})};
    Buf ws[2] = {Buf({p.workspace(k.T, k.B)}), Buf({p.workspace(k.T, k.B)})};
    const auto wc = refs(cpu, w), wg = refs(gpu, w);
    // The ReLU case runs from absent (zero) initial states.
    const bool given = p.mode != RnnMode::RnnRelu;
    cpu::rnn_forward(cpu(x), given ? cpu(h0) : none(), lstm ? cpu(c0) : none(), cpu_opt(lp), wc.data(), cpu(y[0]), cpu(hn[0]),
                     lstm ? cpu(cn[0]) : none(), cpu(ws[0]), p);
    cuda::rnn_forward(gpu(x), given ? gpu(h0) : none(), lstm ? gpu(c0) : none(), gpu_opt(lp), wg.data(), gpu(y[1]), gpu(hn[1]),
                      lstm ? gpu(cn[1]) : none(), gpu(ws[1]), p);
    // Tolerance: the tiled GEMM sums in another order than the CPU's (a few float32 roundings per dot
    // product of <= 34 terms), carried through <= 6 steps and 2 layers of saturating gates.
    const double tol = 1e-5;
    compare(name + " y", y[0], y[1], tol);
    compare(name + " hn", hn[0], hn[1], tol);
    if (lstm) compare(name + " cn", cn[0], cn[1], tol);
    compare(name + " workspace", ws[0], ws[1], tol);
    Buf dy = uniform(y[0].shape), dhn = uniform(hn[0].shape), dcn = uniform(hn[0].shape);
    Buf dx[2] = {Buf(x.shape), Buf(x.shape)}, dh0[2] = {Buf(h0.shape), Buf(h0.shape)}, dc0[2] = {Buf(h0.shape), Buf(h0.shape)};
    std::vector<Buf> dw[2];
    for (auto& v : dw)
      for (const Buf& b : w) v.emplace_back(b.shape);
    const auto dwc = refs(cpu, dw[0]), dwg = refs(gpu, dw[1]);
    cpu::rnn_backward(cpu(x), cpu_opt(lp), cpu(ws[0]), cpu(dy), cpu(dhn), lstm ? cpu(dcn) : none(), wc.data(), cpu(dx[0]),
                      cpu(dh0[0]), lstm ? cpu(dc0[0]) : none(), dwc.data(), p);
    cuda::rnn_backward(gpu(x), gpu_opt(lp), gpu(ws[0]), gpu(dy), gpu(dhn), lstm ? gpu(dcn) : none(), wg.data(),
                       gpu(dx[1]), gpu(dh0[1]), lstm ? gpu(dc0[1]) : none(), dwg.data(), p);
    // Backward: the weight gradients sum T*B products per entry in the tiled order: 1e-4.
    compare(name + " dx", dx[0], dx[1], 1e-4);
    compare(name + " dh0", dh0[0], dh0[1], 1e-4);
    if (lstm) compare(name + " dc0", dc0[0], dc0[1], 1e-4);
    for (size_t i = 0; i < w.size(); ++i) compare(name + " dweight " + std::to_string(i), dw[0][i], dw[1][i], 1e-4);
  }
}

// ------------------------------------------------------------------------------------ binary networks

// Packs on both backends (the packed tensors must agree bit for bit), then convolves / multiplies both.
void check_bitnet() {
  {
    Buf x = uniform({3, 7}, -2, 2), a(x.shape), b(x.shape), ga = uniform({3, 7}), c(x.shape), d(x.shape);
    x.f()[0] = 0.f;
    x.f()[1] = std::numeric_limits<float>::quiet_NaN();
    cpu::binarize(cpu(x), cpu(a));
    cuda::binarize(gpu(x), gpu(b));
    compare("binarize", a, b, 0);
    cpu::binarize_backward(cpu(x), cpu(ga), cpu(c));
    cuda::binarize_backward(gpu(x), gpu(ga), gpu(d));
    compare("binarize_backward", c, d, 0);
  }
  struct Case {
    int64_t n, c, o, h, w, kh, kw, sh, sw, ph, pw, dh, dw;
  };
  const Case cases[] = {{1, 1, 1, 3, 3, 1, 1, 1, 1, 0, 0, 1, 1},  {2, 63, 5, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1},
                        {1, 64, 4, 5, 9, 3, 2, 2, 1, 2, 1, 1, 1}, {2, 65, 3, 8, 7, 3, 3, 1, 2, 2, 2, 2, 2},
                        {1, 130, 6, 4, 4, 3, 3, 1, 1, 2, 2, 1, 1}};
  for (const Case& k : cases) {
    const int64_t words = (k.c + 63) / 64;
    const int64_t oh = (k.h + 2 * k.ph - k.dh * (k.kh - 1) - 1) / k.sh + 1;
    const int64_t ow = (k.w + 2 * k.pw - k.dw * (k.kw - 1) - 1) / k.sw + 1;
    const std::string name = "binary_conv2d c" + std::to_string(k.c) + " k" + std::to_string(k.kh) + "x" +
                             std::to_string(k.kw) + " p" + std::to_string(k.ph) + " d" + std::to_string(k.dh);
    Buf x = uniform({k.n, k.c, k.h, k.w}), w = uniform({k.o, k.c, k.kh, k.kw});
    Buf xa({k.n, k.h, k.w, 2 * words}, DType::i32), xb = xa.clone(), wa({k.o, k.kh, k.kw, 2 * words}, DType::i32),
        wb = wa.clone();
    cpu::bitpack(cpu(x), cpu(xa));
    cuda::bitpack(gpu(x), gpu(xb));
    compare("bitpack " + name, xa, xb, 0);
    cpu::bitpack(cpu(w), cpu(wa));
    cuda::bitpack(gpu(w), gpu(wb));
    Buf ua(x.shape), ub(x.shape);
    cpu::bitunpack(cpu(xa), cpu(ua));
    cuda::bitunpack(gpu(xa), gpu(ub));
    compare("bitunpack " + name, ua, ub, 0);
    BinaryConv2dParams p;
    p.channels = k.c;
    p.sh = k.sh, p.sw = k.sw, p.ph = k.ph, p.pw = k.pw, p.dh = k.dh, p.dw = k.dw;
    Buf alpha = uniform({k.o}, 0.1f, 2), scale = uniform({k.n, 1, oh, ow}, 0.1f, 2);
    for (bool scaled : {false, true}) {
      Buf ya({k.n, k.o, oh, ow}), yb({k.n, k.o, oh, ow});
      cpu::binary_conv2d(cpu(xa), cpu(wa), cpu_opt(scaled ? &alpha : nullptr), cpu_opt(scaled ? &scale : nullptr), cpu(ya), p);
      cuda::binary_conv2d(gpu(xa), gpu(wa), gpu_opt(scaled ? &alpha : nullptr), gpu_opt(scaled ? &scale : nullptr), gpu(yb), p);
      compare(name + (scaled ? " scaled" : ""), ya, yb, 0);
    }
  }
  for (int64_t bits : {1, 64, 65, 300}) {
    const int64_t words = (bits + 63) / 64;
    Buf a = uniform({7, bits, 1, 1}), b = uniform({5, bits, 1, 1});
    Buf pa({7, 1, 1, 2 * words}, DType::i32), pb({5, 1, 1, 2 * words}, DType::i32);
    cpu::bitpack(cpu(a), cpu(pa));
    cpu::bitpack(cpu(b), cpu(pb));
    Buf alpha = uniform({5}, 0.1f, 2), scale = uniform({7}, 0.1f, 2), ya({7, 5}), yb({7, 5});
    cpu::binary_matmul(cpu(pa), cpu(pb), cpu(alpha), cpu(scale), cpu(ya), bits);
    cuda::binary_matmul(gpu(pa), gpu(pb), gpu(alpha), gpu(scale), gpu(yb), bits);
    compare("binary_matmul bits " + std::to_string(bits), ya, yb, 0);
  }
}

}  // namespace
}  // namespace emu_check

int main(int argc, char** argv) {
  using namespace ds;
  using namespace emu_check;
  static HostAllocator host;
  set_allocator(DeviceType::CUDA, &host);
  std::string only = argc > 1 ? argv[1] : "";
  const std::pair<const char*, void (*)()> groups[] = {
      {"creation", check_creation}, {"unary", check_unary},     {"binary", check_binary}, {"where", check_where},
      {"reduce", check_reduce},     {"softmax", check_softmax}, {"nll", check_nll},       {"bce", check_bce},
      {"layout", check_layout},     {"rnn", check_rnn},         {"bitnet", check_bitnet}, {"matmul", check_matmul},
      {"conv", check_conv},         {"pool", check_pool},       {"norm", check_norm}};
  for (auto [name, fn] : groups) {
    if (!only.empty() && only != name) continue;
    int before = failures, cb = checks;
    fn();
    std::printf("%-9s %4d checks, %d failed\n", name, checks - cb, failures - before);
    std::fflush(stdout);
  }
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}

// CPU elementwise kernels. Unary: flat parallel loops over contiguous float32 data, one instantiation per
// function so the loop body inlines and vectorises. Binary and where: broadcast rows (cpu/broadcast.h).
#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/broadcast.h"
#include "ops/elementwise.h"

namespace ds::cpu {
namespace {

constexpr int64_t kGrain = 1 << 14;
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// Each functor: fwd(x) and bwd(x, y, g) with y = fwd(x).
struct Neg { static float f(float x, const UnaryParams&) { return -x; } static float d(float, float, float g, const UnaryParams&) { return -g; } };
struct Abs { static float f(float x, const UnaryParams&) { return std::fabs(x); } static float d(float x, float, float g, const UnaryParams&) { return x > 0 ? g : (x < 0 ? -g : 0.f); } };
struct Exp { static float f(float x, const UnaryParams&) { return std::exp(x); } static float d(float, float y, float g, const UnaryParams&) { return g * y; } };
struct Log { static float f(float x, const UnaryParams&) { return std::log(x); } static float d(float x, float, float g, const UnaryParams&) { return g / x; } };
struct Sqrt { static float f(float x, const UnaryParams&) { return std::sqrt(x); } static float d(float, float y, float g, const UnaryParams&) { return g * 0.5f / y; } };
struct Rsqrt { static float f(float x, const UnaryParams&) { return 1.f / std::sqrt(x); } static float d(float x, float y, float g, const UnaryParams&) { return -0.5f * g * y / x; } };
struct Reciprocal { static float f(float x, const UnaryParams&) { return 1.f / x; } static float d(float, float y, float g, const UnaryParams&) { return -g * y * y; } };
struct Sign { static float f(float x, const UnaryParams&) { return float((x > 0) - (x < 0)); } static float d(float, float, float, const UnaryParams&) { return 0.f; } };
struct Sin { static float f(float x, const UnaryParams&) { return std::sin(x); } static float d(float x, float, float g, const UnaryParams&) { return g * std::cos(x); } };
struct Cos { static float f(float x, const UnaryParams&) { return std::cos(x); } static float d(float x, float, float g, const UnaryParams&) { return -g * std::sin(x); } };
struct Relu { static float f(float x, const UnaryParams&) { return x > 0 ? x : 0.f; } static float d(float x, float, float g, const UnaryParams&) { return x > 0 ? g : 0.f; } };
struct LeakyRelu { static float f(float x, const UnaryParams& p) { return x > 0 ? x : p.alpha * x; } static float d(float x, float, float g, const UnaryParams& p) { return x > 0 ? g : p.alpha * g; } };
struct Elu {
  static float f(float x, const UnaryParams& p) { return x > 0 ? x : p.alpha * std::expm1(x); }
  static float d(float x, float y, float g, const UnaryParams& p) { return x > 0 ? g : g * (y + p.alpha); }
};
struct Sigmoid {
  static float f(float x, const UnaryParams&) { return x >= 0 ? 1.f / (1.f + std::exp(-x)) : std::exp(x) / (1.f + std::exp(x)); }
  static float d(float, float y, float g, const UnaryParams&) { return g * y * (1.f - y); }
};
struct Tanh { static float f(float x, const UnaryParams&) { return std::tanh(x); } static float d(float, float y, float g, const UnaryParams&) { return g * (1.f - y * y); } };
struct Hardtanh {
  static float f(float x, const UnaryParams& p) { return x < p.lo ? p.lo : (x > p.hi ? p.hi : x); }
  static float d(float x, float, float g, const UnaryParams& p) { return (x > p.lo && x < p.hi) ? g : 0.f; }
};
// clamp passes the gradient at the bounds (PyTorch's convention), hardtanh does not.
struct Clamp {
  static float f(float x, const UnaryParams& p) { return x < p.lo ? p.lo : (x > p.hi ? p.hi : x); }
  static float d(float x, float, float g, const UnaryParams& p) { return (x >= p.lo && x <= p.hi) ? g : 0.f; }
};
struct Softplus {
  static float f(float x, const UnaryParams& p) {
    float bx = p.beta * x;
    return bx > p.threshold ? x : std::log1p(std::exp(bx)) / p.beta;
  }
  static float d(float x, float, float g, const UnaryParams& p) {
    float bx = p.beta * x;
    return bx > p.threshold ? g : g / (1.f + std::exp(-bx));
  }
};
// Exact GELU: x * Phi(x).
struct Gelu {
  static float f(float x, const UnaryParams&) { return 0.5f * x * (1.f + std::erf(x * kInvSqrt2)); }
  static float d(float x, float, float g, const UnaryParams&) {
    float cdf = 0.5f * (1.f + std::erf(x * kInvSqrt2));
    return g * (cdf + x * kInvSqrt2Pi * std::exp(-0.5f * x * x));
  }
};
struct PowScalar {
  static float f(float x, const UnaryParams& p) { return std::pow(x, p.exponent); }
  static float d(float x, float, float g, const UnaryParams& p) {
    return p.exponent == 0.f ? 0.f : g * p.exponent * std::pow(x, p.exponent - 1.f);
  }
};

template <class F>
void run_forward(const TensorRef& x, const TensorRef& y, const UnaryParams& p) {
  const float* xs = x.f32();
  float* ys = y.f32();
  parallel_for(0, x.numel(), kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) ys[i] = F::f(xs[i], p);
  });
}

template <class F>
void run_backward(const TensorRef& x, const TensorRef& y, const TensorRef& gy, const TensorRef& gx, const UnaryParams& p) {
  // Functions whose derivative needs only x or only y are called with the other undefined.
  const float* xs = x.defined ? x.f32() : nullptr;
  const float* ys = y.defined ? y.f32() : nullptr;
  const float* g = gy.f32();
  float* out = gx.f32();
  parallel_for(0, gy.numel(), kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = F::d(xs ? xs[i] : 0.f, ys ? ys[i] : 0.f, g[i], p);
  });
}

template <template <class> class Run, class... Args>
void dispatch_unary(UnaryOp op, Args&&... args) {
  switch (op) {
    case UnaryOp::neg: return Run<Neg>::go(args...);
    case UnaryOp::abs: return Run<Abs>::go(args...);
    case UnaryOp::exp: return Run<Exp>::go(args...);
    case UnaryOp::log: return Run<Log>::go(args...);
    case UnaryOp::sqrt: return Run<Sqrt>::go(args...);
    case UnaryOp::rsqrt: return Run<Rsqrt>::go(args...);
    case UnaryOp::reciprocal: return Run<Reciprocal>::go(args...);
    case UnaryOp::sign: return Run<Sign>::go(args...);
    case UnaryOp::sin: return Run<Sin>::go(args...);
    case UnaryOp::cos: return Run<Cos>::go(args...);
    case UnaryOp::relu: return Run<Relu>::go(args...);
    case UnaryOp::leaky_relu: return Run<LeakyRelu>::go(args...);
    case UnaryOp::elu: return Run<Elu>::go(args...);
    case UnaryOp::sigmoid: return Run<Sigmoid>::go(args...);
    case UnaryOp::tanh: return Run<Tanh>::go(args...);
    case UnaryOp::hardtanh: return Run<Hardtanh>::go(args...);
    case UnaryOp::softplus: return Run<Softplus>::go(args...);
    case UnaryOp::gelu: return Run<Gelu>::go(args...);
    case UnaryOp::clamp: return Run<Clamp>::go(args...);
    case UnaryOp::pow_scalar: return Run<PowScalar>::go(args...);
  }
}

template <class F>
struct Fwd {
  static void go(const TensorRef& x, const TensorRef& y, const UnaryParams& p) { run_forward<F>(x, y, p); }
};
template <class F>
struct Bwd {
  static void go(const TensorRef& x, const TensorRef& y, const TensorRef& gy, const TensorRef& gx, const UnaryParams& p) {
    run_backward<F>(x, y, gy, gx, p);
  }
};

template <class T>
T apply(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::pow: return T(std::pow(double(a), double(b)));
    case BinaryOp::maximum: return a > b || a != a ? a : b;
    case BinaryOp::minimum: return a < b || a != a ? a : b;
    default: return T(0);
  }
}

inline float compare(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::eq: return a == b;
    case BinaryOp::ne: return a != b;
    case BinaryOp::lt: return a < b;
    case BinaryOp::le: return a <= b;
    case BinaryOp::gt: return a > b;
    case BinaryOp::ge: return a >= b;
    default: return 0.f;
  }
}

bool is_comparison(BinaryOp op) { return int(op) >= int(BinaryOp::eq); }

// The op is a template parameter so the inner loop has no switch in it.
template <class T, BinaryOp OP>
void binary_rows(const TensorRef& a, const TensorRef& b, T scalar, const TensorRef& out) {
  const T* pa = a.ptr<T>();
  const T* pb = b.defined ? b.ptr<T>() : &scalar;
  TensorRef bb = b.defined ? b : TensorRef();
  const TensorRef* ins[2] = {&a, &bb};
  BroadcastPlan<2> plan(out, ins);
  if (!b.defined)
    for (int d = 0; d < plan.ndim; ++d) plan.strides[1][d] = 0;
  if constexpr (OP >= BinaryOp::eq) {
    float* po = out.f32();
    plan.for_each_row([&](int64_t o, const int64_t* off, int64_t n, const int64_t* st) {
      const T* x = pa + off[0];
      const T* y = pb + off[1];
      for (int64_t i = 0; i < n; ++i) po[o + i] = compare(OP, double(x[i * st[0]]), double(y[i * st[1]]));
    });
  } else {
    T* po = out.ptr<T>();
    plan.for_each_row([&](int64_t o, const int64_t* off, int64_t n, const int64_t* st) {
      const T* x = pa + off[0];
      const T* y = pb + off[1];
      if (st[0] == 1 && st[1] == 1) {
        for (int64_t i = 0; i < n; ++i) po[o + i] = apply(OP, x[i], y[i]);
      } else if (st[0] == 1) {
        T c = y[0];
        for (int64_t i = 0; i < n; ++i) po[o + i] = apply(OP, x[i], c);
      } else if (st[1] == 1) {
        T c = x[0];
        for (int64_t i = 0; i < n; ++i) po[o + i] = apply(OP, c, y[i]);
      } else {
        po[o] = apply(OP, x[0], y[0]);
        for (int64_t i = 1; i < n; ++i) po[o + i] = po[o];
      }
    });
  }
}

template <class T>
void binary_typed(BinaryOp op, const TensorRef& a, const TensorRef& b, T s, const TensorRef& out) {
  switch (op) {
#define DS_CASE(n) \
  case BinaryOp::n: return binary_rows<T, BinaryOp::n>(a, b, s, out);
    DS_BINARY_OPS(DS_CASE)
#undef DS_CASE
  }
}

}  // namespace

void unary_forward(UnaryOp op, const TensorRef& x, const TensorRef& y, const UnaryParams& p) {
  DS_CHECK(x.numel() == y.numel() && x.dtype == DType::f32, "unary: shapes or dtype");
  dispatch_unary<Fwd>(op, x, y, p);
}

void unary_backward(UnaryOp op, const TensorRef& x, const TensorRef& y, const TensorRef& gy, const TensorRef& gx,
                    const UnaryParams& p) {
  DS_CHECK(gy.numel() == gx.numel(), "unary backward: shapes");
  DS_CHECK(!x.defined || x.numel() == gy.numel(), "unary backward: x shape");
  DS_CHECK(!y.defined || y.numel() == gy.numel(), "unary backward: y shape");
  dispatch_unary<Bwd>(op, x, y, gy, gx, p);
}

void binary(BinaryOp op, const TensorRef& a, const TensorRef& b, double scalar, const TensorRef& out) {
  DS_CHECK(!b.defined || a.dtype == b.dtype, "binary: operand dtypes differ");
  DS_CHECK(is_comparison(op) ? out.dtype == DType::f32 : out.dtype == a.dtype, "binary: output dtype");
  if (a.dtype == DType::f32) binary_typed<float>(op, a, b, float(scalar), out);
  else binary_typed<int32_t>(op, a, b, int32_t(scalar), out);
}

void where(const TensorRef& cond, const TensorRef& a, const TensorRef& b, const TensorRef& out) {
  DS_CHECK(a.dtype == b.dtype && a.dtype == out.dtype, "where: dtypes");
  const TensorRef* ins[3] = {&cond, &a, &b};
  BroadcastPlan<3> plan(out, ins);
  // Every dtype here is four bytes: move bits, test the condition by its own type.
  const uint32_t* pa = a.ptr<uint32_t>();
  const uint32_t* pb = b.ptr<uint32_t>();
  uint32_t* po = out.ptr<uint32_t>();
  bool cf = cond.dtype == DType::f32;
  plan.for_each_row([&](int64_t o, const int64_t* off, int64_t n, const int64_t* st) {
    for (int64_t i = 0; i < n; ++i) {
      bool c = cf ? cond.f32()[off[0] + i * st[0]] != 0.f : cond.i32()[off[0] + i * st[0]] != 0;
      po[o + i] = c ? pa[off[1] + i * st[1]] : pb[off[2] + i * st[2]];
    }
  });
}

}  // namespace ds::cpu

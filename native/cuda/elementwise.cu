// CUDA elementwise kernels: the unary functions and their derivatives, binary arithmetic and comparisons
// with NumPy broadcasting, and where(cond, a, b).
//
// Layout: every tensor is contiguous (row-major); broadcasting is the CPU's plan (cpu/broadcast.h: operand
// strides per output axis, 0 where broadcast, adjacent axes merged), turned into a device Indexer.
// Algorithm: grid-stride loops over the output. Fast paths: contiguous operands of the output's shape move
// four elements per thread with 16-byte loads and stores (a scalar tail after them); a number as the second
// operand rides along as a kernel argument. Otherwise each output index is decomposed into operand offsets
// (32-bit index math when everything fits, 64-bit otherwise).
//
// The formulas mirror native/cpu/elementwise.cpp one for one (float32 math, the same branches and NaN
// rules; binary pow goes through double as on the CPU; comparisons write float32 0/1).
#include <cstdint>
#include <type_traits>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/indexing.cuh"
#include "ops/elementwise.h"

namespace ds::cuda {
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

#define DS_DEV __device__ __forceinline__ static

// ------------------------------------------------------------------------------------------- unary math
// Each functor: f(x) and d(x, y, g) = g * f'(x) with y = f(x), as the CPU's.
struct Neg { DS_DEV float f(float x, const UnaryParams&) { return -x; } DS_DEV float d(float, float, float g, const UnaryParams&) { return -g; } };
struct Abs { DS_DEV float f(float x, const UnaryParams&) { return fabsf(x); } DS_DEV float d(float x, float, float g, const UnaryParams&) { return x > 0 ? g : (x < 0 ? -g : 0.f); } };
struct Exp { DS_DEV float f(float x, const UnaryParams&) { return expf(x); } DS_DEV float d(float, float y, float g, const UnaryParams&) { return g * y; } };
struct Log { DS_DEV float f(float x, const UnaryParams&) { return logf(x); } DS_DEV float d(float x, float, float g, const UnaryParams&) { return g / x; } };
struct Sqrt { DS_DEV float f(float x, const UnaryParams&) { return sqrtf(x); } DS_DEV float d(float, float y, float g, const UnaryParams&) { return g * 0.5f / y; } };
struct Rsqrt { DS_DEV float f(float x, const UnaryParams&) { return 1.f / sqrtf(x); } DS_DEV float d(float x, float y, float g, const UnaryParams&) { return -0.5f * g * y / x; } };
struct Reciprocal { DS_DEV float f(float x, const UnaryParams&) { return 1.f / x; } DS_DEV float d(float, float y, float g, const UnaryParams&) { return -g * y * y; } };
struct Sign { DS_DEV float f(float x, const UnaryParams&) { return float((x > 0) - (x < 0)); } DS_DEV float d(float, float, float, const UnaryParams&) { return 0.f; } };
struct Sin { DS_DEV float f(float x, const UnaryParams&) { return sinf(x); } DS_DEV float d(float x, float, float g, const UnaryParams&) { return g * cosf(x); } };
struct Cos { DS_DEV float f(float x, const UnaryParams&) { return cosf(x); } DS_DEV float d(float x, float, float g, const UnaryParams&) { return -g * sinf(x); } };
struct Relu { DS_DEV float f(float x, const UnaryParams&) { return x > 0 ? x : 0.f; } DS_DEV float d(float x, float, float g, const UnaryParams&) { return x > 0 ? g : 0.f; } };
struct LeakyRelu { DS_DEV float f(float x, const UnaryParams& p) { return x > 0 ? x : p.alpha * x; } DS_DEV float d(float x, float, float g, const UnaryParams& p) { return x > 0 ? g : p.alpha * g; } };
struct Elu {
  DS_DEV float f(float x, const UnaryParams& p) { return x > 0 ? x : p.alpha * expm1f(x); }
  DS_DEV float d(float x, float y, float g, const UnaryParams& p) { return x > 0 ? g : g * (y + p.alpha); }
};
struct Sigmoid {
  DS_DEV float f(float x, const UnaryParams&) { return x >= 0 ? 1.f / (1.f + expf(-x)) : expf(x) / (1.f + expf(x)); }
  DS_DEV float d(float, float y, float g, const UnaryParams&) { return g * y * (1.f - y); }
};
struct Tanh { DS_DEV float f(float x, const UnaryParams&) { return tanhf(x); } DS_DEV float d(float, float y, float g, const UnaryParams&) { return g * (1.f - y * y); } };
struct Hardtanh {
  DS_DEV float f(float x, const UnaryParams& p) { return x < p.lo ? p.lo : (x > p.hi ? p.hi : x); }
  DS_DEV float d(float x, float, float g, const UnaryParams& p) { return (x > p.lo && x < p.hi) ? g : 0.f; }
};
// clamp passes the gradient at the bounds (PyTorch's convention), hardtanh does not.
struct Clamp {
  DS_DEV float f(float x, const UnaryParams& p) { return x < p.lo ? p.lo : (x > p.hi ? p.hi : x); }
  DS_DEV float d(float x, float, float g, const UnaryParams& p) { return (x >= p.lo && x <= p.hi) ? g : 0.f; }
};
struct Softplus {
  DS_DEV float f(float x, const UnaryParams& p) {
    float bx = p.beta * x;
    return bx > p.threshold ? x : log1pf(expf(bx)) / p.beta;
  }
  DS_DEV float d(float x, float, float g, const UnaryParams& p) {
    float bx = p.beta * x;
    return bx > p.threshold ? g : g / (1.f + expf(-bx));
  }
};
// Exact GELU: x * Phi(x).
struct Gelu {
  DS_DEV float f(float x, const UnaryParams&) { return 0.5f * x * (1.f + erff(x * kInvSqrt2)); }
  DS_DEV float d(float x, float, float g, const UnaryParams&) {
    float cdf = 0.5f * (1.f + erff(x * kInvSqrt2));
    return g * (cdf + x * kInvSqrt2Pi * expf(-0.5f * x * x));
  }
};
struct PowScalar {
  DS_DEV float f(float x, const UnaryParams& p) { return powf(x, p.exponent); }
  DS_DEV float d(float x, float, float g, const UnaryParams& p) {
    return p.exponent == 0.f ? 0.f : g * p.exponent * powf(x, p.exponent - 1.f);
  }
};

#undef DS_DEV

// y = f(x) over n contiguous elements: 16-byte vectors first (when `vec`), then the tail.
template <class F>
__global__ void unary_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, UnaryParams p,
                                     bool vec) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const int64_t tid = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  const int64_t nv = vec ? n / 4 : 0;
  const Vec4<float>* xv = reinterpret_cast<const Vec4<float>*>(x);
  Vec4<float>* yv = reinterpret_cast<Vec4<float>*>(y);
  for (int64_t v = tid; v < nv; v += stride) {
    Vec4<float> a = xv[v], r;
#pragma unroll
    for (int l = 0; l < 4; ++l) r.v[l] = F::f(a.v[l], p);
    yv[v] = r;
  }
  for (int64_t i = nv * 4 + tid; i < n; i += stride) y[i] = F::f(x[i], p);
}

// gx = F::d(x, y, gy); x or y is null when the derivative does not read it (then 0 stands in).
template <class F>
__global__ void unary_backward_kernel(const float* __restrict__ x, const float* __restrict__ y,
                                      const float* __restrict__ g, float* __restrict__ gx, int64_t n, UnaryParams p,
                                      bool vec) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const int64_t tid = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  const int64_t nv = vec ? n / 4 : 0;
  for (int64_t v = tid; v < nv; v += stride) {
    Vec4<float> xs = {{0.f, 0.f, 0.f, 0.f}}, ys = {{0.f, 0.f, 0.f, 0.f}}, r;
    if (x) xs = reinterpret_cast<const Vec4<float>*>(x)[v];
    if (y) ys = reinterpret_cast<const Vec4<float>*>(y)[v];
    Vec4<float> gs = reinterpret_cast<const Vec4<float>*>(g)[v];
#pragma unroll
    for (int l = 0; l < 4; ++l) r.v[l] = F::d(xs.v[l], ys.v[l], gs.v[l], p);
    reinterpret_cast<Vec4<float>*>(gx)[v] = r;
  }
  for (int64_t i = nv * 4 + tid; i < n; i += stride) gx[i] = F::d(x ? x[i] : 0.f, y ? y[i] : 0.f, g[i], p);
}

#define DS_NAME(n) #n,
#define DS_BWD_NAME(n) #n "_backward",
const char* const kUnaryNames[] = {DS_UNARY_OPS(DS_NAME)};
const char* const kUnaryBackwardNames[] = {DS_UNARY_OPS(DS_BWD_NAME)};
const char* const kBinaryNames[] = {DS_BINARY_OPS(DS_NAME)};
#undef DS_NAME
#undef DS_BWD_NAME

template <class F>
struct Fwd {
  static void go(UnaryOp op, const TensorRef& x, const TensorRef& y, const UnaryParams& p) {
    int64_t n = x.numel();
    if (n == 0) return;
    bool vec = aligned16(x.data) && aligned16(y.data);
    int grid = grid_for(vec ? (n + 3) / 4 : n);
    unary_forward_kernel<F><<<grid, kThreads, 0, stream(y.device.index)>>>(x.f32(), y.f32(), n, p, vec);
    check_launch(kUnaryNames[int(op)]);
  }
};

template <class F>
struct Bwd {
  static void go(UnaryOp op, const TensorRef& x, const TensorRef& y, const TensorRef& gy, const TensorRef& gx,
                 const UnaryParams& p) {
    int64_t n = gy.numel();
    if (n == 0) return;
    const float* xs = x.defined ? x.f32() : nullptr;
    const float* ys = y.defined ? y.f32() : nullptr;
    bool vec = aligned16(xs) && aligned16(ys) && aligned16(gy.data) && aligned16(gx.data);
    int grid = grid_for(vec ? (n + 3) / 4 : n);
    unary_backward_kernel<F><<<grid, kThreads, 0, stream(gx.device.index)>>>(xs, ys, gy.f32(), gx.f32(), n, p, vec);
    check_launch(kUnaryBackwardNames[int(op)]);
  }
};

template <template <class> class Run, class... Args>
void dispatch_unary(UnaryOp op, Args&&... args) {
  switch (op) {
    case UnaryOp::neg: return Run<Neg>::go(op, args...);
    case UnaryOp::abs: return Run<Abs>::go(op, args...);
    case UnaryOp::exp: return Run<Exp>::go(op, args...);
    case UnaryOp::log: return Run<Log>::go(op, args...);
    case UnaryOp::sqrt: return Run<Sqrt>::go(op, args...);
    case UnaryOp::rsqrt: return Run<Rsqrt>::go(op, args...);
    case UnaryOp::reciprocal: return Run<Reciprocal>::go(op, args...);
    case UnaryOp::sign: return Run<Sign>::go(op, args...);
    case UnaryOp::sin: return Run<Sin>::go(op, args...);
    case UnaryOp::cos: return Run<Cos>::go(op, args...);
    case UnaryOp::relu: return Run<Relu>::go(op, args...);
    case UnaryOp::leaky_relu: return Run<LeakyRelu>::go(op, args...);
    case UnaryOp::elu: return Run<Elu>::go(op, args...);
    case UnaryOp::sigmoid: return Run<Sigmoid>::go(op, args...);
    case UnaryOp::tanh: return Run<Tanh>::go(op, args...);
    case UnaryOp::hardtanh: return Run<Hardtanh>::go(op, args...);
    case UnaryOp::softplus: return Run<Softplus>::go(op, args...);
    case UnaryOp::gelu: return Run<Gelu>::go(op, args...);
    case UnaryOp::clamp: return Run<Clamp>::go(op, args...);
    case UnaryOp::pow_scalar: return Run<PowScalar>::go(op, args...);
  }
}

// ------------------------------------------------------------------------------------------------ binary

template <BinaryOp OP, class T>
using BinaryOut = std::conditional_t<(int(OP) >= int(BinaryOp::eq)), float, T>;

template <BinaryOp OP, class T>
__device__ __forceinline__ BinaryOut<OP, T> apply(T a, T b) {
  if constexpr (OP == BinaryOp::add) return a + b;
  else if constexpr (OP == BinaryOp::sub) return a - b;
  else if constexpr (OP == BinaryOp::mul) return a * b;
  else if constexpr (OP == BinaryOp::div) return a / b;
  else if constexpr (OP == BinaryOp::pow) return T(pow(double(a), double(b)));
  else if constexpr (OP == BinaryOp::maximum) return a > b || a != a ? a : b;
  else if constexpr (OP == BinaryOp::minimum) return a < b || a != a ? a : b;
  else if constexpr (OP == BinaryOp::eq) return a == b ? 1.f : 0.f;
  else if constexpr (OP == BinaryOp::ne) return a != b ? 1.f : 0.f;
  else if constexpr (OP == BinaryOp::lt) return a < b ? 1.f : 0.f;
  else if constexpr (OP == BinaryOp::le) return a <= b ? 1.f : 0.f;
  else if constexpr (OP == BinaryOp::gt) return a > b ? 1.f : 0.f;
  else return a >= b ? 1.f : 0.f;
}

// out = a op b (or a op scalar where b is null), all of the output's shape, contiguous.
template <BinaryOp OP, class T>
__global__ void binary_same_kernel(const T* __restrict__ a, const T* __restrict__ b, T scalar,
                                   BinaryOut<OP, T>* __restrict__ out, int64_t n, bool vec) {
  using O = BinaryOut<OP, T>;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const int64_t tid = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  const int64_t nv = vec ? n / 4 : 0;
  for (int64_t v = tid; v < nv; v += stride) {
    Vec4<T> x = reinterpret_cast<const Vec4<T>*>(a)[v];
    Vec4<T> y = {{scalar, scalar, scalar, scalar}};
    if (b) y = reinterpret_cast<const Vec4<T>*>(b)[v];
    Vec4<O> r;
#pragma unroll
    for (int l = 0; l < 4; ++l) r.v[l] = apply<OP, T>(x.v[l], y.v[l]);
    reinterpret_cast<Vec4<O>*>(out)[v] = r;
  }
  for (int64_t i = nv * 4 + tid; i < n; i += stride) out[i] = apply<OP, T>(a[i], b ? b[i] : scalar);
}

// out[o] = a[off_a(o)] op b[off_b(o)] (b null: the scalar) by the broadcast plan.
template <BinaryOp OP, class T, class I>
__global__ void binary_broadcast_kernel(const T* __restrict__ a, const T* __restrict__ b, T scalar,
                                        BinaryOut<OP, T>* __restrict__ out, I n, Indexer<2, I> ix) {
  const I stride = I(gridDim.x) * blockDim.x;
  for (I o = I(blockIdx.x) * blockDim.x + threadIdx.x; o < n; o += stride) {
    I off[2];
    ix.offsets(o, off);
    out[o] = apply<OP, T>(a[off[0]], b ? b[off[1]] : scalar);
  }
}

template <BinaryOp OP, class T>
void binary_launch(const TensorRef& a, const TensorRef& b, T scalar, const TensorRef& out) {
  using O = BinaryOut<OP, T>;
  const int64_t n = out.numel();
  if (n == 0) return;
  cudaStream_t s = stream(out.device.index);
  const T* pa = a.ptr<T>();
  const T* pb = b.defined ? b.ptr<T>() : nullptr;
  O* po = out.ptr<O>();
  TensorRef bb = b.defined ? b : TensorRef();
  const TensorRef* ins[2] = {&a, &bb};
  cpu::BroadcastPlan<2> plan(out, ins);
  if (!b.defined)
    for (int d = 0; d < plan.ndim; ++d) plan.strides[1][d] = 0;
  const bool same = plan.ndim == 1 && plan.strides[0][0] == 1 && (!pb || plan.strides[1][0] == 1);
  if (same) {
    bool vec = aligned16(pa) && aligned16(pb) && aligned16(po);
    binary_same_kernel<OP, T><<<grid_for(vec ? (n + 3) / 4 : n), kThreads, 0, s>>>(pa, pb, scalar, po, n, vec);
  } else if (fits32(n, {a.numel(), b.defined ? b.numel() : 1})) {
    binary_broadcast_kernel<OP, T, uint32_t>
        <<<grid_for(n), kThreads, 0, s>>>(pa, pb, scalar, po, uint32_t(n), make_indexer<2, uint32_t>(plan));
  } else {
    binary_broadcast_kernel<OP, T, int64_t>
        <<<grid_for(n), kThreads, 0, s>>>(pa, pb, scalar, po, n, make_indexer<2, int64_t>(plan));
  }
  check_launch(kBinaryNames[int(OP)]);
}

template <class T>
void binary_typed(BinaryOp op, const TensorRef& a, const TensorRef& b, T s, const TensorRef& out) {
  switch (op) {
#define DS_CASE(n) \
  case BinaryOp::n: return binary_launch<BinaryOp::n, T>(a, b, s, out);
    DS_BINARY_OPS(DS_CASE)
#undef DS_CASE
  }
}

bool is_comparison(BinaryOp op) { return int(op) >= int(BinaryOp::eq); }

// ------------------------------------------------------------------------------------------------- where

// out = cond != 0 ? a : b, the three broadcast to out; four-byte elements moved as bits.
template <class C, class I>
__global__ void where_kernel(const C* __restrict__ cond, const uint32_t* __restrict__ a, const uint32_t* __restrict__ b,
                             uint32_t* __restrict__ out, I n, Indexer<3, I> ix) {
  const I stride = I(gridDim.x) * blockDim.x;
  for (I o = I(blockIdx.x) * blockDim.x + threadIdx.x; o < n; o += stride) {
    I off[3];
    ix.offsets(o, off);
    out[o] = cond[off[0]] != C(0) ? a[off[1]] : b[off[2]];
  }
}

template <class C>
void where_launch(const TensorRef& cond, const TensorRef& a, const TensorRef& b, const TensorRef& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const TensorRef* ins[3] = {&cond, &a, &b};
  cpu::BroadcastPlan<3> plan(out, ins);
  cudaStream_t s = stream(out.device.index);
  const C* pc = cond.ptr<C>();
  if (fits32(n, {cond.numel(), a.numel(), b.numel()}))
    where_kernel<C, uint32_t><<<grid_for(n), kThreads, 0, s>>>(pc, a.ptr<uint32_t>(), b.ptr<uint32_t>(),
                                                                out.ptr<uint32_t>(), uint32_t(n),
                                                                make_indexer<3, uint32_t>(plan));
  else
    where_kernel<C, int64_t><<<grid_for(n), kThreads, 0, s>>>(pc, a.ptr<uint32_t>(), b.ptr<uint32_t>(),
                                                               out.ptr<uint32_t>(), n, make_indexer<3, int64_t>(plan));
  check_launch("where");
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
  if (cond.dtype == DType::f32) where_launch<float>(cond, a, b, out);
  else where_launch<int32_t>(cond, a, b, out);
}

}  // namespace ds::cuda

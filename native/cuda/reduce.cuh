// Warp and block reductions for the CUDA kernels. Every combination happens in a fixed order (shuffle-down
// trees inside a warp, then the warps' partials folded in warp order), never through floating-point
// atomics, so a result depends only on the inputs and the launch shape: runs are reproducible.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace ds::cuda {

constexpr unsigned kFullMask = 0xffffffffu;

// Shuffle of the value types the reductions carry (float, double, int32, int64 and pairs of them).
template <class T>
__device__ __forceinline__ T shfl_down(T v, int off) {
  return __shfl_down_sync(kFullMask, v, off);
}
template <class T>
__device__ __forceinline__ T shfl_idx(T v, int lane) {
  return __shfl_sync(kFullMask, v, lane);
}

// Reduces over the 32 lanes of a warp (all lanes must call it); lane 0 gets op(v_0, ..., v_31).
template <class T, class Op>
__device__ __forceinline__ T warp_reduce(T v, Op op) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) v = op(v, shfl_down(v, off));
  return v;
}

// As warp_reduce, with the result given to every lane.
template <class T, class Op>
__device__ __forceinline__ T warp_allreduce(T v, Op op) {
  return shfl_idx(warp_reduce(v, op), 0);
}

// Reduces over a one-dimensional block (blockDim.x a multiple of 32, at most 1024; every thread must call
// it) and gives the result to every thread. `sh` holds 32 values of shared memory; the call begins with a
// barrier, so one buffer serves several reductions in a row.
template <class T, class Op>
__device__ __forceinline__ T block_allreduce(T v, Op op, T* sh) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_reduce(v, op);
  __syncthreads();
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  T r = sh[0];
  for (int w = 1; w < warps; ++w) r = op(r, sh[w]);
  return r;
}

struct SumOp {
  template <class T>
  __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};

// max / min with the CPU's NaN rule: NaN wins and stays.
struct NanMaxOp {
  __device__ __forceinline__ float operator()(float a, float v) const { return (v > a || v != v) && a == a ? v : a; }
};

}  // namespace ds::cuda

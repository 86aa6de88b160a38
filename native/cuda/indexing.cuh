// Shared helpers of the CUDA kernel files: launch configuration for grid-stride loops, the device-side
// form of the CPU's broadcast plan (cpu/broadcast.h) for strided / broadcast operand reads, 16-byte vector
// access, and scratch buffers from the caching allocator.
//
// Index math: a kernel over n outputs is instantiated for 32-bit indices when n (and every operand offset)
// fits, 64-bit otherwise, so the common case pays no 64-bit division.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <initializer_list>
#include <memory>

#include "core/storage.h"
#include "core/tensor_ref.h"
#include "cpu/broadcast.h"
#include "cuda/check.h"

namespace ds::cuda {

constexpr int kThreads = 256;

// The most blocks a grid-stride launch uses: 8192 x 256 threads in flight cover any GPU up to Hopper
// several times over. (The CPU emulator of test/cuda-emu/ sets it tiny, so every loop strides.)
#ifndef DS_CUDA_MAX_BLOCKS
#define DS_CUDA_MAX_BLOCKS 8192
#endif
constexpr int64_t kMaxBlocks = DS_CUDA_MAX_BLOCKS;

// `blocks` limited to [1, kMaxBlocks].
inline int cap_blocks(int64_t blocks) { return int(blocks < 1 ? 1 : (blocks > kMaxBlocks ? kMaxBlocks : blocks)); }

// Blocks for a grid-stride loop over n items with `threads` per block.
inline int grid_for(int64_t n, int threads = kThreads) { return cap_blocks((n + threads - 1) / threads); }

// A scratch buffer on the device, from the caching allocator. Freeing it as soon as the op returns is safe
// although its kernels may still run: every later use of the block is queued on the same in-order stream.
struct Scratch {
  std::shared_ptr<Storage> storage;
  Scratch(Device d, size_t bytes) : storage(Storage::allocate(d, bytes ? bytes : 4)) {}
  template <class T>
  T* as() const { return static_cast<T*>(storage->data()); }
};

// Operand offsets of a broadcast: for output element o (row-major over `shape`), operand k reads element
// sum_d i_d * strides[k][d]. Built from cpu::BroadcastPlan, so adjacent axes are already merged.
template <int N, class I>
struct Indexer {
  int ndim = 1;
  I shape[kMaxDims] = {};
  I strides[N][kMaxDims] = {};

  __device__ __forceinline__ void offsets(I o, I (&off)[N]) const {
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = 0;
    // Unrolled over every possible axis (compile-time indices keep the arrays out of local memory).
#pragma unroll
    for (int d = kMaxDims - 1; d >= 0; --d) {
      if (d < ndim) {
        I i = o % shape[d];
        o /= shape[d];
#pragma unroll
        for (int k = 0; k < N; ++k) off[k] += i * strides[k][d];
      }
    }
  }
};

template <int N, class I>
Indexer<N, I> make_indexer(const cpu::BroadcastPlan<N>& plan) {
  Indexer<N, I> ix;
  ix.ndim = plan.ndim;
  for (int d = 0; d < plan.ndim; ++d) {
    ix.shape[d] = I(plan.shape[d]);
    for (int k = 0; k < N; ++k) ix.strides[k][d] = I(plan.strides[k][d]);
  }
  return ix;
}

// True when every index and offset of the plan (n outputs, operands of in_sizes elements) fits 32 bits.
inline bool fits32(int64_t n, std::initializer_list<int64_t> in_sizes) {
  constexpr int64_t kMax = int64_t(INT32_MAX);
  if (n > kMax) return false;
  for (int64_t s : in_sizes)
    if (s > kMax) return false;
  return true;
}

// Four elements moved as one 16-byte access.
template <class T>
struct alignas(16) Vec4 {
  T v[4];
};

inline bool aligned16(const void* p) { return p == nullptr || (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

}  // namespace ds::cuda

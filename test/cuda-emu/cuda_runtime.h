// A CPU stand-in for the parts of CUDA that native/cuda/*.cu use, so their kernels can run (slowly) on a
// machine without a GPU and be compared with the CPU kernels (test/cuda-emu/check.cpp). Not a CUDA
// implementation: the threads of a block are fibers on one OS thread, blocks run one after another, __shared__
// is a function-static array (shared by the block's threads), __syncthreads is a barrier over the block,
// warp shuffles go through an exchange with a barrier over the warp's 32 lanes. A barrier that not every
// thread reaches (divergent __syncthreads or shuffles) aborts with a message instead of hanging.
// Device memory is host memory. translate.py turns `kernel<<<grid, block, smem, stream>>>(args)` into
// `::emu::launch(grid, block, [&] { kernel(args); })`.
#pragma once
#include <math.h>
#include <ucontext.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <functional>
#include <memory>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
// Kernel files use this to pick the emulations of inline PTX (cuda/gemm.cuh: TF32 rounding and mma).
#define DS_CUDA_EMULATOR 1

using std::max;
using std::min;

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline dim3 threadIdx, blockIdx, blockDim, gridDim;

typedef void* cudaStream_t;
enum cudaError_t { cudaSuccess = 0, cudaErrorUnknown = 999 };
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
inline const char* cudaGetErrorString(cudaError_t) { return "emulated error"; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t n, cudaMemcpyKind, cudaStream_t) {
  std::memmove(dst, src, n);
  return cudaSuccess;
}

namespace emu {

// The threads of one block are fibers (ucontext) run by one OS thread: each runs until it finishes or
// waits at a barrier (the block's, or its warp's for a shuffle); a barrier releases its waiters when every
// participant has arrived. No runnable fiber while some are unfinished means a divergent barrier.
struct Fiber {
  ucontext_t ctx;
  std::unique_ptr<char[]> stack;
  enum State { runnable, waiting, done } state = runnable;
  int key = -1;  // what it waits on: -1 the block barrier, w >= 0 the barrier of warp w
};

constexpr size_t kStack = 256 << 10;

struct Block {
  std::vector<Fiber> fibers;
  std::vector<int> arrived;  // [0]: block barrier, [1 + w]: warp w
  int n = 0, current = 0;
  ucontext_t main;
  const std::function<void()>* body = nullptr;
  unsigned char slot[1024][16];  // shuffle exchange, one slot per thread
  float mma[1024][6];            // mma fragments (a0..a3, b0, b1), one slot per thread
};

inline Block& block() {
  static Block b;
  return b;
}

inline void set_thread_index(int t) {
  threadIdx = dim3(t % blockDim.x, (t / blockDim.x) % blockDim.y, t / (blockDim.x * blockDim.y));
}

inline void fiber_entry() {
  Block& b = block();
  (*b.body)();
  b.fibers[size_t(b.current)].state = Fiber::done;
}

// Waits until every participant of `key` (-1: the block, w: warp w) has arrived.
inline void barrier(int key, const char* what) {
  Block& b = block();
  int participants = key < 0 ? b.n : std::min(32, b.n - 32 * key);
  int& count = b.arrived[size_t(key + 1)];
  Fiber& me = b.fibers[size_t(b.current)];
  if (++count == participants) {
    count = 0;
    for (auto& f : b.fibers)
      if (f.state == Fiber::waiting && f.key == key) f.state = Fiber::runnable;
    return;
  }
  me.state = Fiber::waiting;
  me.key = key;
  (void)what;
  swapcontext(&me.ctx, &b.main);
}

template <class F>
void launch(dim3 grid, dim3 block_dim, F&& body) {
  const int n = int(block_dim.x * block_dim.y * block_dim.z);
  if (n <= 0 || n > 1024 || grid.x == 0 || grid.y == 0 || grid.z == 0) {
    std::fprintf(stderr, "emulator: bad launch configuration\n");
    std::abort();
  }
  Block& b = block();
  const std::function<void()> fn = body;
  b.body = &fn;
  b.n = n;
  if (b.fibers.size() < size_t(n)) b.fibers.resize(size_t(n));
  b.arrived.assign(size_t(2 + n / 32), 0);
  blockDim = block_dim;
  gridDim = grid;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        blockIdx = dim3(bx, by, bz);
        for (int t = 0; t < n; ++t) {
          Fiber& f = b.fibers[size_t(t)];
          if (!f.stack) f.stack.reset(new char[kStack]);
          getcontext(&f.ctx);
          f.ctx.uc_stack.ss_sp = f.stack.get();
          f.ctx.uc_stack.ss_size = kStack;
          f.ctx.uc_link = &b.main;
          makecontext(&f.ctx, fiber_entry, 0);
          f.state = Fiber::runnable;
          f.key = -1;
        }
        int finished = 0;
        while (finished < n) {
          bool progress = false;
          finished = 0;
          for (int t = 0; t < n; ++t) {
            Fiber& f = b.fibers[size_t(t)];
            if (f.state == Fiber::done) {
              ++finished;
              continue;
            }
            if (f.state != Fiber::runnable) continue;
            b.current = t;
            set_thread_index(t);
            swapcontext(&b.main, &f.ctx);
            progress = true;
          }
          if (!progress && finished < n) {
            std::fprintf(stderr, "emulator: threads wait at a barrier that the others never reach (divergence)\n");
            std::abort();
          }
        }
      }
  b.body = nullptr;
}

template <class T>
T shfl(T v, int src_or_delta, bool absolute) {
  static_assert(sizeof(T) <= 16, "shuffle of a large type");
  Block& b = block();
  const int t = b.current, lane = t % 32, warp = t / 32;
  std::memcpy(b.slot[t], &v, sizeof(T));
  barrier(warp, "warp shuffle");
  int src = absolute ? src_or_delta : lane + src_or_delta;
  T r = v;
  if (src >= 0 && src < 32 && warp * 32 + src < b.n) std::memcpy(&r, b.slot[warp * 32 + src], sizeof(T));
  barrier(warp, "warp shuffle");
  return r;
}

inline std::mutex atomic_mu;

// cvt.rna.tf32.f32: round to 10 mantissa bits, to nearest with ties away from zero (NaN and inf kept).
inline float tf32(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
  std::memcpy(&x, &u, 4);
  return x;
}

// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 with d as accumulator, over the warp's fragments
// (layout in cuda/gemm.cuh): every lane deposits its fragments, then computes its four outputs in FP32
// from everyone's (products of TF32 values are exact in FP32; the sum runs in k order).
inline void mma_m16n8k8(float (&d)[4], const float (&a)[4], const float (&b)[2]) {
  Block& bl = block();
  const int t = bl.current, lane = t % 32, warp = t / 32;
  for (int r = 0; r < 4; ++r) bl.mma[t][r] = a[r];
  bl.mma[t][4] = b[0];
  bl.mma[t][5] = b[1];
  barrier(warp, "mma");
  const float(*w)[6] = bl.mma + warp * 32;
  const int g = lane / 4, q = lane % 4;
  for (int r = 0; r < 4; ++r) {
    const int row = g + 8 * (r / 2), col = 2 * q + r % 2;
    float s = d[r];
    for (int k = 0; k < 8; ++k) s += w[4 * (row % 8) + k % 4][row / 8 + 2 * (k / 4)] * w[4 * col + k % 4][4 + k / 4];
    d[r] = s;
  }
  barrier(warp, "mma");
}

}  // namespace emu

inline void __syncthreads() { emu::barrier(-1, "__syncthreads"); }

template <class T>
T __shfl_down_sync(unsigned, T v, unsigned delta, int = 32) {
  return emu::shfl(v, int(delta), false);
}
template <class T>
T __shfl_sync(unsigned, T v, int src, int = 32) {
  return emu::shfl(v, src, true);
}

inline unsigned long long atomicMin(unsigned long long* p, unsigned long long v) {
  std::lock_guard<std::mutex> lock(emu::atomic_mu);
  unsigned long long old = *p;
  if (v < old) *p = v;
  return old;
}

inline float __int_as_float(int i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }

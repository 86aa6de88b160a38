// The tiled GEMM behind matmul, linear and the implicit-GEMM convolutions: C[z] (M x N) = A[z] (M x K) ·
// B[z] (K x N) for z < batch, float32 in and out.
//
// A problem type says where the operands and the result live, so one main loop serves plain matrices and
// convolutions (whose A or B is gathered from the image on the fly, no im2col buffer):
//   int M, N, K, batch;
//   static constexpr bool kAContigM, kBContigN;   // the operand index that is contiguous in memory: the
//                                                  // tile loads put consecutive threads along it
//   Operands operands(int z) const;  // .a(m, k), .b(k, n): element values (0 for padding); called only
//                                    // in range, so they need no bounds checks of M, N, K
//   Output output(int z) const;      // .store(m, n, v): the epilogue (bias, layout of C)
//
// Algorithm: a block of 256 threads computes a BM x BN tile of C, stepping through K in slices of BK.
// Each slice of A (BM x BK) and B (BK x BN) goes global -> registers -> shared memory ([k][m] and [k][n],
// rows padded by 8 floats), two stages deep: while the block multiplies slice s from one stage, each thread
// already holds slice s + 1 in registers and stores it to the other stage, so one barrier per slice
// suffices. The multiply is either
//  - FP32 exact (FfmaMath): 16 x 16 threads, each a TM x TN register block (8 x 8 for 128 x 128 tiles,
//    4 x 4 for 64 x 64), in two row and two column groups half a tile apart, read as 16-byte vectors; or
//  - TF32 tensor cores (MmaMath, sm_80+, opt-in with DEEPSCOPE_CUDA_TF32=1): 8 warps as 2 x 4, each a
//    64 x 32 warp tile of 4 x 4 mma.sync.m16n8k8 tiles; operands are rounded to TF32 (round to nearest,
//    ties away) when stored to shared memory; accumulation stays FP32.
// When the tiles alone cannot fill the GPU and K is long (weight gradients: K = batch x pixels), K is split
// into chunks whose partial products go to a scratch buffer; a second kernel sums them in chunk order and
// applies the epilogue. No atomics: results are reproducible run to run on a given GPU.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#include "cuda/check.h"
#include "cuda/indexing.cuh"

namespace ds::cuda::gemm {

constexpr int kGemmThreads = 256;

template <int BM_, int BN_, int BK_, bool kTf32_>
struct Cfg {
  static constexpr int BM = BM_, BN = BN_, BK = BK_;
  static constexpr bool kTf32 = kTf32_;
  // 8 floats of padding: 16-byte aligned rows, and the mma fragment reads (rows k..k+3, columns m..m+7)
  // hit 32 different banks.
  static constexpr int kPad = 8;
};
using Big = Cfg<128, 128, 8, false>;
using Small = Cfg<64, 64, 16, false>;
using Tf32 = Cfg<128, 128, 16, true>;

// TF32 of x: round to nearest with ties away from zero on the 10 kept mantissa bits (cvt.rna.tf32.f32).
__device__ __forceinline__ float to_tf32(float x) {
#if defined(DS_CUDA_EMULATOR)
  return emu::tf32(x);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return __uint_as_float(r);
#else
  return x;  // never used: the host picks the TF32 path only on sm_80 and newer
#endif
}

// d += a · b on one 16 x 8 x 8 tile; fragments as in the PTX ISA (lane = 4 · group + t):
// a = A(g, t), A(g + 8, t), A(g, t + 4), A(g + 8, t + 4); b = B(t, g), B(t + 4, g);
// d = D(g, 2t), D(g, 2t + 1), D(g + 8, 2t), D(g + 8, 2t + 1).
__device__ __forceinline__ void mma_tf32(float (&d)[4], const float (&a)[4], const float (&b)[2]) {
#if defined(DS_CUDA_EMULATOR)
  emu::mma_m16n8k8(d, a, b);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(__float_as_uint(a[0])), "r"(__float_as_uint(a[1])), "r"(__float_as_uint(a[2])), "r"(__float_as_uint(a[3])),
        "r"(__float_as_uint(b[0])), "r"(__float_as_uint(b[1])));
#elif defined(__CUDA_ARCH__)
  __trap();  // the host never picks the TF32 path below sm_80
#endif
}

template <class C>
struct Smem {
  alignas(16) float a[2][C::BK][C::BM + C::kPad];
  alignas(16) float b[2][C::BK][C::BN + C::kPad];
};

// Global -> registers -> shared memory for one K slice of both operands.
template <class C, class Ops, bool kAContigM, bool kBContigN>
struct Loader {
  static constexpr int kA = C::BM * C::BK / kGemmThreads, kB = C::BN * C::BK / kGemmThreads;
  float ra[kA], rb[kB];

  __device__ __forceinline__ static void a_at(int e, int& m, int& k) {
    if (kAContigM) m = e % C::BM, k = e / C::BM;
    else k = e % C::BK, m = e / C::BK;
  }
  __device__ __forceinline__ static void b_at(int e, int& k, int& n) {
    if (kBContigN) n = e % C::BN, k = e / C::BN;
    else k = e % C::BK, n = e / C::BK;
  }
  __device__ __forceinline__ void fetch(const Ops& ops, int M, int N, int m0, int n0, int k0, int kend) {
#pragma unroll
    for (int i = 0; i < kA; ++i) {
      int m, k;
      a_at(int(threadIdx.x) + i * kGemmThreads, m, k);
      ra[i] = (m0 + m < M && k0 + k < kend) ? ops.a(m0 + m, k0 + k) : 0.f;
    }
#pragma unroll
    for (int i = 0; i < kB; ++i) {
      int k, n;
      b_at(int(threadIdx.x) + i * kGemmThreads, k, n);
      rb[i] = (n0 + n < N && k0 + k < kend) ? ops.b(k0 + k, n0 + n) : 0.f;
    }
  }
  __device__ __forceinline__ void put(Smem<C>& s, int stage) const {
#pragma unroll
    for (int i = 0; i < kA; ++i) {
      int m, k;
      a_at(int(threadIdx.x) + i * kGemmThreads, m, k);
      s.a[stage][k][m] = C::kTf32 ? to_tf32(ra[i]) : ra[i];
    }
#pragma unroll
    for (int i = 0; i < kB; ++i) {
      int k, n;
      b_at(int(threadIdx.x) + i * kGemmThreads, k, n);
      s.b[stage][k][n] = C::kTf32 ? to_tf32(rb[i]) : rb[i];
    }
  }
};

// FP32: thread (ty, tx) of 16 x 16 owns rows g·(BM/G) + 4·ty + r (g < G = TM/4, r < 4), likewise columns,
// so each group is one 16-byte read per k and a warp's reads are broadcasts or consecutive.
template <class C>
struct FfmaMath {
  static constexpr int TM = C::BM / 16, TN = C::BN / 16;
  float acc[TM][TN];

  __device__ __forceinline__ FfmaMath() {
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
      for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;
  }
  __device__ __forceinline__ static int row(int i) { return (i / 4) * (C::BM * 4 / TM) + int(threadIdx.x / 16) * 4 + i % 4; }
  __device__ __forceinline__ static int col(int j) { return (j / 4) * (C::BN * 4 / TN) + int(threadIdx.x % 16) * 4 + j % 4; }

  __device__ __forceinline__ void step(const Smem<C>& s, int stage) {
#pragma unroll
    for (int k = 0; k < C::BK; ++k) {
      float a[TM], b[TN];
#pragma unroll
      for (int g = 0; g < TM / 4; ++g) {
        const Vec4<float> v = *reinterpret_cast<const Vec4<float>*>(&s.a[stage][k][row(4 * g)]);
#pragma unroll
        for (int r = 0; r < 4; ++r) a[4 * g + r] = v.v[r];
      }
#pragma unroll
      for (int g = 0; g < TN / 4; ++g) {
        const Vec4<float> v = *reinterpret_cast<const Vec4<float>*>(&s.b[stage][k][col(4 * g)]);
#pragma unroll
        for (int r = 0; r < 4; ++r) b[4 * g + r] = v.v[r];
      }
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
  }
  template <class F>
  __device__ __forceinline__ void each(F&& f) const {
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
      for (int j = 0; j < TN; ++j) f(row(i), col(j), acc[i][j]);
  }
};

// TF32: warp w is at rows 64·(w / 4), columns 32·(w % 4) of the 128 x 128 tile.
template <class C>
struct MmaMath {
  static_assert(C::BM == 128 && C::BN == 128 && C::BK % 8 == 0, "MmaMath: 128 x 128 tiles");
  static constexpr int MI = 4, NI = 4;
  float acc[MI][NI][4];

  __device__ __forceinline__ MmaMath() {
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
      for (int j = 0; j < NI; ++j)
#pragma unroll
        for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.f;
  }
  __device__ __forceinline__ static int wm() { return int(threadIdx.x / 32) / 4 * 64; }
  __device__ __forceinline__ static int wn() { return int(threadIdx.x / 32) % 4 * 32; }

  __device__ __forceinline__ void step(const Smem<C>& s, int stage) {
    const int g = int(threadIdx.x % 32) / 4, t = int(threadIdx.x % 4);
#pragma unroll
    for (int kk = 0; kk < C::BK; kk += 8) {
      float a[MI][4], b[NI][2];
#pragma unroll
      for (int i = 0; i < MI; ++i) {
        const int m = wm() + 16 * i + g;
        a[i][0] = s.a[stage][kk + t][m];
        a[i][1] = s.a[stage][kk + t][m + 8];
        a[i][2] = s.a[stage][kk + t + 4][m];
        a[i][3] = s.a[stage][kk + t + 4][m + 8];
      }
#pragma unroll
      for (int j = 0; j < NI; ++j) {
        const int n = wn() + 8 * j + g;
        b[j][0] = s.b[stage][kk + t][n];
        b[j][1] = s.b[stage][kk + t + 4][n];
      }
#pragma unroll
      for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j) mma_tf32(acc[i][j], a[i], b[j]);
    }
  }
  template <class F>
  __device__ __forceinline__ void each(F&& f) const {
    const int g = int(threadIdx.x % 32) / 4, t = int(threadIdx.x % 4);
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
      for (int j = 0; j < NI; ++j)
#pragma unroll
        for (int r = 0; r < 4; ++r) f(wm() + 16 * i + g + 8 * (r / 2), wn() + 8 * j + 2 * t + r % 2, acc[i][j][r]);
  }
};

template <class C>
using MathFor = typename std::conditional<C::kTf32, MmaMath<C>, FfmaMath<C>>::type;

// Partial products of split K: chunk s of batch entry z goes to ws[((z · splits + s) · M + m) · N + n].
struct PartialOut {
  float* ws;
  int64_t base, N;
  __device__ __forceinline__ void store(int m, int n, float v) const { ws[base + int64_t(m) * N + n] = v; }
};

// Block (blockIdx.x = tile, blockIdx.z = (batch entry, K chunk) pairs in a grid-stride loop).
template <class C, class P>
__global__ void __launch_bounds__(kGemmThreads) gemm_kernel(P p, int splits, int kchunk, float* ws) {
  __shared__ Smem<C> s;
  const int ntn = (p.N + C::BN - 1) / C::BN;
  const int m0 = int(blockIdx.x) / ntn * C::BM, n0 = int(blockIdx.x) % ntn * C::BN;
  const int pairs = p.batch * splits;
  for (int zz = int(blockIdx.z); zz < pairs; zz += int(gridDim.z)) {
    const int z = zz / splits, kbeg = zz % splits * kchunk;
    const int kend = min(p.K, kbeg + kchunk);
    const auto ops = p.operands(z);
    Loader<C, decltype(ops), P::kAContigM, P::kBContigN> ld;
    MathFor<C> math;
    ld.fetch(ops, p.M, p.N, m0, n0, kbeg, kend);
    ld.put(s, 0);
    __syncthreads();
    int stage = 0;
    for (int k0 = kbeg; k0 < kend; k0 += C::BK) {
      const bool more = k0 + C::BK < kend;
      if (more) ld.fetch(ops, p.M, p.N, m0, n0, k0 + C::BK, kend);
      math.step(s, stage);
      if (more) ld.put(s, stage ^ 1);
      __syncthreads();
      stage ^= 1;
    }
    auto write = [&](const auto& out) {
      math.each([&](int m, int n, float v) {
        if (m0 + m < p.M && n0 + n < p.N) out.store(m0 + m, n0 + n, v);
      });
    };
    if (splits == 1) write(p.output(z));
    else write(PartialOut{ws, int64_t(zz) * p.M * p.N, p.N});
  }
}

// Sums the chunks of each output in chunk order and applies the epilogue.
template <class P>
__global__ void reduce_partials(P p, int splits, const float* __restrict__ ws) {
  const int64_t per = int64_t(p.M) * p.N, total = per * p.batch;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < total; o += stride) {
    const int64_t z = o / per, mn = o % per;
    float sum = 0.f;
    for (int s = 0; s < splits; ++s) sum += ws[(z * splits + s) * per + mn];
    p.output(int(z)).store(int(mn / p.N), int(mn % p.N), sum);
  }
}

// True when the user asked for TF32 (DEEPSCOPE_CUDA_TF32=1) and the device has TF32 tensor cores.
inline bool tf32_enabled(int device) {
  const char* v = std::getenv("DEEPSCOPE_CUDA_TF32");
  return v && v[0] == '1' && v[1] == 0 && compute_capability(device) >= 80;
}

template <class C, class P>
void launch_cfg(const P& p, int device, const char* name) {
  const int64_t tiles = int64_t((p.M + C::BM - 1) / C::BM) * ((p.N + C::BN - 1) / C::BN);
  const int sms = multiprocessors(device);
  // Split K when fewer than half the multiprocessors would get a tile and each chunk still holds at
  // least 32 slices; the partials buffer stays under 64 M floats.
  int splits = 1;
  const int64_t slices = (p.K + C::BK - 1) / C::BK;
  if (tiles * p.batch * 2 < sms && slices >= 64) {
    int64_t want = (sms + tiles * p.batch - 1) / (tiles * p.batch);
    want = std::min<int64_t>({want, slices / 32, 64, (int64_t(64) << 20) / (int64_t(p.M) * p.N * p.batch)});
    splits = int(std::max<int64_t>(want, 1));
  }
  const int kchunk = int((slices + splits - 1) / splits) * C::BK;
  splits = kchunk ? int((p.K + kchunk - 1) / kchunk) : 1;
  cudaStream_t st = stream(device);
  const unsigned zs = unsigned(std::min<int64_t>(int64_t(p.batch) * splits, 65535));
  if (splits == 1) {
    gemm_kernel<C, P><<<dim3(unsigned(tiles), 1, zs), kGemmThreads, 0, st>>>(p, 1, kchunk, nullptr);
    check_launch(name);
    return;
  }
  Scratch ws(Device{DeviceType::CUDA, device}, size_t(p.batch) * splits * p.M * p.N * sizeof(float));
  gemm_kernel<C, P><<<dim3(unsigned(tiles), 1, zs), kGemmThreads, 0, st>>>(p, splits, kchunk, ws.as<float>());
  check_launch(name);
  reduce_partials<P><<<grid_for(int64_t(p.M) * p.N * p.batch), kThreads, 0, st>>>(p, splits, ws.as<float>());
  check_launch(name);
}

// Runs problem p on device's stream: TF32 when enabled and the product is large enough to matter, else
// 128 x 128 tiles when they fill the GPU, else 64 x 64 tiles.
template <class P>
void run(const P& p, int device, const char* name) {
  if (p.M <= 0 || p.N <= 0 || p.batch <= 0) return;
  const double flops = 2.0 * p.M * p.N * double(p.K) * p.batch;
  if (flops >= double(1 << 22) && tf32_enabled(device)) return launch_cfg<Tf32>(p, device, name);
  const int64_t big = int64_t((p.M + 127) / 128) * ((p.N + 127) / 128) * p.batch;
  if (big >= multiprocessors(device)) return launch_cfg<Big>(p, device, name);
  launch_cfg<Small>(p, device, name);
}

}  // namespace ds::cuda::gemm

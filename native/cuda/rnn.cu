// CUDA recurrent layers: the CPU kernel's structure (cpu/rnn.cpp; layout and workspace in ops/rnn.h) on
// the device. Per layer and direction:
//   forward:  one GEMM projects the inputs of all T steps ([T*B, I] · W_ihᵀ, bias pre-filled); per step a
//             recurrent GEMM ([B, H] · W_hhᵀ) and one fused gate kernel (one thread per sequence and unit,
//             the same per-unit math as the CPU, ops/rnn_gates.h) writing the states, saved gates and y.
//   backward: per step, in reverse, one kernel adds the output gradient, one runs the fused gate
//             derivative, and a GEMM carries dh through W_hh; the weight and input gradients are then
//             one GEMM each over all steps, the bias gradients column sums in a fixed order.
// The GEMM is a plain 16x16 shared-memory tiled kernel (no cuBLAS), enough for the per-step products,
// which are small and latency-bound; a persistent kernel holding W_hh on chip is the next step.
#include <cstdint>
#include <utility>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/indexing.cuh"
#include "ops/rnn.h"
#include "ops/rnn_gates.h"

namespace ds::cuda {
namespace {

constexpr int kTile = 16;

// C[M, N] = alpha · op(A)[M, K] · op(B)[K, N] + beta · C (C not read when beta == 0). Row-major with
// leading dimensions as cpu/gemm.h. A 16x16 block computes a 16x16 tile of C, striding over tiles.
__global__ void gemm_kernel(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* __restrict__ A,
                            int64_t lda, const float* __restrict__ B, int64_t ldb, float beta, float* __restrict__ C,
                            int64_t ldc) {
  __shared__ float As[kTile][kTile + 1];
  __shared__ float Bs[kTile][kTile + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (int64_t r0 = int64_t(blockIdx.y) * kTile; r0 < M; r0 += int64_t(gridDim.y) * kTile) {
    for (int64_t c0 = int64_t(blockIdx.x) * kTile; c0 < N; c0 += int64_t(gridDim.x) * kTile) {
      const int64_t row = r0 + ty, col = c0 + tx;
      float acc = 0.f;
      for (int64_t k0 = 0; k0 < K; k0 += kTile) {
        const int64_t ka = k0 + tx, kb = k0 + ty;
        As[ty][tx] = row < M && ka < K ? (ta ? A[ka * lda + row] : A[row * lda + ka]) : 0.f;
        Bs[ty][tx] = kb < K && col < N ? (tb ? B[col * ldb + kb] : B[kb * ldb + col]) : 0.f;
        __syncthreads();
        for (int k = 0; k < kTile; ++k) acc += As[ty][k] * Bs[k][tx];
        __syncthreads();
      }
      if (row < M && col < N) C[row * ldc + col] = beta == 0.f ? alpha * acc : alpha * acc + beta * C[row * ldc + col];
    }
  }
}

void gemm(cudaStream_t st, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  const dim3 grid(unsigned(cap_blocks((N + kTile - 1) / kTile)), unsigned(cap_blocks((M + kTile - 1) / kTile)));
  gemm_kernel<<<grid, dim3(kTile, kTile), 0, st>>>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  check_launch("rnn gemm");
}

// out [rows, n] := bias broadcast over the rows, or zeros.
__global__ void fill_rows_kernel(float* __restrict__ out, int64_t rows, int64_t n, const float* __restrict__ bias) {
  const int64_t total = rows * n;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = bias ? bias[i % n] : 0.f;
}

void fill_rows(cudaStream_t st, float* out, int64_t rows, int64_t n, const float* bias) {
  fill_rows_kernel<<<grid_for(rows * n), kThreads, 0, st>>>(out, rows, n, bias);
  check_launch("rnn fill");
}

__device__ __forceinline__ bool active(const int32_t* len, int64_t b, int64_t t) { return !len || t < len[b]; }

// One forward step: thread (b, j) computes unit j of sequence b; a finished sequence keeps its state and
// outputs zero.
__global__ void step_forward_kernel(RnnMode mode, int64_t B, int64_t H, int64_t G, int64_t D, int64_t t, int64_t d,
                                    const int32_t* __restrict__ len, const float* __restrict__ pre,
                                    const float* __restrict__ hh, const float* __restrict__ hp,
                                    const float* __restrict__ cp, float* __restrict__ hnx, float* __restrict__ cnx,
                                    float* __restrict__ gs, float* __restrict__ y) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < B * H; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = i / H, j = i % H;
    float* yb = y + (t * B + b) * D * H + d * H;
    if (!active(len, b, t)) {
      hnx[i] = hp[i];
      if (cnx) cnx[i] = cp[i];
      if (gs)
        for (int k = 0; k < 4; ++k) gs[b * 4 * H + k * H + j] = 0.f;
      yb[j] = 0.f;
      continue;
    }
    rnn_unit_forward(mode, H, j, pre + b * G * H, hh + b * G * H, hp[i], cp ? cp[i] : 0.f, hnx + i,
                     cnx ? cnx + i : nullptr, gs ? gs + b * 4 * H : nullptr);
    yb[j] = hnx[i];
  }
}

// dht = dh + the output gradient of step t (zero past a sequence's end).
__global__ void add_dy_kernel(int64_t B, int64_t H, int64_t D, int64_t t, int64_t d, const int32_t* __restrict__ len,
                              const float* __restrict__ dh, const float* __restrict__ dy, float* __restrict__ dht) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < B * H; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = i / H, j = i % H;
    dht[i] = dh[i] + (active(len, b, t) ? dy[(t * B + b) * D * H + d * H + j] : 0.f);
  }
}

// One backward step: gate gradients gi / gh [B, G*H], dc updated in place, dh := the part of the previous
// h's gradient not flowing through W_hh (all of it past a sequence's end).
__global__ void step_backward_kernel(RnnMode mode, int64_t B, int64_t H, int64_t G, int64_t t,
                                     const int32_t* __restrict__ len, const float* __restrict__ dht,
                                     float* __restrict__ dc, const float* __restrict__ hp,
                                     const float* __restrict__ hc, const float* __restrict__ cp,
                                     const float* __restrict__ cc, const float* __restrict__ gs,
                                     float* __restrict__ gi, float* __restrict__ gh, float* __restrict__ dh) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < B * H; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = i / H, j = i % H;
    float* gib = gi + b * G * H;
    float* ghb = gh + b * G * H;
    if (!active(len, b, t)) {
      for (int64_t k = 0; k < G; ++k) gib[k * H + j] = ghb[k * H + j] = 0.f;
      dh[i] = dht[i];
      continue;
    }
    dh[i] = rnn_unit_backward(mode, H, j, dht[i], dc ? dc + i : nullptr, hc[i], hp[i], cp ? cp[i] : 0.f,
                              cc ? cc[i] : 0.f, gs ? gs + b * 4 * H : nullptr, gib, ghb);
  }
}

// db[j] = Σ_r g[r, j], one thread per column summing its rows in order (deterministic).
__global__ void column_sums_kernel(const float* __restrict__ g, int64_t rows, int64_t n, float* __restrict__ db) {
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += int64_t(gridDim.x) * blockDim.x) {
    double s = 0;
    for (int64_t r = 0; r < rows; ++r) s += g[r * n + j];
    db[j] = float(s);
  }
}

void copy(cudaStream_t st, float* dst, const float* src, int64_t n) {
  check(cudaMemcpyAsync(dst, src, size_t(n) * sizeof(float), cudaMemcpyDeviceToDevice, st), "rnn copy");
}

}  // namespace

void rnn_forward(const TensorRef& x, const TensorRef& h0, const TensorRef& c0, const TensorRef& lengths,
                 const TensorRef* weights, const TensorRef& y, const TensorRef& hn, const TensorRef& cn,
                 const TensorRef& ws, const RnnParams& p) {
  const int64_t T = x.shape[0], B = x.shape[1], H = p.hidden, G = p.gates(), D = p.dirs(), L = p.layers;
  const bool lstm = p.mode == RnnMode::Lstm;
  const int32_t* len = lengths.defined ? lengths.i32() : nullptr;
  cudaStream_t st = stream(x.device.index);
  Scratch pre(x.device, size_t(T * B * G * H) * sizeof(float)), hh(x.device, size_t(B * G * H) * sizeof(float));
  for (int64_t l = 0; l < L; ++l) {
    const float* X = l ? p.slot(ws.f32(), T, B, l - 1, 0).y : x.f32();
    const int64_t in = l ? D * H : x.shape[2];
    for (int64_t d = 0; d < D; ++d) {
      const TensorRef* w = weights + (l * D + d) * p.weights_per_dir();
      const RnnSlot sl = p.slot(ws.f32(), T, B, l, d);
      const int64_t state = (l * D + d) * B * H;
      // Absent initial states are zeros.
      if (h0.defined) copy(st, sl.h, h0.f32() + state, B * H);
      else fill_rows(st, sl.h, 1, B * H, nullptr);
      if (lstm && c0.defined) copy(st, sl.c, c0.f32() + state, B * H);
      else if (lstm) fill_rows(st, sl.c, 1, B * H, nullptr);
      fill_rows(st, pre.as<float>(), T * B, G * H, p.bias ? w[2].f32() : nullptr);
      gemm(st, false, true, T * B, G * H, in, 1.f, X, in, w[0].f32(), in, 1.f, pre.as<float>(), G * H);
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = rnn_time(s, T, d);
        fill_rows(st, hh.as<float>(), B, G * H, p.bias ? w[3].f32() : nullptr);
        gemm(st, false, true, B, G * H, H, 1.f, sl.h + s * B * H, H, w[1].f32(), H, 1.f, hh.as<float>(), G * H);
        step_forward_kernel<<<grid_for(B * H), kThreads, 0, st>>>(
            p.mode, B, H, G, D, t, d, len, pre.as<float>() + t * B * G * H, hh.as<float>(), sl.h + s * B * H,
            lstm ? sl.c + s * B * H : nullptr, sl.h + (s + 1) * B * H, lstm ? sl.c + (s + 1) * B * H : nullptr,
            sl.gates ? sl.gates + s * B * 4 * H : nullptr, sl.y);
        check_launch("rnn_forward step");
      }
      copy(st, hn.f32() + state, sl.h + T * B * H, B * H);
      if (lstm) copy(st, cn.f32() + state, sl.c + T * B * H, B * H);
    }
  }
  copy(st, y.f32(), p.slot(ws.f32(), T, B, L - 1, 0).y, T * B * D * H);
}

void rnn_backward(const TensorRef& x, const TensorRef& lengths, const TensorRef& ws, const TensorRef& dy,
                  const TensorRef& dhn, const TensorRef& dcn, const TensorRef* weights, const TensorRef& dx,
                  const TensorRef& dh0, const TensorRef& dc0, const TensorRef* dweights, const RnnParams& p) {
  const int64_t T = x.shape[0], B = x.shape[1], H = p.hidden, G = p.gates(), D = p.dirs(), L = p.layers;
  const bool lstm = p.mode == RnnMode::Lstm;
  const int32_t* len = lengths.defined ? lengths.i32() : nullptr;
  cudaStream_t st = stream(x.device.index);
  const Device dev = x.device;
  // Output gradient of the current layer and input gradient of the one below, swapped between layers.
  Scratch dyl(dev, size_t(T * B * D * H) * sizeof(float)), dxl(dev, size_t(T * B * D * H) * sizeof(float));
  Scratch gih(dev, size_t(T * B * G * H) * sizeof(float)), ghh(dev, size_t(T * B * G * H) * sizeof(float));
  Scratch dh(dev, size_t(B * H) * sizeof(float)), dht(dev, size_t(B * H) * sizeof(float)), dc(dev, size_t(B * H) * sizeof(float));
  float* dY = dyl.as<float>();
  float* dXl = dxl.as<float>();
  copy(st, dY, dy.f32(), T * B * D * H);
  for (int64_t l = L - 1; l >= 0; --l) {
    const float* X = l ? p.slot(ws.f32(), T, B, l - 1, 0).y : x.f32();
    const int64_t in = l ? D * H : x.shape[2];
    float* dX = l ? dXl : dx.f32();
    for (int64_t d = 0; d < D; ++d) {
      const TensorRef* w = weights + (l * D + d) * p.weights_per_dir();
      const TensorRef* dw = dweights + (l * D + d) * p.weights_per_dir();
      const RnnSlot sl = p.slot(ws.f32(), T, B, l, d);
      const int64_t state = (l * D + d) * B * H;
      copy(st, dh.as<float>(), dhn.f32() + state, B * H);
      if (lstm) copy(st, dc.as<float>(), dcn.f32() + state, B * H);
      for (int64_t s = T - 1; s >= 0; --s) {
        const int64_t t = rnn_time(s, T, d);
        float* gi = gih.as<float>() + t * B * G * H;
        float* gh = ghh.as<float>() + s * B * G * H;
        add_dy_kernel<<<grid_for(B * H), kThreads, 0, st>>>(B, H, D, t, d, len, dh.as<float>(), dY, dht.as<float>());
        check_launch("rnn_backward dy");
        step_backward_kernel<<<grid_for(B * H), kThreads, 0, st>>>(
            p.mode, B, H, G, t, len, dht.as<float>(), lstm ? dc.as<float>() : nullptr, sl.h + s * B * H,
            sl.h + (s + 1) * B * H, lstm ? sl.c + s * B * H : nullptr, lstm ? sl.c + (s + 1) * B * H : nullptr,
            sl.gates ? sl.gates + s * B * 4 * H : nullptr, gi, gh, dh.as<float>());
        check_launch("rnn_backward step");
        gemm(st, false, false, B, H, G * H, 1.f, gh, G * H, w[1].f32(), H, 1.f, dh.as<float>(), H);
      }
      copy(st, dh0.f32() + state, dh.as<float>(), B * H);
      if (lstm) copy(st, dc0.f32() + state, dc.as<float>(), B * H);
      gemm(st, true, false, G * H, in, T * B, 1.f, gih.as<float>(), G * H, X, in, 0.f, dw[0].f32(), in);
      gemm(st, true, false, G * H, H, T * B, 1.f, ghh.as<float>(), G * H, sl.h, H, 0.f, dw[1].f32(), H);
      if (p.bias) {
        column_sums_kernel<<<grid_for(G * H), kThreads, 0, st>>>(gih.as<float>(), T * B, G * H, dw[2].f32());
        check_launch("rnn_backward bias");
        column_sums_kernel<<<grid_for(G * H), kThreads, 0, st>>>(ghh.as<float>(), T * B, G * H, dw[3].f32());
        check_launch("rnn_backward bias");
      }
      gemm(st, false, false, T * B, in, G * H, 1.f, gih.as<float>(), G * H, w[0].f32(), in, d ? 1.f : 0.f, dX, in);
    }
    if (l) std::swap(dY, dXl);
  }
}

}  // namespace ds::cuda

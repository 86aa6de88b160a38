// CUDA fill: the first kernel of the backend, a grid-stride loop over the output.
#include <cstdint>

#include "cuda/check.h"
#include "ops/creation.h"

namespace ds::cuda {
namespace {

template <class T>
__global__ void fill_kernel(T* out, int64_t n, T value) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = value;
}

}  // namespace

void fill(const TensorRef& out, double value) {
  int64_t n = out.numel();
  if (n == 0) return;
  int threads = 256;
  int blocks = int((n + threads - 1) / threads);
  if (blocks > 65535) blocks = 65535;
  cudaStream_t s = stream(out.device.index);
  if (out.dtype == DType::f32) fill_kernel<float><<<blocks, threads, 0, s>>>(out.f32(), n, float(value));
  else fill_kernel<int32_t><<<blocks, threads, 0, s>>>(out.i32(), n, int32_t(value));
  check_launch("fill");
}

}  // namespace ds::cuda

// CUDA permute / expand / copy: four-byte element moves, whatever the dtype.
//
// permute and expand gather: output element o (contiguous, row-major) reads input element
// sum_d i_d * stride[d], the strides being the input's strides per output axis (0 on broadcast axes), merged
// as the CPU's plan does (cpu/broadcast.h). One thread per output element in a grid-stride loop, writes
// coalesced; 32-bit index math when the sizes allow. copy is a device-to-device memcpy on the stream.
#include <cstdint>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/indexing.cuh"
#include "ops/layout.h"

namespace ds::cuda {
namespace {

template <class I>
__global__ void gather_kernel(const uint32_t* __restrict__ in, uint32_t* __restrict__ out, I n, Indexer<1, I> ix) {
  const I stride = I(gridDim.x) * blockDim.x;
  for (I o = I(blockIdx.x) * blockDim.x + threadIdx.x; o < n; o += stride) {
    I off[1];
    ix.offsets(o, off);
    out[o] = in[off[0]];
  }
}

void strided_copy(const TensorRef& in, const TensorRef& out, const int64_t (&st)[1][kMaxDims], const char* name) {
  const int64_t n = out.numel();
  if (n == 0) return;
  cpu::BroadcastPlan<1> plan(out, st);
  cudaStream_t s = stream(out.device.index);
  if (fits32(n, {in.numel()}))
    gather_kernel<uint32_t><<<grid_for(n), kThreads, 0, s>>>(in.ptr<uint32_t>(), out.ptr<uint32_t>(), uint32_t(n),
                                                             make_indexer<1, uint32_t>(plan));
  else
    gather_kernel<int64_t><<<grid_for(n), kThreads, 0, s>>>(in.ptr<uint32_t>(), out.ptr<uint32_t>(), n,
                                                            make_indexer<1, int64_t>(plan));
  check_launch(name);
}

}  // namespace

void permute(const TensorRef& in, const TensorRef& out, const std::vector<int64_t>& perm) {
  DS_CHECK(int(perm.size()) == in.ndim && in.ndim == out.ndim, "permute: rank");
  int64_t in_strides[kMaxDims];
  int64_t s = 1;
  for (int d = in.ndim - 1; d >= 0; --d) {
    in_strides[d] = s;
    s *= in.shape[d];
  }
  int64_t st[1][kMaxDims] = {};
  for (int d = 0; d < out.ndim; ++d) {
    DS_CHECK(perm[d] >= 0 && perm[d] < in.ndim && out.shape[d] == in.shape[perm[d]], "permute: shape");
    st[0][d] = in_strides[perm[d]];
  }
  strided_copy(in, out, st, "permute");
}

void expand(const TensorRef& in, const TensorRef& out) {
  int64_t st[1][kMaxDims] = {};
  int64_t s = 1;
  for (int d = out.ndim - 1; d >= 0; --d) {
    int id = d - (out.ndim - in.ndim);
    int64_t size = id >= 0 ? in.shape[id] : 1;
    DS_CHECK(size == out.shape[d] || size == 1, "expand: shape");
    st[0][d] = size == 1 ? 0 : s;
    s *= size;
  }
  strided_copy(in, out, st, "expand");
}

void copy(const TensorRef& in, const TensorRef& out) {
  DS_CHECK(in.numel() == out.numel(), "copy: sizes");
  size_t bytes = size_t(in.numel()) * dtype_size(in.dtype);
  if (bytes == 0) return;
  check(cudaMemcpyAsync(out.data, in.data, bytes, cudaMemcpyDeviceToDevice, stream(out.device.index)), "copy");
}

}  // namespace ds::cuda

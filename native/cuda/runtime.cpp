// CUDA plumbing: device query, the caching allocator, one stream per device and host<->device copies,
// installed into native/core at load. Plain cudart (linked statically), so a machine without a driver
// loads the module and simply reports CUDA unavailable.
#include <cuda_runtime.h>

#include <map>
#include <mutex>

#include "core/error.h"
#include "core/storage.h"
#include "core/stream.h"
#include "core/transfer.h"
#include "cuda/backend.h"
#include "cuda/check.h"

namespace ds::cuda {
namespace {

Info query() {
  Info i;
  cudaDriverGetVersion(&i.driver_version);
  cudaRuntimeGetVersion(&i.runtime_version);
  if (i.driver_version == 0) {
    i.reason = "no NVIDIA driver found";
    return i;
  }
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    i.reason = std::string(cudaGetErrorString(e));
    cudaGetLastError();
    return i;
  }
  if (n == 0) {
    i.reason = "no CUDA device found";
    return i;
  }
  for (int d = 0; d < n; ++d) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, d) != cudaSuccess) continue;
    i.devices.push_back(DeviceInfo{p.name, p.major, p.minor, int64_t(p.totalGlobalMem), p.multiProcessorCount});
  }
  i.available = !i.devices.empty();
  if (!i.available) i.reason = "no usable CUDA device";
  return i;
}

void require_device(int index) {
  const Info& i = info();
  if (!i.available) fail("CUDA is not available: " + i.reason);
  if (index < 0 || index >= int(i.devices.size()))
    fail_range("cuda:" + std::to_string(index) + " does not exist (" + std::to_string(i.devices.size()) + " devices)");
}

// Caching allocator: freed blocks go to a per-device, per-size free list and are reused by later
// allocations. Reuse is safe without events because every storage of a device is used only on that
// device's one in-order stream.
class CachingAllocator final : public Allocator {
 public:
  void* allocate(Device device, size_t bytes) override {
    if (bytes == 0) return nullptr;
    require_device(device.index);
    size_t size = round(bytes);
    int dev = device.index;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find({dev, size});
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      allocated_ += int64_t(size);
      return p;
    }
    void* p = nullptr;
    check(cudaSetDevice(dev), "cudaSetDevice");
    cudaError_t e = cudaMalloc(&p, size);
    if (e != cudaSuccess) {
      cudaGetLastError();
      release_cached_locked();
      e = cudaMalloc(&p, size);
    }
    if (e != cudaSuccess) {
      cudaGetLastError();
      fail_range("CUDA out of memory: cannot allocate " + std::to_string(bytes) + " bytes (" + cudaGetErrorString(e) + ")");
    }
    reserved_ += int64_t(size);
    allocated_ += int64_t(size);
    return p;
  }

  void release(Device device, void* p, size_t bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    size_t size = round(bytes);
    free_[{device.index, size}].push_back(p);
    allocated_ -= int64_t(size);
  }

  void empty() {
    std::lock_guard<std::mutex> lock(mu_);
    release_cached_locked();
  }

  CacheStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return CacheStats{allocated_, reserved_};
  }

 private:
  static size_t round(size_t n) { return (n + 511) & ~size_t(511); }

  void release_cached_locked() {
    for (auto& kv : free_) {
      if (kv.second.empty()) continue;
      cudaSetDevice(kv.first.first);
      for (void* p : kv.second) {
        cudaFree(p);
        reserved_ -= int64_t(kv.first.second);
      }
      kv.second.clear();
    }
  }

  std::mutex mu_;
  std::map<std::pair<int, size_t>, std::vector<void*>> free_;
  int64_t allocated_ = 0, reserved_ = 0;
};

CachingAllocator& caching_allocator() {
  static auto* a = new CachingAllocator();
  return *a;
}

std::mutex g_streams_mu;
std::map<int, cudaStream_t> g_streams;

Stream* make_stream(int index) {
  require_device(index);
  return new Stream("cuda:" + std::to_string(index), [index] {
    check(cudaSetDevice(index), "cudaSetDevice");
    cudaStream_t s = nullptr;
    check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate");
    std::lock_guard<std::mutex> lock(g_streams_mu);
    g_streams[index] = s;
  });
}

void to_host(Device src, const void* p, void* host, size_t n) {
  if (!n) return;
  cudaStream_t s = stream(src.index);
  check(cudaMemcpyAsync(host, p, n, cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync(device to host)");
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
}

void from_host(Device dst, void* p, const void* host, size_t n) {
  if (!n) return;
  cudaStream_t s = stream(dst.index);
  check(cudaMemcpyAsync(p, host, n, cudaMemcpyHostToDevice, s), "cudaMemcpyAsync(host to device)");
  // The host buffer is released when the task ends, so the copy must be complete by then.
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
}

const bool g_installed = [] {
  set_allocator(DeviceType::CUDA, &caching_allocator());
  set_stream_factory(DeviceType::CUDA, make_stream);
  set_transfer(DeviceType::CUDA, Transfer{to_host, from_host});
  return true;
}();

}  // namespace

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    cudaGetLastError();
    fail(std::string(what) + " failed: " + cudaGetErrorString(e));
  }
}

void check_launch(const char* kernel) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) fail(std::string("kernel ") + kernel + " failed to launch: " + cudaGetErrorString(e));
}

cudaStream_t stream(int index) {
  std::lock_guard<std::mutex> lock(g_streams_mu);
  auto it = g_streams.find(index);
  if (it == g_streams.end()) fail("cuda:" + std::to_string(index) + " has no stream on this thread");
  return it->second;
}

const Info& info_ref() {
  static const Info i = query();
  return i;
}

Info info() { return info_ref(); }

CacheStats cache_stats() { return caching_allocator().stats(); }

void empty_cache() {
  if (info_ref().available) synchronize_all_streams();
  caching_allocator().empty();
}

}  // namespace ds::cuda

// Helpers of the kernel files (cuda/indexing.cuh).
namespace ds::cuda {

int multiprocessors(int index) {
  const Info& i = info_ref();
  if (index < 0 || index >= int(i.devices.size()) || i.devices[size_t(index)].multiprocessors <= 0) return 1;
  return i.devices[size_t(index)].multiprocessors;
}

int compute_capability(int index) {
  const Info& i = info_ref();
  if (index < 0 || index >= int(i.devices.size())) return 0;
  return i.devices[size_t(index)].major * 10 + i.devices[size_t(index)].minor;
}

void read_back(int device, void* host, const void* dev, size_t bytes) {
  cudaStream_t s = stream(device);
  check(cudaMemcpyAsync(host, dev, bytes, cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync(device to host)");
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
}

}  // namespace ds::cuda

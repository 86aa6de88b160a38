// The CUDA backend as the rest of the native code sees it: plain C++, no CUDA headers. Present only in
// builds with DEEPSCOPE_WITH_CUDA; every call is safe on a machine without a driver or device.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ds::cuda {

struct DeviceInfo {
  std::string name;
  int major = 0, minor = 0;
  int64_t total_memory = 0;
  int multiprocessors = 0;
};

struct Info {
  bool available = false;
  std::string reason;  // why not, when unavailable
  int driver_version = 0, runtime_version = 0;
  std::vector<DeviceInfo> devices;
};

Info info();  // queried once, never throws

struct CacheStats {
  int64_t allocated = 0;  // bytes handed out to live storages
  int64_t reserved = 0;   // bytes held from cudaMalloc, cached blocks included
};
CacheStats cache_stats();
// Returns cached, unused blocks to the driver (after the stream finished using them).
void empty_cache();

}  // namespace ds::cuda

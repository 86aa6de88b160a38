#include "core/storage.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "core/error.h"

namespace ds {
namespace {

// Host memory. Large blocks are cached after release and handed out again: a fresh large allocation is
// an mmap whose every page faults on first touch, which costs more than the op that fills it (a 1 MB
// activation: ~2.5 ms to allocate and free, 0.05 ms to fill). Sizes are rounded to classes with at most
// 1/8 waste; the cache holds at most DEEPSCOPE_CPU_CACHE_MB (default 1024) and releases beyond that.
class CpuAllocator final : public Allocator {
 public:
  CpuAllocator() {
    const char* env = std::getenv("DEEPSCOPE_CPU_CACHE_MB");
    limit_ = (env ? std::strtoll(env, nullptr, 10) : 1024) << 20;
  }

  void* allocate(Device, size_t bytes) override {
    if (bytes == 0) return nullptr;
    size_t size = size_class(bytes);
    if (size >= kMinCached) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= size;
        return p;
      }
    }
    // 64-byte alignment: a full AVX-512 register or cache line.
    void* p = std::aligned_alloc(64, size);
    if (!p) {
      release_cache();
      p = std::aligned_alloc(64, size);
    }
    if (!p) fail_range("cannot allocate " + std::to_string(bytes) + " bytes of host memory");
    return p;
  }

  void release(Device, void* ptr, size_t bytes) override {
    size_t size = size_class(bytes);
    if (size >= kMinCached) {
      std::lock_guard<std::mutex> lock(mu_);
      if (cached_ + int64_t(size) <= limit_) {
        free_[size].push_back(ptr);
        cached_ += size;
        return;
      }
    }
    std::free(ptr);
  }

  void release_cache() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& kv : free_)
      for (void* p : kv.second) std::free(p);
    free_.clear();
    cached_ = 0;
  }

  int64_t cached() {
    std::lock_guard<std::mutex> lock(mu_);
    return cached_;
  }

 private:
  static constexpr size_t kMinCached = size_t(64) << 10;

  // Multiples of 64 bytes below 64 KB; above, 8 classes per power of two.
  static size_t size_class(size_t n) {
    if (n < kMinCached) return (n + 63) & ~size_t(63);
    size_t top = size_t(1) << (63 - __builtin_clzll(n));
    size_t step = top / 8;
    return (n + step - 1) / step * step;
  }

  std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;
  int64_t cached_ = 0;
  int64_t limit_;
};

std::atomic<Allocator*> g_allocators[kNumDeviceTypes];
std::atomic<int64_t> g_bytes[kNumDeviceTypes];
std::atomic<int64_t> g_count[kNumDeviceTypes];

// Leaked on purpose: storages may be released by worker threads after static destructors began.
CpuAllocator* cpu_allocator() {
  static auto* a = new CpuAllocator();
  return a;
}

}  // namespace

void set_allocator(DeviceType type, Allocator* a) { g_allocators[int(type)].store(a); }

Allocator* allocator_for(DeviceType type) {
  if (type == DeviceType::CPU) return cpu_allocator();
  return g_allocators[int(type)].load();
}

int64_t cpu_cached_bytes() { return cpu_allocator()->cached(); }
void cpu_empty_cache() { cpu_allocator()->release_cache(); }

MemoryStats memory_stats(DeviceType type) {
  return MemoryStats{g_bytes[int(type)].load(), g_count[int(type)].load()};
}

std::shared_ptr<Storage> Storage::allocate(Device device, size_t bytes) {
  Allocator* a = allocator_for(device.type);
  if (!a) fail("no allocator for device " + device.str() + " (is the backend available?)");
  void* p = a->allocate(device, bytes);
  g_bytes[int(device.type)] += int64_t(bytes);
  g_count[int(device.type)] += 1;
  return std::shared_ptr<Storage>(new Storage(device, p, bytes));
}

Storage::~Storage() {
  if (ptr_) allocator_for(device_.type)->release(device_, ptr_, bytes_);
  g_bytes[int(device_.type)] -= int64_t(bytes_);
  g_count[int(device_.type)] -= 1;
}

void Storage::set_error(const std::string& msg) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_.empty()) error_ = msg;
  has_error_.store(true, std::memory_order_release);
}

std::string Storage::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

}  // namespace ds

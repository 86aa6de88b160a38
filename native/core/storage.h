// Refcounted, contiguous device memory. A tensor handle, a view of it and every queued op that reads or
// writes it hold a shared_ptr, so disposing a tensor while ops are queued is always safe.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/device.h"

namespace ds {

struct Allocator {
  virtual ~Allocator() = default;
  // Throws ds::Error(Range) when the memory cannot be had.
  virtual void* allocate(Device device, size_t bytes) = 0;
  virtual void release(Device device, void* ptr, size_t bytes) = 0;
};

// Installs the allocator of a device type (the CUDA backend installs its caching allocator at load).
void set_allocator(DeviceType type, Allocator* a);
Allocator* allocator_for(DeviceType type);

struct MemoryStats {
  int64_t bytes = 0;     // bytes held by live storages
  int64_t storages = 0;  // live storages
};
MemoryStats memory_stats(DeviceType type);
// Host blocks kept for reuse by the CPU allocator, and returning them to the system.
int64_t cpu_cached_bytes();
void cpu_empty_cache();

class Storage {
 public:
  static std::shared_ptr<Storage> allocate(Device device, size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

  // Bumped whenever an op is queued to write this storage, so autograd can detect that a tensor saved for
  // backward was overwritten in place (PyTorch's version counter).
  uint64_t bump_version() { return ++version_; }
  uint64_t version() const { return version_.load(); }

  // A kernel-time failure poisons the storages an op wrote; reads and later ops see it.
  void set_error(const std::string& msg);
  bool has_error() const { return has_error_.load(std::memory_order_acquire); }
  std::string error() const;

 private:
  Storage(Device d, void* p, size_t n) : device_(d), ptr_(p), bytes_(n) {}
  Device device_;
  void* ptr_;
  size_t bytes_;
  std::atomic<uint64_t> version_{0};
  std::atomic<bool> has_error_{false};
  mutable std::mutex mu_;
  std::string error_;
};

using StoragePtr = std::shared_ptr<Storage>;

}  // namespace ds

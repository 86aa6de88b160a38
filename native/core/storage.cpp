#include "core/storage.h"

#include <cstdlib>
#include <new>

#include "core/error.h"

namespace ds {
namespace {

struct CpuAllocator final : Allocator {
  void* allocate(Device, size_t bytes) override {
    if (bytes == 0) return nullptr;
    // 64-byte alignment: a full AVX-512 register or cache line.
    size_t rounded = (bytes + 63) & ~size_t(63);
    void* p = std::aligned_alloc(64, rounded);
    if (!p) fail_range("cannot allocate " + std::to_string(bytes) + " bytes of host memory");
    return p;
  }
  void release(Device, void* ptr, size_t) override { std::free(ptr); }
};

std::atomic<Allocator*> g_allocators[kNumDeviceTypes];
std::atomic<int64_t> g_bytes[kNumDeviceTypes];
std::atomic<int64_t> g_count[kNumDeviceTypes];

Allocator* cpu_allocator() {
  static CpuAllocator a;
  return &a;
}

}  // namespace

void set_allocator(DeviceType type, Allocator* a) { g_allocators[int(type)].store(a); }

Allocator* allocator_for(DeviceType type) {
  if (type == DeviceType::CPU) return cpu_allocator();
  return g_allocators[int(type)].load();
}

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

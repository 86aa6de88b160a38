#include "core/transfer.h"

#include <cstring>

#include "core/error.h"

namespace ds {
namespace {

void cpu_to_host(Device, const void* src, void* host, size_t n) {
  if (n) std::memcpy(host, src, n);
}
void cpu_from_host(Device, void* dst, const void* host, size_t n) {
  if (n) std::memcpy(dst, host, n);
}

Transfer g_transfers[kNumDeviceTypes] = {{cpu_to_host, cpu_from_host}, {nullptr, nullptr}};

}  // namespace

void set_transfer(DeviceType type, Transfer t) { g_transfers[int(type)] = t; }

void copy_to_host(Device src, const void* src_ptr, void* host, size_t bytes) {
  auto f = g_transfers[int(src.type)].to_host;
  if (!f) fail("no transfer path from " + src.str());
  f(src, src_ptr, host, bytes);
}

void copy_from_host(Device dst, void* dst_ptr, const void* host, size_t bytes) {
  auto f = g_transfers[int(dst.type)].from_host;
  if (!f) fail("no transfer path to " + dst.str());
  f(dst, dst_ptr, host, bytes);
}

}  // namespace ds

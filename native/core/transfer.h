// Host <-> device copies, called on the worker of the device's stream (so they are ordered with its ops).
// The CPU copies are memcpy; the CUDA backend installs its own at load.
#pragma once
#include <cstddef>

#include "core/device.h"

namespace ds {

struct Transfer {
  void (*to_host)(Device src, const void* src_ptr, void* host, size_t bytes);
  void (*from_host)(Device dst, void* dst_ptr, const void* host, size_t bytes);
};

void set_transfer(DeviceType type, Transfer t);
void copy_to_host(Device src, const void* src_ptr, void* host, size_t bytes);
void copy_from_host(Device dst, void* dst_ptr, const void* host, size_t bytes);

}  // namespace ds

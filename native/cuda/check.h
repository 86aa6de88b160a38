// Error checking and stream access for CUDA kernel files (they include CUDA headers; backend.h does not).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

namespace ds::cuda {

struct Info;
const Info& info_ref();

// Throws ds::Error naming `what` when e is not cudaSuccess.
void check(cudaError_t e, const char* what);
// Call right after a launch: turns a launch error into a ds::Error naming the kernel.
void check_launch(const char* kernel);
// The stream of device `index`; valid on that device's stream worker.
cudaStream_t stream(int index);
// Multiprocessor count of device `index` (from the cached device query; 1 when unknown).
int multiprocessors(int index);
// Compute capability of device `index` as major * 10 + minor (0 when unknown).
int compute_capability(int index);
// Copies `bytes` from the device to the host and waits for the stream: for the few ops that must look at
// data on the host before going on (the losses' target validation).
void read_back(int device, void* host, const void* dev, size_t bytes);

}  // namespace ds::cuda

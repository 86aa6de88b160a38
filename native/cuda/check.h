// Error checking and stream access for CUDA kernel files (they include CUDA headers; backend.h does not).
#pragma once
#include <cuda_runtime.h>

namespace ds::cuda {

struct Info;
const Info& info_ref();

// Throws ds::Error naming `what` when e is not cudaSuccess.
void check(cudaError_t e, const char* what);
// Call right after a launch: turns a launch error into a ds::Error naming the kernel.
void check_launch(const char* kernel);
// The stream of device `index`; valid on that device's stream worker.
cudaStream_t stream(int index);

}  // namespace ds::cuda

// The measured FP32 peak of the CPU for benchmarks: `measureCpuPeak(threads, millis)` resolves to
// { gflops, threads, isa, seconds } off the JS thread.
#pragma once
#include <napi.h>

namespace ds::napi {
void init_peak(Napi::Env env, Napi::Object exports);
}

// CUDA queries for JS: availability (with the reason when not), devices, versions, cache figures.
#pragma once
#include <napi.h>

namespace ds::napi {
void init_cuda_info(Napi::Env env, Napi::Object exports);
}

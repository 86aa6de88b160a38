#include "napi/cuda_info.h"

#ifdef DEEPSCOPE_WITH_CUDA
#include "cuda/backend.h"
#endif

namespace ds::napi {
namespace {

Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
#ifdef DEEPSCOPE_WITH_CUDA
  cuda::Info i = cuda::info();
  o.Set("built", true);
  o.Set("available", i.available);
  o.Set("reason", i.reason);
  o.Set("driverVersion", i.driver_version);
  o.Set("runtimeVersion", i.runtime_version);
  auto devs = Napi::Array::New(env, i.devices.size());
  for (size_t d = 0; d < i.devices.size(); ++d) {
    auto x = Napi::Object::New(env);
    x.Set("name", i.devices[d].name);
    x.Set("computeCapability", std::to_string(i.devices[d].major) + "." + std::to_string(i.devices[d].minor));
    x.Set("totalMemory", double(i.devices[d].total_memory));
    x.Set("multiprocessors", i.devices[d].multiprocessors);
    devs.Set(uint32_t(d), x);
  }
  o.Set("devices", devs);
  auto c = cuda::cache_stats();
  o.Set("allocatedBytes", double(c.allocated));
  o.Set("reservedBytes", double(c.reserved));
#else
  o.Set("built", false);
  o.Set("available", false);
  o.Set("reason", "this binary was built without the CUDA backend");
  o.Set("driverVersion", 0);
  o.Set("runtimeVersion", 0);
  o.Set("devices", Napi::Array::New(env, 0));
  o.Set("allocatedBytes", 0);
  o.Set("reservedBytes", 0);
#endif
  return o;
}

Napi::Value CudaEmptyCache(const Napi::CallbackInfo& info) {
#ifdef DEEPSCOPE_WITH_CUDA
  cuda::empty_cache();
#endif
  return info.Env().Undefined();
}

}  // namespace

void init_cuda_info(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo));
  exports.Set("cudaEmptyCache", Napi::Function::New(env, CudaEmptyCache));
}

}  // namespace ds::napi

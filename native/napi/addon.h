// Per-environment state of the addon (the main thread and each worker thread that loads it get their
// own): the tensor handle class and the channel that delivers finished reads to that thread.
#pragma once
#include <napi.h>

#include <memory>

namespace ds::napi {

struct ReadChannel;

struct AddonData {
  Napi::FunctionReference ctor;
  std::shared_ptr<ReadChannel> reads;
};

inline AddonData& addon(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace ds::napi

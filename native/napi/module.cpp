// Module init and the generic bindings: tensor lifetime, the op entry point, reads, writes, device moves,
// memory figures and the op table. Everything op-specific lives in native/ops.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>

#include "core/cpu_features.h"
#include "core/op_registry.h"
#include "core/stream.h"
#include "core/thread_pool.h"
#include "core/transfer.h"
#include "napi/addon.h"
#include "napi/convert.h"
#include "napi/handle.h"
#include "napi/reads.h"
#include "napi/cuda_info.h"
#include "napi/peak.h"

namespace ds::napi {
namespace {

int64_t checked_numel(const std::vector<int64_t>& shape, DType dtype) {
  // Refuse sizes whose byte count would overflow before asking the allocator.
  long double n = 1;
  for (auto d : shape) n *= (long double)d;
  if (n * dtype_size(dtype) > (long double)(int64_t(1) << 46))
    fail_range("a tensor of " + std::to_string((long long)std::min<long double>(n, 9e18L)) + " elements is too large to allocate");
  int64_t k = 1;
  for (auto d : shape) k *= d;
  return k;
}

Napi::Value Empty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    DType dtype = to_dtype(info[0]);
    auto shape = to_shape(info[1]);
    Device dev = to_device(info[2], info[3]);
    int64_t n = checked_numel(shape, dtype);
    auto storage = Storage::allocate(dev, size_t(n) * dtype_size(dtype));
    sync_external_memory(env);
    return Handle::Make(env, std::move(storage), dtype, int(shape.size()), shape.data());
  });
}

// fromData(typedArray, dtype, shape, device, index): a new tensor holding a copy of the array.
Napi::Value FromData(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!info[0].IsTypedArray()) fail_type("fromData: data must be a typed array");
    auto ta = info[0].As<Napi::TypedArray>();
    DType dtype = to_dtype(info[1]);
    auto shape = to_shape(info[2]);
    Device dev = to_device(info[3], info[4]);
    int64_t n = checked_numel(shape, dtype);
    size_t bytes = size_t(n) * dtype_size(dtype);
    if (ta.ByteLength() != bytes)
      fail_range("fromData: " + std::to_string(ta.ByteLength()) + " bytes of data for " + std::to_string(bytes) + " bytes of tensor");
    auto storage = Storage::allocate(dev, bytes);
    const char* src = static_cast<const char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    if (dev.type == DeviceType::CPU) {
      if (bytes) std::memcpy(storage->data(), src, bytes);
    } else {
      auto staging = std::make_shared<std::vector<char>>(src, src + bytes);
      Task t;
      t.name = "fromData";
      t.writes = {storage};
      t.fn = [storage, staging, dev] { copy_from_host(dev, storage->data(), staging->data(), staging->size()); };
      device_stream(dev).enqueue(std::move(t));
    }
    sync_external_memory(env);
    return Handle::Make(env, std::move(storage), dtype, int(shape.size()), shape.data());
  });
}

// writeData(handle, typedArray): overwrite a tensor's contents in stream order (loading weights in place).
Napi::Value WriteData(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guarded(env, [&] {
    Handle* h = Handle::From(info[0], "writeData: tensor");
    if (!info[1].IsTypedArray()) fail_type("writeData: data must be a typed array");
    auto ta = info[1].As<Napi::TypedArray>();
    if (ta.ByteLength() != h->bytes())
      fail_range("writeData: " + std::to_string(ta.ByteLength()) + " bytes of data for " + std::to_string(h->bytes()) + " bytes of tensor");
    const char* src = static_cast<const char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    auto staging = std::make_shared<std::vector<char>>(src, src + ta.ByteLength());
    StoragePtr storage = h->storage;
    storage->bump_version();
    Task t;
    t.name = "writeData";
    t.writes = {storage};
    t.fn = [storage, staging] { copy_from_host(storage->device(), storage->data(), staging->data(), staging->size()); };
    device_stream(storage->device()).enqueue(std::move(t));
  });
  return env.Undefined();
}

// view(handle, shape): a new handle on the same storage (reshape).
Napi::Value View(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Handle* h = Handle::From(info[0], "view: tensor");
    auto shape = to_shape(info[1]);
    int64_t n = 1;
    for (auto d : shape) n *= d;
    if (size_t(n) * dtype_size(h->dtype) != h->bytes()) fail_range("view: element count differs");
    return Handle::Make(env, h->storage, h->dtype, int(shape.size()), shape.data());
  });
}

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info[0].IsObject()) {
    Handle* h = Napi::ObjectWrap<Handle>::Unwrap(info[0].As<Napi::Object>());
    h->storage.reset();
  }
  sync_external_memory(env);
  return env.Undefined();
}

// run(op, inputs, outputs, attrs): enqueue one op on the stream of its tensors' device.
Napi::Value Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guarded(env, [&] {
    std::string name = info[0].As<Napi::String>().Utf8Value();
    const OpDef* def = find_op(name);
    if (!def) fail_type("unknown native op '" + name + "'");
    auto ins = info[1].As<Napi::Array>();
    auto outs = info[2].As<Napi::Array>();
    Task task;
    task.name = name;
    OpCall call;
    call.attrs = to_attrs(info[3]);
    bool have_device = false;
    Device dev;
    auto note_device = [&](Device d) {
      if (!have_device) {
        dev = d;
        have_device = true;
      } else if (d != dev) {
        fail_type(name + ": tensors are on different devices (" + dev.str() + " and " + d.str() + ")");
      }
    };
    for (uint32_t i = 0; i < ins.Length(); ++i) {
      Napi::Value v = ins.Get(i);
      if (v.IsNull() || v.IsUndefined()) {
        call.in.emplace_back();
        continue;
      }
      Handle* h = Handle::From(v, (name + ": input " + std::to_string(i)).c_str());
      call.in.push_back(h->ref());
      note_device(h->storage->device());
      task.reads.push_back(h->storage);
    }
    for (uint32_t i = 0; i < outs.Length(); ++i) {
      Handle* h = Handle::From(outs.Get(i), (name + ": output " + std::to_string(i)).c_str());
      call.out.push_back(h->ref());
      note_device(h->storage->device());
      task.writes.push_back(h->storage);
      h->storage->bump_version();
    }
    KernelFn k = def->kernel(dev.type);
    if (!k) fail(name + ": not implemented on " + dev.str());
    task.fn = [k, call = std::move(call)] { k(call); };
    device_stream(dev).enqueue(std::move(task));
  });
  return env.Undefined();
}

// copyTo(handle, deviceType, index): a copy on another device, ordered on both streams.
Napi::Value CopyTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Handle* h = Handle::From(info[0], "to: tensor");
    Device dst = to_device(info[1], info[2]);
    StoragePtr src = h->storage;
    auto out = Storage::allocate(dst, h->bytes());
    auto staging = std::make_shared<std::vector<char>>(h->bytes());
    auto done = std::make_shared<std::promise<std::string>>();
    std::shared_future<std::string> ready = done->get_future().share();
    Task a;
    a.name = "to";
    a.fn = [src, staging, done] {
      if (src->has_error()) return done->set_value(src->error());
      try {
        copy_to_host(src->device(), src->data(), staging->data(), staging->size());
        done->set_value("");
      } catch (const std::exception& e) {
        done->set_value(std::string("to: ") + e.what());
      }
    };
    Task b;
    b.name = "to";
    b.writes = {out};
    b.fn = [out, staging, ready] {
      std::string err = ready.get();
      if (!err.empty()) throw Error(err);
      copy_from_host(out->device(), out->data(), staging->data(), staging->size());
    };
    Stream& s_dst = device_stream(dst);
    device_stream(src->device()).enqueue(std::move(a));
    s_dst.enqueue(std::move(b));
    return Handle::Make(env, std::move(out), h->dtype, h->ndim, h->shape);
  });
}

// version(handle): how many writes have been queued to the tensor's storage.
Napi::Value Version(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    return Napi::Number::New(env, double(Handle::From(info[0], "version: tensor")->storage->version()));
  });
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  synchronize_all_streams();
  sync_external_memory(info.Env());
  return info.Env().Undefined();
}

Napi::Value Memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sync_external_memory(env);
  auto out = Napi::Object::New(env);
  const char* names[kNumDeviceTypes] = {"cpu", "cuda"};
  for (int t = 0; t < kNumDeviceTypes; ++t) {
    auto s = memory_stats(DeviceType(t));
    auto o = Napi::Object::New(env);
    o.Set("bytes", Napi::Number::New(env, double(s.bytes)));
    o.Set("storages", Napi::Number::New(env, double(s.storages)));
    out.Set(names[t], o);
  }
  out.Get("cpu").As<Napi::Object>().Set("cachedBytes", Napi::Number::New(env, double(cpu_cached_bytes())));
  return out;
}

// emptyCache(): returns the CPU allocator's cached blocks to the system (after the streams finished).
Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  synchronize_all_streams();
  cpu_empty_cache();
  return info.Env().Undefined();
}

Napi::Value OpTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto ops = all_ops();
  auto arr = Napi::Array::New(env, ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    auto o = Napi::Object::New(env);
    o.Set("name", ops[i]->name);
    o.Set("cpu", Napi::Boolean::New(env, ops[i]->cpu != nullptr));
    o.Set("cuda", Napi::Boolean::New(env, ops[i]->cuda != nullptr));
    arr.Set(uint32_t(i), o);
  }
  return arr;
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guarded(env, [&] {
    int n = info[0].As<Napi::Number>().Int32Value();
    if (n < 1 || n > 1024) fail_range("setNumThreads: n must be in 1..1024, got " + std::to_string(n));
    // Ops already queued keep running on the old pool size; the resize waits for the current one.
    set_num_threads(n);
  });
  return env.Undefined();
}

Napi::Value CpuIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("detected", isa_name(detected_isa()));
  o.Set("active", isa_name(active_isa()));
  return o;
}

}  // namespace

// Environments (main thread, worker threads) that have the module loaded; the last one out stops the streams.
std::atomic<int> g_live_envs{0};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  std::string reg = registry_error();
  if (!reg.empty()) throw Napi::Error::New(env, "deepscope native module is inconsistent: " + reg);
  env.SetInstanceData(new AddonData());
  exports.Set("NativeTensor", Handle::Define(env));
  exports.Set("empty", Napi::Function::New(env, Empty));
  exports.Set("fromData", Napi::Function::New(env, FromData));
  exports.Set("writeData", Napi::Function::New(env, WriteData));
  exports.Set("view", Napi::Function::New(env, View));
  exports.Set("dispose", Napi::Function::New(env, Dispose));
  exports.Set("run", Napi::Function::New(env, Run));
  exports.Set("copyTo", Napi::Function::New(env, CopyTo));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("synchronize", Napi::Function::New(env, Synchronize));
  exports.Set("memory", Napi::Function::New(env, Memory));
  exports.Set("emptyCache", Napi::Function::New(env, EmptyCache));
  exports.Set("opTable", Napi::Function::New(env, OpTable));
  exports.Set("numThreads", Napi::Function::New(env, NumThreads));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("cpuIsa", Napi::Function::New(env, CpuIsa));
  init_reads(env, exports);
  init_cuda_info(env, exports);
  init_peak(env, exports);
  ++g_live_envs;
  env.AddCleanupHook([env] {
    close_reads(env);
    if (--g_live_envs == 0) shutdown_streams();
  });
  return exports;
}

}  // namespace ds::napi

static Napi::Object InitDeepscope(Napi::Env env, Napi::Object exports) { return ds::napi::Init(env, exports); }

NODE_API_MODULE(deepscope, InitDeepscope)

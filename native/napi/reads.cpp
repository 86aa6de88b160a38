#include "napi/reads.h"

#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <string>

#include "core/stream.h"
#include "core/transfer.h"
#include "napi/addon.h"
#include "napi/convert.h"
#include "napi/handle.h"

namespace ds::napi {

// Carries finished reads from stream workers to one environment's JS thread.
struct ReadChannel {
  Napi::ThreadSafeFunction tsfn;
  int pending = 0;  // JS thread only; the TSFN keeps the loop alive only while reads are pending
  std::mutex mu;
  bool closed = false;
};

namespace {

// A finished read, carried from the stream worker to the JS thread.
struct ReadResult {
  Napi::Promise::Deferred deferred;
  std::shared_ptr<ReadChannel> channel;
  void* buf = nullptr;
  size_t bytes = 0;
  std::string error;
};

Napi::ArrayBuffer adopt_buffer(Napi::Env env, void* buf, size_t bytes) {
  if (!buf) return Napi::ArrayBuffer::New(env, 0);
  return Napi::ArrayBuffer::New(env, buf, bytes, [](Napi::Env, void* p) { std::free(p); });
}

// Copies a storage to a fresh host buffer; returns the failure, if any, instead of throwing.
std::string snapshot(const StoragePtr& s, void** buf) {
  if (s->has_error()) return s->error();
  *buf = s->bytes() ? std::malloc(s->bytes()) : nullptr;
  if (s->bytes() && !*buf) return "read: out of host memory";
  try {
    copy_to_host(s->device(), s->data(), *buf, s->bytes());
  } catch (const std::exception& e) {
    std::free(*buf);
    *buf = nullptr;
    return std::string("read: ") + e.what();
  }
  return "";
}

void deliver(Napi::Env env, Napi::Function, ReadResult* r) {
  std::unique_ptr<ReadResult> res(r);
  if (env == nullptr) {
    std::free(res->buf);
    return;
  }
  if (--res->channel->pending == 0) res->channel->tsfn.Unref(env);
  if (!res->error.empty()) {
    res->deferred.Reject(Napi::Error::New(env, res->error).Value());
  } else {
    res->deferred.Resolve(adopt_buffer(env, res->buf, res->bytes));
  }
  sync_external_memory(env);
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Handle* h = Handle::From(info[0], "read: tensor");
    auto channel = addon(env).reads;
    auto* res = new ReadResult{Napi::Promise::Deferred::New(env), channel, nullptr, 0, std::string()};
    Napi::Promise promise = res->deferred.Promise();
    StoragePtr s = h->storage;
    if (channel->pending++ == 0) channel->tsfn.Ref(env);
    Task t;
    t.name = "read";
    // The storage is not listed in `reads`: a poisoned input must still run this task, to reject.
    t.fn = [s, res] {
      res->error = snapshot(s, &res->buf);
      res->bytes = s->bytes();
      std::lock_guard<std::mutex> lock(res->channel->mu);
      if (res->channel->closed || res->channel->tsfn.NonBlockingCall(res, deliver) != napi_ok) {
        std::free(res->buf);
        delete res;
      }
    };
    device_stream(s->device()).enqueue(std::move(t));
    return promise;
  });
}

Napi::Value ReadSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Handle* h = Handle::From(info[0], "readSync: tensor");
    StoragePtr s = h->storage;
    auto done = std::make_shared<std::promise<std::pair<std::string, void*>>>();
    auto fut = done->get_future();
    Task t;
    t.name = "readSync";
    t.fn = [s, done] {
      void* buf = nullptr;
      std::string err = snapshot(s, &buf);
      done->set_value({err, buf});
    };
    device_stream(s->device()).enqueue(std::move(t));
    auto [err, buf] = fut.get();
    if (!err.empty()) throw Napi::Error::New(env, err);
    return adopt_buffer(env, buf, s->bytes());
  });
}

}  // namespace

void init_reads(Napi::Env env, Napi::Object exports) {
  auto channel = std::make_shared<ReadChannel>();
  channel->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                                "deepscope.read", 0, 1);
  channel->tsfn.Unref(env);
  addon(env).reads = channel;
  exports.Set("read", Napi::Function::New(env, Read));
  exports.Set("readSync", Napi::Function::New(env, ReadSync));
}

void close_reads(Napi::Env env) {
  auto channel = addon(env).reads;
  if (!channel) return;
  synchronize_all_streams();
  std::lock_guard<std::mutex> lock(channel->mu);
  channel->closed = true;
  channel->tsfn.Release();
}

}  // namespace ds::napi

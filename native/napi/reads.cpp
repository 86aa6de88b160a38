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
  ReadResult(Napi::Env env, std::shared_ptr<ReadChannel> ch) : deferred(Napi::Promise::Deferred::New(env)), channel(std::move(ch)) {}
  Napi::Promise::Deferred deferred;
  std::shared_ptr<ReadChannel> channel;
  void* buf = nullptr;
  size_t bytes = 0;
  std::string error;
  // readInto: the caller's array, kept alive until delivery; `buf` then points into it.
  Napi::Reference<Napi::Value> target;
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
    if (res->target.IsEmpty()) std::free(res->buf);
    res->deferred.Reject(Napi::Error::New(env, res->error).Value());
  } else if (!res->target.IsEmpty()) {
    res->deferred.Resolve(res->target.Value());
  } else {
    res->deferred.Resolve(adopt_buffer(env, res->buf, res->bytes));
  }
  sync_external_memory(env);
}

// Queues the copy of `s` (into res->buf when it is set, else into a fresh buffer) and its delivery.
Napi::Promise enqueue_read(Napi::Env env, const StoragePtr& s, ReadResult* res) {
  Napi::Promise promise = res->deferred.Promise();
  if (res->channel->pending++ == 0) res->channel->tsfn.Ref(env);
  Task t;
  t.name = "read";
  // The storage is not listed in `reads`: a poisoned input must still run this task, to reject.
  t.fn = [s, res] {
    if (res->buf) {
      if (s->has_error()) {
        res->error = s->error();
      } else {
        try {
          copy_to_host(s->device(), s->data(), res->buf, s->bytes());
        } catch (const std::exception& e) {
          res->error = std::string("read: ") + e.what();
        }
      }
    } else {
      res->error = snapshot(s, &res->buf);
    }
    res->bytes = s->bytes();
    std::lock_guard<std::mutex> lock(res->channel->mu);
    if (res->channel->closed || res->channel->tsfn.NonBlockingCall(res, deliver) != napi_ok) {
      // Never delivered: the environment is gone, and with it the caller's array.
      if (res->target.IsEmpty()) std::free(res->buf);
      delete res;
    }
  };
  device_stream(s->device()).enqueue(std::move(t));
  return promise;
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Handle* h = Handle::From(info[0], "read: tensor");
    auto* res = new ReadResult(env, addon(env).reads);
    return enqueue_read(env, h->storage, res);
  });
}

// readInto(handle, typedArray): copies the tensor into the caller's array (same byte length) and
// resolves with it; the array must not be touched until then. Lets a caller reuse one buffer.
Napi::Value ReadInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Handle* h = Handle::From(info[0], "readInto: tensor");
    if (!info[1].IsTypedArray()) fail_type("readInto: target must be a typed array");
    auto ta = info[1].As<Napi::TypedArray>();
    if (ta.ByteLength() != h->storage->bytes())
      fail_range("readInto: target holds " + std::to_string(ta.ByteLength()) + " bytes, the tensor " +
                 std::to_string(h->storage->bytes()));
    auto* res = new ReadResult(env, addon(env).reads);
    res->buf = static_cast<char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    res->target = Napi::Persistent(info[1]);
    return enqueue_read(env, h->storage, res);
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
  exports.Set("readInto", Napi::Function::New(env, ReadInto));
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

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
  // readInto/writeFrom: the caller's array, kept alive until delivery; `buf` then points into it.
  Napi::Reference<Napi::Value> target;
  // The byte range of the storage copied: [offset, offset + bytes) (the whole storage for read()).
  size_t offset = 0;
  // writeFrom: copy `buf` into the storage instead of the storage into `buf`.
  bool write = false;
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
    if (res->target.IsEmpty()) std::free(res->buf);
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

// Queues the copy between `s` and res->buf (the caller's array, or else a fresh buffer) and its delivery.
Napi::Promise enqueue_read(Napi::Env env, const StoragePtr& s, ReadResult* res) {
  Napi::Promise promise = res->deferred.Promise();
  if (res->channel->pending++ == 0) res->channel->tsfn.Ref(env);
  Task t;
  t.name = res->write ? "writeFrom" : "read";
  // The storage is not listed in `reads`: a poisoned input must still run this task, to reject.
  if (res->write) t.writes = {s};
  const bool caller_array = !res->target.IsEmpty();
  t.fn = [s, res, caller_array] {
    if (caller_array) {
      if (s->has_error() && !res->write) {
        res->error = s->error();
      } else if (res->bytes) {
        try {
          char* at = static_cast<char*>(s->data()) + res->offset;
          if (res->write) copy_from_host(s->device(), at, res->buf, res->bytes);
          else copy_to_host(s->device(), at, res->buf, res->bytes);
        } catch (const std::exception& e) {
          res->error = std::string(res->write ? "writeFrom: " : "read: ") + e.what();
          if (res->write) s->set_error(res->error);
        }
      }
    } else {
      res->error = snapshot(s, &res->buf);
      res->bytes = s->bytes();
    }
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

// readInto/writeFrom: checks the caller's array (a typed array that, placed at byte `offset`, lies within
// the tensor; the whole tensor when no offset is given) and queues the copy.
Napi::Value ranged(const Napi::CallbackInfo& info, bool write) {
  Napi::Env env = info.Env();
  const char* op = write ? "writeFrom" : "readInto";
  Handle* h = Handle::From(info[0], write ? "writeFrom: tensor" : "readInto: tensor");
  if (!info[1].IsTypedArray()) fail_type(std::string(op) + ": the array must be a typed array");
  auto ta = info[1].As<Napi::TypedArray>();
  size_t total = h->storage->bytes();
  size_t offset = 0;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    double o = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : -1;
    if (!(o >= 0) || o != double(int64_t(o)) || o > double(total))
      fail_range(std::string(op) + ": byte offset must be an integer in [0, " + std::to_string(total) + "]");
    offset = size_t(o);
  } else if (ta.ByteLength() != total) {
    fail_range(std::string(op) + ": the array holds " + std::to_string(ta.ByteLength()) + " bytes, the tensor " + std::to_string(total));
  }
  if (ta.ByteLength() > total - offset)
    fail_range(std::string(op) + ": " + std::to_string(ta.ByteLength()) + " bytes at byte offset " + std::to_string(offset) +
               " run past the tensor's " + std::to_string(total) + " bytes");
  auto* res = new ReadResult(env, addon(env).reads);
  res->buf = static_cast<char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  res->bytes = ta.ByteLength();
  res->offset = offset;
  res->write = write;
  res->target = Napi::Persistent(info[1]);
  if (write) h->storage->bump_version();
  return enqueue_read(env, h->storage, res);
}

// readInto(handle, typedArray[, byteOffset]): copies the tensor (or, with an offset, the array's length of
// it from that byte) into the caller's array and resolves with it; the array must not be touched until
// then. Lets a caller reuse one buffer, and stream a large tensor out in slices.
Napi::Value ReadInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value { return ranged(info, false); });
}

// writeFrom(handle, typedArray[, byteOffset]): copies the caller's array into the tensor at that byte, in
// stream order, and resolves with the array once copied (until then it must not be touched). Fills a large
// tensor slice by slice without a staging copy of the whole.
Napi::Value WriteFrom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value { return ranged(info, true); });
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
  exports.Set("writeFrom", Napi::Function::New(env, WriteFrom));
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

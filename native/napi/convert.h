// Conversions between JS values and the plain structs of native/core, and the mapping of ds::Error kinds
// onto JS error classes.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "core/attrs.h"
#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"

namespace ds::napi {

DType to_dtype(const Napi::Value& v);
Device to_device(const Napi::Value& type, const Napi::Value& index);
std::vector<int64_t> to_shape(const Napi::Value& v);
Attrs to_attrs(const Napi::Value& v);

// Runs fn and rethrows a ds::Error as the JS error class its kind names.
template <class F>
auto guarded(Napi::Env env, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error& e) {
    switch (e.kind) {
      case ErrorKind::Type: throw Napi::TypeError::New(env, e.what());
      case ErrorKind::Range: throw Napi::RangeError::New(env, e.what());
      default: throw Napi::Error::New(env, e.what());
    }
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, "out of host memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

// Tells V8 about host memory that changed since the last call (storages may be freed on worker threads,
// so the figure is settled from the JS thread whenever the binding is entered).
void sync_external_memory(Napi::Env env);

}  // namespace ds::napi

#include "napi/convert.h"

#include <atomic>
#include <cmath>

#include "core/storage.h"
#include "core/tensor_ref.h"

namespace ds::napi {

DType to_dtype(const Napi::Value& v) {
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s == "float32") return DType::f32;
  if (s == "int32") return DType::i32;
  fail_type("unknown dtype '" + s + "'");
}

Device to_device(const Napi::Value& type, const Napi::Value& index) {
  std::string s = type.As<Napi::String>().Utf8Value();
  Device d;
  if (s == "cpu") d.type = DeviceType::CPU;
  else if (s == "cuda") d.type = DeviceType::CUDA;
  else fail_type("unknown device '" + s + "'");
  d.index = index.IsNumber() ? index.As<Napi::Number>().Int32Value() : 0;
  return d;
}

std::vector<int64_t> to_shape(const Napi::Value& v) {
  if (!v.IsArray()) fail_type("shape must be an array");
  auto a = v.As<Napi::Array>();
  if (a.Length() > uint32_t(kMaxDims)) fail_range("rank " + std::to_string(a.Length()) + " exceeds the maximum of 6");
  std::vector<int64_t> shape(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    double d = a.Get(i).As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d != std::floor(d) || d > 9e15) fail_range("shape entries must be non-negative integers");
    shape[i] = int64_t(d);
  }
  return shape;
}

Attrs to_attrs(const Napi::Value& v) {
  Attrs attrs;
  if (v.IsUndefined() || v.IsNull()) return attrs;
  auto obj = v.As<Napi::Object>();
  auto keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value x = obj.Get(k);
    if (x.IsNumber()) {
      attrs.set(k, std::vector<double>{x.As<Napi::Number>().DoubleValue()});
    } else if (x.IsBoolean()) {
      attrs.set(k, std::vector<double>{x.As<Napi::Boolean>().Value() ? 1.0 : 0.0});
    } else if (x.IsString()) {
      attrs.set(k, x.As<Napi::String>().Utf8Value());
    } else if (x.IsArray()) {
      auto a = x.As<Napi::Array>();
      std::vector<double> vals(a.Length());
      for (uint32_t j = 0; j < a.Length(); ++j) vals[j] = a.Get(j).As<Napi::Number>().DoubleValue();
      attrs.set(k, std::move(vals));
    } else if (!x.IsUndefined() && !x.IsNull()) {
      fail_type("attribute '" + k + "' must be a number, boolean, string or number array");
    }
  }
  return attrs;
}

void sync_external_memory(Napi::Env env) {
  static int64_t reported = 0;  // JS-thread only
  int64_t now = memory_stats(DeviceType::CPU).bytes;
  int64_t delta = now - reported;
  if (delta > (1 << 20) || delta < -(1 << 20)) {
    Napi::MemoryManagement::AdjustExternalMemory(env, delta);
    reported = now;
  }
}

}  // namespace ds::napi

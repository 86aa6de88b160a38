#include "napi/handle.h"

#include "core/error.h"

namespace ds::napi {

namespace {
Napi::FunctionReference* g_ctor = nullptr;  // per-process: the module supports one main environment
}

Napi::Function Handle::Define(Napi::Env env) {
  Napi::Function f = DefineClass(env, "NativeTensor", {});
  g_ctor = new Napi::FunctionReference(Napi::Persistent(f));
  return f;
}

Handle::Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Handle>(info) {}

Napi::Object Handle::Make(Napi::Env env, StoragePtr storage, DType dtype, int ndim, const int64_t* shape) {
  Napi::Object obj = g_ctor->New({});
  Handle* h = Napi::ObjectWrap<Handle>::Unwrap(obj);
  h->storage = std::move(storage);
  h->dtype = dtype;
  h->ndim = ndim;
  for (int i = 0; i < ndim; ++i) h->shape[i] = shape[i];
  return obj;
}

Handle* Handle::From(const Napi::Value& v, const char* what) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(g_ctor->Value()))
    fail_type(std::string(what) + " is not a native tensor handle");
  Handle* h = Napi::ObjectWrap<Handle>::Unwrap(v.As<Napi::Object>());
  if (!h->storage) fail_type(std::string(what) + " was disposed");
  return h;
}

TensorRef Handle::ref() const {
  TensorRef r;
  r.data = storage->data();
  r.dtype = dtype;
  r.device = storage->device();
  r.ndim = ndim;
  for (int i = 0; i < ndim; ++i) r.shape[i] = shape[i];
  r.defined = true;
  return r;
}

size_t Handle::bytes() const {
  size_t n = dtype_size(dtype);
  for (int i = 0; i < ndim; ++i) n *= size_t(shape[i]);
  return n;
}

}  // namespace ds::napi

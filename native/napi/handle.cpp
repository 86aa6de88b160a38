#include "napi/handle.h"

#include "core/error.h"
#include "napi/addon.h"

namespace ds::napi {

Napi::Function Handle::Define(Napi::Env env) {
  Napi::Function f = DefineClass(env, "NativeTensor", {});
  addon(env).ctor = Napi::Persistent(f);
  return f;
}

Napi::FunctionReference& Handle::Constructor(Napi::Env env) { return addon(env).ctor; }

Handle::Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Handle>(info) {}

Napi::Object Handle::Make(Napi::Env env, StoragePtr storage, DType dtype, int ndim, const int64_t* shape) {
  Napi::Object obj = Constructor(env).New({});
  Handle* h = Napi::ObjectWrap<Handle>::Unwrap(obj);
  h->storage = std::move(storage);
  h->dtype = dtype;
  h->ndim = ndim;
  for (int i = 0; i < ndim; ++i) h->shape[i] = shape[i];
  return obj;
}

Handle* Handle::From(const Napi::Value& v, const char* what) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(Constructor(v.Env()).Value()))
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

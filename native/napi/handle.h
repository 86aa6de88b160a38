// The JS-visible tensor handle: a storage reference plus dtype and shape. Views (reshape) are new handles
// sharing the storage. dispose() drops the reference; the finalizer drops it too if JS forgot.
#pragma once
#include <napi.h>

#include "core/storage.h"
#include "core/tensor_ref.h"

namespace ds::napi {

class Handle : public Napi::ObjectWrap<Handle> {
 public:
  // Defines the class for this environment; the constructor is kept in the environment's addon data.
  static Napi::Function Define(Napi::Env env);
  static Napi::Object Make(Napi::Env env, StoragePtr storage, DType dtype, int ndim, const int64_t* shape);
  static Handle* From(const Napi::Value& v, const char* what);
  static Napi::FunctionReference& Constructor(Napi::Env env);
  explicit Handle(const Napi::CallbackInfo& info);

  StoragePtr storage;
  DType dtype = DType::f32;
  int ndim = 0;
  int64_t shape[kMaxDims] = {};

  TensorRef ref() const;
  size_t bytes() const;
};

}  // namespace ds::napi

// The op table: every native op by name, with the kernel each backend provides (null where it has none).
// Op families add their rows from native/ops/<family>.cpp with DS_REGISTER_OPS; the binding enqueues by
// name, and the backend test walks the table.
#pragma once
#include <initializer_list>
#include <string>
#include <vector>

#include "core/attrs.h"
#include "core/device.h"
#include "core/tensor_ref.h"

namespace ds {

struct OpCall {
  std::vector<TensorRef> in;
  std::vector<TensorRef> out;
  Attrs attrs;
};

using KernelFn = void (*)(const OpCall&);

struct OpDef {
  const char* name;
  KernelFn cpu;
  KernelFn cuda;
  KernelFn kernel(DeviceType t) const { return t == DeviceType::CPU ? cpu : cuda; }
};

bool register_ops(std::initializer_list<OpDef> defs);
const OpDef* find_op(const std::string& name);
std::vector<const OpDef*> all_ops();  // sorted by name
// Non-empty when two families claimed one name: a build defect the module reports at load.
std::string registry_error();

}  // namespace ds

// Where the CUDA backend is not built, its kernels are absent from the table.
#ifdef DEEPSCOPE_WITH_CUDA
#define DS_CUDA(...) (__VA_ARGS__)
#else
#define DS_CUDA(...) nullptr
#endif

#define DS_CONCAT_INNER(a, b) a##b
#define DS_CONCAT(a, b) DS_CONCAT_INNER(a, b)
#define DS_REGISTER_OPS(...) \
  static const bool DS_CONCAT(ds_ops_registered_, __LINE__) = ::ds::register_ops({__VA_ARGS__})

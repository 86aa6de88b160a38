#include "ops/layout.h"

#include "core/op_registry.h"

namespace ds {

DS_REGISTER_OPS({"permute", [](const OpCall& c) { cpu::permute(c.in[0], c.out[0], c.attrs.ints("perm")); }, nullptr},
                {"expand", [](const OpCall& c) { cpu::expand(c.in[0], c.out[0]); }, nullptr},
                {"copy", [](const OpCall& c) { cpu::copy(c.in[0], c.out[0]); }, nullptr});

}  // namespace ds

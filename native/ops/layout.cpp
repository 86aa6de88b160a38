#include "ops/layout.h"

#include "core/op_registry.h"

namespace ds {

DS_REGISTER_OPS({"permute", [](const OpCall& c) { cpu::permute(c.in[0], c.out[0], c.attrs.ints("perm")); },
                 DS_CUDA([](const OpCall& c) { cuda::permute(c.in[0], c.out[0], c.attrs.ints("perm")); })},
                {"expand", [](const OpCall& c) { cpu::expand(c.in[0], c.out[0]); },
                 DS_CUDA([](const OpCall& c) { cuda::expand(c.in[0], c.out[0]); })},
                {"copy", [](const OpCall& c) { cpu::copy(c.in[0], c.out[0]); },
                 DS_CUDA([](const OpCall& c) { cuda::copy(c.in[0], c.out[0]); })});

}  // namespace ds

#include "ops/creation.h"

#include "core/op_registry.h"

namespace ds {
namespace {

RandomParams random_params(const Attrs& a) {
  RandomParams p;
  p.seed = uint64_t(a.f("seed"));
  p.offset = uint64_t(a.f("offset", 0));
  p.a = a.f("a", 0);
  p.b = a.f("b", 1);
  return p;
}

}  // namespace

DS_REGISTER_OPS(
    {"fill", [](const OpCall& c) { cpu::fill(c.out[0], c.attrs.f("value")); },
     DS_CUDA([](const OpCall& c) { cuda::fill(c.out[0], c.attrs.f("value")); })},
    {"arange", [](const OpCall& c) { cpu::arange(c.out[0], c.attrs.f("start"), c.attrs.f("step")); },
     DS_CUDA([](const OpCall& c) { cuda::arange(c.out[0], c.attrs.f("start"), c.attrs.f("step")); })},
    {"eye", [](const OpCall& c) { cpu::eye(c.out[0]); }, DS_CUDA([](const OpCall& c) { cuda::eye(c.out[0]); })},
    {"cast", [](const OpCall& c) { cpu::cast(c.in[0], c.out[0]); },
     DS_CUDA([](const OpCall& c) { cuda::cast(c.in[0], c.out[0]); })},
    {"random_uniform", [](const OpCall& c) { cpu::random_uniform(c.out[0], random_params(c.attrs)); },
     DS_CUDA([](const OpCall& c) { cuda::random_uniform(c.out[0], random_params(c.attrs)); })},
    {"random_normal", [](const OpCall& c) { cpu::random_normal(c.out[0], random_params(c.attrs)); },
     DS_CUDA([](const OpCall& c) { cuda::random_normal(c.out[0], random_params(c.attrs)); })},
    {"random_bernoulli", [](const OpCall& c) { cpu::random_bernoulli(c.out[0], random_params(c.attrs)); },
     DS_CUDA([](const OpCall& c) { cuda::random_bernoulli(c.out[0], random_params(c.attrs)); })});

}  // namespace ds

// Op attributes: named numbers, number lists and strings, as the binding received them from JS. Each op
// family turns them into its own params struct (native/ops/*.h).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace ds {

class Attrs {
 public:
  void set(std::string name, std::vector<double> values) { nums_.emplace_back(std::move(name), std::move(values)); }
  void set(std::string name, std::string value) { strs_.emplace_back(std::move(name), std::move(value)); }

  bool has(const std::string& name) const { return find(name) != nullptr || find_str(name) != nullptr; }

  double f(const std::string& name) const { return one(name); }
  double f(const std::string& name, double dflt) const { return find(name) ? one(name) : dflt; }
  int64_t i(const std::string& name) const { return int64_t(one(name)); }
  int64_t i(const std::string& name, int64_t dflt) const { return find(name) ? int64_t(one(name)) : dflt; }
  bool b(const std::string& name, bool dflt = false) const { return find(name) ? one(name) != 0 : dflt; }

  std::vector<int64_t> ints(const std::string& name) const {
    const auto* v = find(name);
    if (!v) fail("missing attribute '" + name + "'");
    return std::vector<int64_t>(v->begin(), v->end());
  }
  std::vector<double> floats(const std::string& name) const {
    const auto* v = find(name);
    if (!v) fail("missing attribute '" + name + "'");
    return *v;
  }
  std::string s(const std::string& name) const {
    const auto* v = find_str(name);
    if (!v) fail("missing attribute '" + name + "'");
    return *v;
  }
  std::string s(const std::string& name, const std::string& dflt) const {
    const auto* v = find_str(name);
    return v ? *v : dflt;
  }

 private:
  const std::vector<double>* find(const std::string& name) const {
    for (const auto& kv : nums_)
      if (kv.first == name) return &kv.second;
    return nullptr;
  }
  const std::string* find_str(const std::string& name) const {
    for (const auto& kv : strs_)
      if (kv.first == name) return &kv.second;
    return nullptr;
  }
  double one(const std::string& name) const {
    const auto* v = find(name);
    if (!v || v->size() != 1) fail("attribute '" + name + "' must be one number");
    return (*v)[0];
  }

  std::vector<std::pair<std::string, std::vector<double>>> nums_;
  std::vector<std::pair<std::string, std::string>> strs_;
};

}  // namespace ds

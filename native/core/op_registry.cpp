#include "core/op_registry.h"

#include <map>

namespace ds {
namespace {

std::map<std::string, OpDef>& table() {
  static auto* t = new std::map<std::string, OpDef>();
  return *t;
}

std::vector<std::string>& duplicates() {
  static auto* d = new std::vector<std::string>();
  return *d;
}

}  // namespace

bool register_ops(std::initializer_list<OpDef> defs) {
  for (const auto& d : defs) {
    if (!table().emplace(d.name, d).second) duplicates().push_back(d.name);
  }
  return true;
}

const OpDef* find_op(const std::string& name) {
  auto it = table().find(name);
  return it == table().end() ? nullptr : &it->second;
}

std::string registry_error() {
  if (duplicates().empty()) return "";
  std::string msg = "ops registered twice:";
  for (const auto& n : duplicates()) msg += " " + n;
  return msg;
}

std::vector<const OpDef*> all_ops() {
  std::vector<const OpDef*> out;
  for (const auto& kv : table()) out.push_back(&kv.second);
  return out;
}

}  // namespace ds

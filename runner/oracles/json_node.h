#pragma once
// A JSON value plus its JSON pointer, so every complaint about the
// observation names the field (InputError, file "observation").
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace poisonlab::oracles {

class Node {
 public:
  Node(const nlohmann::json& value, std::string pointer) : value_(value), pointer_(std::move(pointer)) {}

  const nlohmann::json& raw() const { return value_; }
  const std::string& pointer() const { return pointer_; }
  bool has(const char* key) const { return value_.contains(key) && !value_[key].is_null(); }
  const nlohmann::json& raw(const char* key) const {
    static const nlohmann::json null_value;
    return value_.contains(key) ? value_[key] : null_value;
  }

  Node child(const char* key) const {
    if (!value_.contains(key)) fail(key, "required field is missing");
    return Node(value_[key], pointer_ + "/" + key);
  }

  uint64_t u64(const char* key) const { return as_u64(field(key), key); }
  int64_t i64(const char* key) const {
    const nlohmann::json& v = field(key);
    if (!v.is_number_integer()) fail(key, "expected an integer");
    return v.get<int64_t>();
  }
  int small_int(const char* key) const {
    int64_t v = i64(key);
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) fail(key, "integer out of range");
    return static_cast<int>(v);
  }
  bool boolean(const char* key) const {
    const nlohmann::json& v = field(key);
    if (!v.is_boolean()) fail(key, "expected true or false");
    return v.get<bool>();
  }
  std::string str(const char* key) const {
    const nlohmann::json& v = field(key);
    if (!v.is_string()) fail(key, "expected a string");
    return v.get<std::string>();
  }

  std::optional<uint64_t> opt_u64(const char* key) const { return has(key) ? std::optional(u64(key)) : std::nullopt; }
  std::optional<int64_t> opt_i64(const char* key) const { return has(key) ? std::optional(i64(key)) : std::nullopt; }
  std::optional<int> opt_int(const char* key) const { return has(key) ? std::optional(small_int(key)) : std::nullopt; }
  std::optional<bool> opt_bool(const char* key) const { return has(key) ? std::optional(boolean(key)) : std::nullopt; }
  std::optional<std::string> opt_str(const char* key) const {
    return has(key) ? std::optional(str(key)) : std::nullopt;
  }
  // An error field: a string, or anything else dumped as text.
  std::optional<std::string> opt_text(const char* key) const {
    if (!has(key)) return std::nullopt;
    return value_[key].is_string() ? value_[key].get<std::string>() : value_[key].dump();
  }

  // Missing or null -> empty.
  std::vector<Node> array(const char* key) const {
    std::vector<Node> items;
    if (!has(key)) return items;
    const nlohmann::json& v = value_[key];
    if (!v.is_array()) fail(key, "expected an array");
    for (size_t i = 0; i < v.size(); ++i) items.emplace_back(v[i], pointer_ + "/" + key + "/" + std::to_string(i));
    return items;
  }
  std::vector<std::string> strings(const char* key) const {
    std::vector<std::string> out;
    for (const Node& n : array(key)) {
      if (!n.raw().is_string()) throw InputError("observation", n.pointer_, "expected a string");
      out.push_back(n.raw().get<std::string>());
    }
    return out;
  }
  // Missing or null -> empty; otherwise (name, node) pairs of an object.
  std::vector<std::pair<std::string, Node>> members(const char* key) const {
    std::vector<std::pair<std::string, Node>> out;
    if (!has(key)) return out;
    const nlohmann::json& v = value_[key];
    if (!v.is_object()) fail(key, "expected an object");
    for (const auto& [name, value] : v.items()) out.emplace_back(name, Node(value, pointer_ + "/" + key + "/" + name));
    return out;
  }

  void require_object() const {
    if (!value_.is_object()) throw InputError("observation", pointer_, "expected an object");
  }
  [[noreturn]] void fail(const char* key, const std::string& expected) const {
    throw InputError("observation", pointer_ + "/" + key, expected);
  }
  [[noreturn]] void fail_here(const std::string& expected) const {
    throw InputError("observation", pointer_, expected);
  }

 private:
  const nlohmann::json& field(const char* key) const {
    if (!has(key)) fail(key, "required field is missing or null");
    return value_[key];
  }
  uint64_t as_u64(const nlohmann::json& v, const char* key) const {
    bool non_negative = v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
    if (!non_negative) fail(key, "expected a non-negative integer");
    return v.get<uint64_t>();
  }

  const nlohmann::json& value_;
  std::string pointer_;
};

}  // namespace poisonlab::oracles

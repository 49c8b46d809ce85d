#pragma once
// Tolerant reads of report JSON: a report may be partial (a run that died)
// or hold cells in error status with fields missing or null.
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab {

// object[key] if object is an object holding a string there, else fallback.
inline std::string string_or(const nlohmann::json& object, const char* key, std::string fallback = "") {
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end() && it->is_string()) return it->get<std::string>();
  }
  return fallback;
}

// object[key] if object is an object holding it, else null.
inline const nlohmann::json& member_or_null(const nlohmann::json& object, const char* key) {
  static const nlohmann::json null_value;
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end()) return *it;
  }
  return null_value;
}

}  // namespace poisonlab

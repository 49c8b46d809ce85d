#include "observe/mf_flags.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace poisonlab {

using nlohmann::json;

namespace {
std::optional<uint64_t> enum_number(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}
}  // namespace

std::optional<DecodedFlags> decode_mf_flags(uint64_t value, const json& enum_values) {
  if (!enum_values.is_object() || enum_values.empty()) return std::nullopt;
  std::vector<std::pair<uint64_t, std::string>> named;
  for (const auto& [name, v] : enum_values.items()) {
    auto n = enum_number(v);
    if (!n) return std::nullopt;
    if (*n != 0) named.emplace_back(*n, name);
  }
  std::sort(named.begin(), named.end());
  DecodedFlags d;
  d.value = value;
  uint64_t covered = 0;
  for (const auto& [bits, name] : named)
    if ((value & bits) == bits) {
      d.names.push_back(name);
      covered |= bits;
    }
  d.unknown_bits = value & ~covered;
  return d;
}

std::optional<uint64_t> mf_flag_value(const json& enum_values, std::string_view name) {
  if (!enum_values.is_object()) return std::nullopt;
  auto it = enum_values.find(std::string(name));
  if (it == enum_values.end()) return std::nullopt;
  return enum_number(*it);
}

std::optional<uint64_t> parse_trace_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  try {
    size_t used = 0;
    std::string s(text);
    uint64_t v = std::stoull(s, &used, base);
    if (used != s.size() || s[0] == '-' || s[0] == '+') return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

json flags_json(uint64_t value, const json& enum_values) {
  auto d = decode_mf_flags(value, enum_values);
  return {{"value", fmt::format("{:#x}", value)},
          {"names", d ? json(d->names) : json(nullptr)},
          {"unknown_bits", d ? json(fmt::format("{:#x}", d->unknown_bits)) : json(nullptr)}};
}

}  // namespace poisonlab

#pragma once
// Decoding the kernel's enum mf_flags (include/linux/mm.h) by name. The
// values differ between kernels, so the agent reads the running kernel's
// enum from BTF (observation.kernel_enums.mf_flags: {"MF_ACTION_REQUIRED": 2,
// ...}); nothing here hard-codes a value.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poisonlab {

struct DecodedFlags {
  uint64_t value = 0;
  std::vector<std::string> names;  // the enum's names whose bits are set, in ascending value order
  uint64_t unknown_bits = 0;       // set bits that no name covers
};

// nullopt when enum_values is not an object of name -> non-negative number
// (the kernel's enum was not recorded). Zero-valued names are never listed.
std::optional<DecodedFlags> decode_mf_flags(uint64_t value, const nlohmann::json& enum_values);

// The value of one name in the enum; nullopt when the enum lacks it.
std::optional<uint64_t> mf_flag_value(const nlohmann::json& enum_values, std::string_view name);

// A number as a kprobe prints it: "0x23" (x32, x64) or "35" (u64) -> 35;
// nullopt for anything else.
std::optional<uint64_t> parse_trace_number(std::string_view text);

// {"value": "0x23", "names": [...] | null, "unknown_bits": "0x0" | null}:
// names and unknown_bits are null without an enum.
nlohmann::json flags_json(uint64_t value, const nlohmann::json& enum_values);

}  // namespace poisonlab

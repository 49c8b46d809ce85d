#include "run/agent_requests.h"

#include <fmt/format.h>

#include "common/error.h"

namespace poisonlab {
namespace {

using nlohmann::json;

uint64_t unsigned_field(const json& request, const char* key, uint64_t max) {
  if (!request.contains(key) || !request[key].is_number_integer() ||
      (!request[key].is_number_unsigned() && request[key].get<int64_t>() < 0))
    throw UserError(fmt::format("agent request: /{}: expected a non-negative integer", key));
  uint64_t v = request[key].get<uint64_t>();
  if (v > max) throw UserError(fmt::format("agent request: /{}: expected at most {}, got {}", key, max, v));
  return v;
}

std::string mce_command(const json& request) {
  uint64_t cpu = unsigned_field(request, "cpu", 255);
  uint64_t bank = unsigned_field(request, "bank", 31);
  uint64_t status = unsigned_field(request, "status", UINT64_MAX);
  uint64_t mcg_status = unsigned_field(request, "mcg_status", UINT64_MAX);
  uint64_t addr = unsigned_field(request, "addr", UINT64_MAX);
  uint64_t misc = unsigned_field(request, "misc", UINT64_MAX);
  bool broadcast = request.value("broadcast", true);
  return fmt::format("mce {}{} {} {:#x} {:#x} {:#x} {:#x}", broadcast ? "-b " : "", cpu, bank, status, mcg_status,
                     addr, misc);
}

}  // namespace

std::string monitor_command_for(const json& request) {
  std::string action = request.value("action", "");
  if (action == "mce") return mce_command(request);
  throw UserError("agent request: /action: expected \"mce\", got \"" + action + "\"");
}

}  // namespace poisonlab

#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab {

// "20261123-193012-smoke-3f9a": sortable, unique enough for one host.
std::string make_run_id(const std::string& scenario_name);
std::string utc_timestamp();
nlohmann::json host_metadata();
// MemAvailable of /proc/meminfo in MiB (free pages when it cannot be read).
uint64_t available_memory_mib();
nlohmann::json runner_metadata(const std::string& command_line);

}  // namespace poisonlab

#pragma once
// The individual oracles. Each looks at one property of a cell's
// observation and returns pass, fail or skip (its preconditions are absent)
// with the concrete observed values as evidence.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "oracles/observation_model.h"

namespace poisonlab::oracles {

inline constexpr std::string_view kPass = "pass";
inline constexpr std::string_view kFail = "fail";
inline constexpr std::string_view kSkip = "skip";

struct OracleResult {
  std::string name;
  std::string verdict;  // kPass, kFail or kSkip
  nlohmann::json evidence;
  std::string summary;
};

void to_json(nlohmann::json& j, const OracleResult& r);

OracleResult make_result(std::string_view name, bool passed, nlohmann::json evidence, std::string summary);
OracleResult make_skip(std::string_view name, std::string summary, nlohmann::json evidence = nullptr);

// A non-negative count in the cell spec at `pointer` ("/trials",
// "/victims/early_kill"), however it was built: parsed JSON holds unsigned
// numbers, a spec built in C++ from ints holds signed ones.
std::optional<uint64_t> spec_count(const nlohmann::json& cell_spec, std::string_view pointer);

// signal_oracles.cpp
OracleResult early_kill_signalled(const nlohmann::json& cell_spec, const ObservationRecord& obs);
OracleResult si_addr_lsb(const ObservationRecord& obs);
OracleResult neighbour_untouched(const ObservationRecord& obs);
OracleResult late_kill_recorded(const nlohmann::json& cell_spec, const ObservationRecord& obs);
OracleResult reaccess_no_hang(const nlohmann::json& cell_spec, const ObservationRecord& obs);

// injection_oracles.cpp
OracleResult trials_completed(const nlohmann::json& cell_spec, const ObservationRecord& obs);
OracleResult injection_succeeded(const ObservationRecord& obs);
OracleResult pfn_arithmetic(const ObservationRecord& obs);

// log_oracles.cpp
OracleResult dax_active(const ObservationRecord& obs);
OracleResult recovered_per_page(const ObservationRecord& obs);
OracleResult kernel_healthy(const std::vector<std::string>& kernel_log);
OracleResult fs_not_shut_down(const ObservationRecord& obs);
OracleResult memory_failure_traced(const ObservationRecord& obs);

}  // namespace poisonlab::oracles

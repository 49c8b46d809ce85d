#pragma once
// The individual oracles. Each looks at one property of a cell's
// observation and returns pass, fail or skip (its preconditions are absent)
// with the concrete observed values as evidence and a one-line summary.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oracles/observation_model.h"
#include "oracles/poison_model.h"

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

// What every oracle judges: the spec, the parsed observation, the model of
// each trial and the notify-path classification of each trial.
struct Cell {
  const nlohmann::json& spec;
  const ObservationRecord& obs;
  std::vector<TrialModel> models;      // parallel to obs.trials
  std::vector<nlohmann::json> notify;  // classify_notify_path() of each trial
  std::string method;                  // the first trial's method, else the spec's
  std::string target_space;            // the first trial's target space, else the spec's
};

// The header of a victim's evidence entry.
nlohmann::json victim_header(const TrialRecord& t, const VictimRecord& v);

// injection_oracles.cpp
OracleResult trials_completed(const Cell& cell);
OracleResult injection_succeeded(const Cell& cell);
OracleResult pfn_arithmetic(const Cell& cell);
OracleResult soft_offline_refused(const Cell& cell);

// signal_oracles.cpp
OracleResult expected_victims(const Cell& cell);
OracleResult si_addr_lsb(const Cell& cell);
OracleResult neighbour_untouched(const Cell& cell);
OracleResult late_kill_recorded(const Cell& cell);

// revocation_oracles.cpp
OracleResult mappings_revoked(const Cell& cell);
OracleResult unbind_observed(const Cell& cell);

// data_oracles.cpp
OracleResult reaccess_no_hang(const Cell& cell);
OracleResult reaccess_safe(const Cell& cell);
OracleResult pread_media_error(const Cell& cell);
OracleResult data_outside_intact(const Cell& cell);

// log_oracles.cpp
OracleResult dax_active(const Cell& cell);
OracleResult recovered_per_page(const Cell& cell);
OracleResult memory_failure_traced(const Cell& cell);
OracleResult kernel_healthy(const std::vector<std::string>& kernel_log);
OracleResult kernel_healthy(const Cell& cell);

// cxl_oracles.cpp (issue 5)
OracleResult cxl_poison_outcome(const Cell& cell);

// fs_oracles.cpp
OracleResult metadata_poison_handled(const Cell& cell);
OracleResult fs_not_shut_down(const Cell& cell);
OracleResult fsck_clean(const Cell& cell);

}  // namespace poisonlab::oracles

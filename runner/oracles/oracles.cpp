#include "oracles/oracles.h"

#include <vector>

#include "common/error.h"
#include "observe/kernel_log.h"
#include "observe/notify_path.h"
#include "oracles/latency.h"
#include "oracles/observation_model.h"
#include "oracles/oracle_set.h"

namespace poisonlab {
namespace {

using nlohmann::json;
using namespace oracles;

constexpr std::string_view kVerdictPass = "pass";
constexpr std::string_view kVerdictFail = "fail";
constexpr std::string_view kVerdictError = "error";

json identity_fields(const CellIdentity* identity) {
  json cell = json::object();
  if (!identity) return cell;
  cell["id"] = identity->id;
  cell["kernel"] = identity->kernel;
  cell["stack"] = identity->stack;
  cell["method"] = identity->method;
  return cell;
}

std::vector<OracleResult> run_oracles(const json& cell_spec, const ObservationRecord& obs) {
  return {trials_completed(cell_spec, obs),
          dax_active(obs),
          injection_succeeded(obs),
          early_kill_signalled(cell_spec, obs),
          si_addr_lsb(obs),
          neighbour_untouched(obs),
          late_kill_recorded(cell_spec, obs),
          reaccess_no_hang(cell_spec, obs),
          pfn_arithmetic(obs),
          recovered_per_page(obs),
          memory_failure_traced(obs),
          kernel_healthy(obs.kernel_log),
          fs_not_shut_down(obs)};
}

// Per trial and summed over trials.
json aggregate_notify_path(const ObservationRecord& obs, const std::vector<json>& per_trial) {
  json trials = json::array();
  json summary = json::object();
  for (size_t i = 0; i < per_trial.size(); ++i) {
    json t = per_trial[i];
    t["trial"] = obs.trials[i].index;
    for (const auto& [path, count] : per_trial[i]["summary"].items())
      summary[path] = summary.value(path, 0) + count.get<int>();
    trials.push_back(std::move(t));
  }
  return {{"summary", summary}, {"per_trial", trials}, {"trace_enabled", obs.trace_enabled}};
}

json empty_notify_path() {
  return {{"summary", json::object()}, {"per_trial", json::array()}, {"trace_enabled", false}};
}
json empty_latency() { return {{"revocation_ns", json::array()}, {"phases", json::array()}}; }

json errored_cell(json cell, std::string_view status, std::string error, json oracles_json) {
  cell["status"] = status;
  cell["error"] = std::move(error);
  cell["verdict"] = kVerdictError;
  cell["oracles"] = std::move(oracles_json);
  cell["notify_path"] = empty_notify_path();
  cell["latency"] = empty_latency();
  return cell;
}

json judge(const CellIdentity* identity, const json& cell_spec, const json& observation) {
  json cell = identity_fields(identity);
  if (observation.is_null()) {
    cell = errored_cell(cell, "completed", "no observation", json::array());
    cell["observation"] = nullptr;
    return cell;
  }
  try {
    ObservationRecord obs = parse_observation(observation);
    std::vector<json> notify_per_trial;
    for (const TrialRecord& t : obs.trials)
      notify_per_trial.push_back(classify_notify_path(t.trace_events, obs.probes));
    json oracles_json = json::array();
    bool any_failed = false;
    for (const OracleResult& r : run_oracles(cell_spec, obs)) {
      any_failed = any_failed || r.verdict == kFail;
      oracles_json.push_back(r);
    }
    cell["status"] = "completed";
    cell["error"] =
        obs.stack_ok
            ? json(nullptr)
            : json("stack failed: " + (obs.stack_error.empty() ? std::string("(no message)") : obs.stack_error));
    cell["verdict"] = !obs.stack_ok ? kVerdictError : any_failed ? kVerdictFail : kVerdictPass;
    cell["oracles"] = std::move(oracles_json);
    cell["notify_path"] = aggregate_notify_path(obs, notify_per_trial);
    cell["latency"] = compute_latency(obs, notify_per_trial);
  } catch (const InputError& e) {
    cell = errored_cell(identity_fields(identity), "completed", std::string("malformed observation: ") + e.what(),
                        json::array());
  }
  cell["spec"] = cell_spec;  // with the observation, enough to judge the cell again offline
  cell["observation"] = observation;
  return cell;
}

}  // namespace

json judge_cell(const CellIdentity& identity, const json& cell_spec, const json& observation) {
  return judge(&identity, cell_spec, observation);
}

json judge_cell(const json& cell_spec, const json& observation) { return judge(nullptr, cell_spec, observation); }

json judge_failed_cell(const CellIdentity& identity, std::string_view status, std::string_view error_text,
                       std::string_view serial_tail) {
  auto lines = split_log_lines(serial_tail);
  json oracles_json = json::array({kernel_healthy(lines)});
  json cell = errored_cell(identity_fields(&identity), status, std::string(error_text), oracles_json);
  cell["kernel_problems"] = find_kernel_problems(lines);
  cell["observation"] = nullptr;
  return cell;
}

namespace oracles {

void to_json(json& j, const OracleResult& r) {
  j = {{"name", r.name}, {"verdict", r.verdict}, {"evidence", r.evidence}, {"summary", r.summary}};
}

OracleResult make_result(std::string_view name, bool passed, json evidence, std::string summary) {
  return {std::string(name), std::string(passed ? kPass : kFail), std::move(evidence), std::move(summary)};
}

OracleResult make_skip(std::string_view name, std::string summary, json evidence) {
  return {std::string(name), std::string(kSkip), std::move(evidence), std::move(summary)};
}

std::optional<uint64_t> spec_count(const json& cell_spec, std::string_view pointer) {
  json::json_pointer ptr{std::string(pointer)};
  if (!cell_spec.is_object() || !cell_spec.contains(ptr)) return std::nullopt;
  const json& v = cell_spec.at(ptr);
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

}  // namespace oracles
}  // namespace poisonlab

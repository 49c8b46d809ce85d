#include "oracles/oracles.h"

#include <vector>

#include "common/error.h"
#include "observe/kernel_log.h"
#include "observe/notify_path.h"
#include "observe/probe_benchmark.h"
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
  cell["filesystem"] = identity->filesystem;
  cell["target"] = identity->target;
  return cell;
}

std::vector<OracleResult> run_oracles(const Cell& cell) {
  return {trials_completed(cell),
          dax_active(cell),
          kernel_healthy(cell),
          injection_succeeded(cell),
          expected_victims(cell),
          si_addr_lsb(cell),
          neighbour_untouched(cell),
          mappings_revoked(cell),
          late_kill_recorded(cell),
          reaccess_no_hang(cell),
          reaccess_safe(cell),
          pread_media_error(cell),
          data_outside_intact(cell),
          pfn_arithmetic(cell),
          recovered_per_page(cell),
          memory_failure_traced(cell),
          metadata_poison_handled(cell),
          fs_not_shut_down(cell),
          unbind_observed(cell),
          soft_offline_refused(cell),
          fsck_clean(cell),
          cxl_poison_outcome(cell)};
}

std::string spec_string(const json& spec, const char* pointer) {
  json::json_pointer ptr(pointer);
  return spec.is_object() && spec.contains(ptr) && spec.at(ptr).is_string() ? spec.at(ptr).get<std::string>() : "";
}

Cell build_cell(const json& cell_spec, const ObservationRecord& obs) {
  Cell cell{cell_spec,
            obs,
            {},
            {},
            spec_string(cell_spec, "/injection/method"),
            spec_string(cell_spec, "/injection/target/space")};
  for (size_t i = 0; i < obs.trials.size(); ++i) {
    cell.models.push_back(build_trial_model(cell_spec, obs, i));
    cell.notify.push_back(classify_notify_path(obs.trials[i].trace_events, obs.probes, obs.mf_flags));
  }
  if (!obs.trials.empty()) {
    if (!cell.models.front().method.empty()) cell.method = cell.models.front().method;
    if (!obs.trials.front().target_space().empty()) cell.target_space = obs.trials.front().target_space();
  }
  return cell;
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

json judge(const CellIdentity* identity, const json& cell_spec, json observation) {
  json cell = identity_fields(identity);
  if (observation.is_null()) {
    cell = errored_cell(cell, "completed", "no observation", json::array());
    cell["observation"] = nullptr;
    return cell;
  }
  try {
    ObservationRecord obs = parse_observation(observation);
    Cell c = build_cell(cell_spec, obs);
    json oracles_json = json::array();
    bool any_failed = false;
    for (const OracleResult& r : run_oracles(c)) {
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
    cell["notify_path"] = aggregate_notify_path(obs, c.notify);
    cell["latency"] = compute_latency(c);
    if (observation.contains("probe_benchmark"))
      cell["probe_benchmark"] = summarize_probe_benchmark(observation["probe_benchmark"]);
  } catch (const InputError& e) {
    cell = errored_cell(identity_fields(identity), "completed", std::string("malformed observation: ") + e.what(),
                        json::array());
  } catch (const std::exception& e) {
    // An oracle that trips over an observation it did not foresee must not
    // cost the run: the cell keeps its observation and can be judged again.
    cell = errored_cell(identity_fields(identity), "completed", std::string("oracle error: ") + e.what(),
                        json::array());
  }
  cell["spec"] = cell_spec;  // with the observation, enough to judge the cell again offline
  cell["observation"] = std::move(observation);
  return cell;
}

}  // namespace

json judge_cell(const CellIdentity& identity, const json& cell_spec, const json& observation) {
  return judge(&identity, cell_spec, observation);
}

json judge_cell(const CellIdentity& identity, const json& cell_spec, json&& observation) {
  return judge(&identity, cell_spec, std::move(observation));
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

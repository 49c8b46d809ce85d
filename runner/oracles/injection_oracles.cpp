// Oracles about the trials themselves: were they all run, did every
// injection step succeed, do the pfns agree, was soft offlining refused.
#include <fmt/format.h>

#include <cstring>

#include "address/stack_map.h"
#include "oracles/oracle_set.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

json optional_json(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }

std::string errno_text(int64_t err) { return err ? std::strerror(static_cast<int>(err)) : ""; }

// The pfn of a unit's file-system-device byte, recomputed from the stack.
std::optional<uint64_t> stack_pfn(const std::optional<address::StackMap>& map, const UnitRecord& u) {
  if (!map || !u.fs_offset) return std::nullopt;
  auto piece = map->locate(*u.fs_offset);
  if (!piece) return std::nullopt;
  return piece->phys / kPageBytes;
}

std::optional<address::StackMap> map_of(const json& stack) {
  try {
    return address::StackMap::from_json(stack);
  } catch (const std::exception&) {
    return std::nullopt;  // the model already reported a stack it cannot read
  }
}

}  // namespace

OracleResult trials_completed(const Cell& cell) {
  constexpr std::string_view kName = "trials_completed";
  std::optional<uint64_t> trials = spec_count(cell.spec, "/trials");
  if (!trials) return make_skip(kName, "the cell does not say how many trials to run");
  json trial_errors = json::array(), not_injected = json::array();
  size_t injected = 0;
  for (const TrialRecord& t : cell.obs.trials) {
    for (const std::string& e : t.errors) trial_errors.push_back({{"trial", t.index}, {"error", e}});
    if (t.injection)
      ++injected;
    else
      not_injected.push_back(t.index);
  }
  json evidence = {{"wanted", *trials},
                   {"observed", cell.obs.trials.size()},
                   {"injected", injected},
                   {"trials_without_injection", not_injected},
                   {"trial_errors", trial_errors},
                   {"vm_unusable", cell.obs.vm_unusable ? json(*cell.obs.vm_unusable) : json(nullptr)}};
  return make_result(kName, injected == *trials, evidence,
                     fmt::format("{} of {} trials observed, {} reached the injection, {} trial error(s)",
                                 cell.obs.trials.size(), *trials, injected, trial_errors.size()));
}

OracleResult injection_succeeded(const Cell& cell) {
  constexpr std::string_view kName = "injection_succeeded";
  if (cell.obs.trials.empty()) return make_skip(kName, "no trials");
  json failed = json::array(), without_steps = json::array(), not_reached = json::array(),
       kernel_answered = json::array();
  size_t steps = 0;
  std::string first_problem;
  for (const TrialRecord& t : cell.obs.trials) {
    if (!t.injection) {
      not_reached.push_back(t.index);  // aborted before: trials_completed says why
      continue;
    }
    if (t.injection->steps.empty()) {
      without_steps.push_back(t.index);
      continue;
    }
    for (const StepRecord& s : t.injection->steps) {
      ++steps;
      StepOutcome outcome = judge_step(s);
      if (outcome.ok) continue;
      // Delivered: memory_failure ran and its error came back through the
      // write (corrupt-pfn returns what memory_failure returned).
      if (outcome.reached_kernel && !s.hung) {
        kernel_answered.push_back({{"trial", t.index}, {"first_unit", s.first_unit}, {"action", s.action},
                                   {"ret", s.ret}, {"errno", s.err}, {"errno_text", errno_text(s.err)}});
        continue;
      }
      if (first_problem.empty()) first_problem = outcome.problem;
      failed.push_back({{"trial", t.index},
                        {"first_unit", s.first_unit},
                        {"units", s.units},
                        {"action", s.action},
                        {"ret", s.ret},
                        {"errno", s.err},
                        {"errno_text", errno_text(s.err)},
                        {"hung", s.hung},
                        {"host_reply", s.host_reply},
                        {"problem", outcome.problem},
                        {"reached_kernel", outcome.reached_kernel},
                        {"kernel_log", s.kernel_log}});
    }
  }
  json evidence = {{"steps", steps},
                   {"failed", failed},
                   {"delivered_kernel_returned_error", kernel_answered},
                   {"trials_without_steps", without_steps},
                   {"trials_not_reaching_injection", not_reached}};
  if (not_reached.size() == cell.obs.trials.size())
    return make_skip(kName, "no trial reached the injection (see trials_completed)", evidence);
  std::string summary = fmt::format("{} of {} injection steps delivered, {} trial(s) without steps",
                                    steps - failed.size(), steps, without_steps.size());
  if (!kernel_answered.empty())
    summary += fmt::format("; the kernel answered {} delivered step(s) with an error (e.g. {})", kernel_answered.size(),
                           kernel_answered[0]["errno_text"].get<std::string>());
  if (!first_problem.empty()) summary += "; first failure: " + first_problem;
  return make_result(kName, failed.empty() && without_steps.empty(), evidence, summary);
}

OracleResult pfn_arithmetic(const Cell& cell) {
  constexpr std::string_view kName = "pfn_arithmetic";
  json mismatches = json::array();
  size_t units = 0, compared = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    const TrialRecord& t = cell.obs.trials[i];
    std::optional<address::StackMap> map = t.units.empty() ? std::nullopt : map_of(cell.obs.stack_of(i));
    for (const UnitRecord& u : t.units) {
      ++units;
      std::optional<uint64_t> from_phys = u.phys_addr / kPageBytes, from_stack = stack_pfn(map, u);
      json differ = json::array();
      auto check = [&](const char* name, const std::optional<uint64_t>& v) {
        if (!v) return;
        ++compared;
        if (*v != u.pfn_computed) differ.push_back(name);
      };
      check("phys_addr", from_phys);
      check("pfn_stack", from_stack);
      check("pfn_pagemap", u.pfn_pagemap);
      check("pfn_kernel", u.pfn_kernel);
      if (differ.empty()) continue;
      mismatches.push_back({{"trial", t.index},
                            {"unit", u.index},
                            {"file_page", optional_json(u.file_page)},
                            {"pfn_computed", u.pfn_computed},
                            {"phys_addr_pfn", optional_json(from_phys)},
                            {"pfn_stack", optional_json(from_stack)},
                            {"pfn_pagemap", optional_json(u.pfn_pagemap)},
                            {"pfn_kernel", optional_json(u.pfn_kernel)},
                            {"differ", differ}});
    }
  }
  if (units == 0) return make_skip(kName, "no poison units recorded");
  json evidence = {{"units", units}, {"comparisons", compared}, {"mismatches", mismatches}};
  return make_result(kName, mismatches.empty(), evidence,
                     fmt::format("{} unit(s), {} comparison(s) with pfn_computed, {} unit(s) disagree", units, compared,
                                 mismatches.size()));
}

OracleResult soft_offline_refused(const Cell& cell) {
  constexpr std::string_view kName = "soft_offline_refused";
  json judged = json::array(), unanswered = json::array();
  size_t accepted = 0;
  for (const TrialRecord& t : cell.obs.trials) {
    if (!t.soft_offline) continue;
    const SoftOfflineRecord& s = *t.soft_offline;
    json e = {{"trial", t.index},
              {"victim", s.victim ? json(*s.victim) : json(nullptr)},
              {"file_page", optional_json(s.file_page)},
              {"replied", s.replied},
              {"ret", s.ret ? json(*s.ret) : json(nullptr)},
              {"errno", s.err},
              {"errno_text", errno_text(s.err)},
              {"error", s.error ? json(*s.error) : json(nullptr)}};
    if (!s.replied || !s.ret) {
      unanswered.push_back(e);
      continue;
    }
    accepted += *s.ret == 0;
    judged.push_back(e);
  }
  json evidence = {{"attempts", judged}, {"not_run", unanswered}};
  if (judged.empty()) return make_skip(kName, "MADV_SOFT_OFFLINE was not run on a DAX page", evidence);
  return make_result(
      kName, accepted == 0, evidence,
      fmt::format("MADV_SOFT_OFFLINE on a DAX page: {} of {} attempt(s) refused{}", judged.size() - accepted,
                  judged.size(), accepted ? "" : fmt::format(" (errno {})", judged[0]["errno"].get<int64_t>())));
}

}  // namespace poisonlab::oracles

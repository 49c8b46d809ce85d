// Oracles about the trials themselves: were they all run, did every
// injection step succeed, do the pfns agree.
#include <fmt/format.h>

#include <cstring>

#include "oracles/oracle_set.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

json optional_json(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }

std::optional<uint64_t> injected_pfn(const TrialRecord& t, uint64_t file_page) {
  if (!t.injection) return std::nullopt;
  for (const InjectionStep& s : t.injection->steps)
    if (s.file_page == file_page && s.pfn) return s.pfn;
  return std::nullopt;
}

// The names of the pfn sources that disagree with pfn_computed.
json pfn_disagreements(const PoisonedPage& p, const std::optional<uint64_t>& injected) {
  json differ = json::array();
  if (!p.pfn_computed) {
    differ.push_back("pfn_computed missing");
    return differ;
  }
  if (p.pfn_pagemap && *p.pfn_pagemap != *p.pfn_computed) differ.push_back("pfn_pagemap");
  if (p.pfn_kernel && *p.pfn_kernel != *p.pfn_computed) differ.push_back("pfn_kernel");
  if (injected && *injected != *p.pfn_computed) differ.push_back("pfn_injected");
  return differ;
}

}  // namespace

OracleResult trials_completed(const nlohmann::json& cell_spec, const ObservationRecord& obs) {
  constexpr std::string_view kName = "trials_completed";
  std::optional<uint64_t> trials = spec_count(cell_spec, "/trials");
  if (!trials) return make_skip(kName, "the cell does not say how many trials to run");
  uint64_t wanted = *trials;
  json trial_errors = json::array();
  for (const TrialRecord& t : obs.trials)
    for (const std::string& e : t.errors) trial_errors.push_back({{"trial", t.index}, {"error", e}});
  json evidence = {{"wanted", wanted}, {"observed", obs.trials.size()}, {"trial_errors", trial_errors}};
  return make_result(kName, obs.trials.size() == wanted, evidence,
                     fmt::format("{} of {} trials observed, {} non-fatal trial error(s)", obs.trials.size(), wanted,
                                 trial_errors.size()));
}

OracleResult injection_succeeded(const ObservationRecord& obs) {
  constexpr std::string_view kName = "injection_succeeded";
  if (obs.trials.empty()) return make_skip(kName, "no trials");
  json failed = json::array(), without_steps = json::array();
  size_t steps = 0;
  for (const TrialRecord& t : obs.trials) {
    if (!t.injection || t.injection->steps.empty()) {
      without_steps.push_back(t.index);
      continue;
    }
    for (const InjectionStep& s : t.injection->steps) {
      ++steps;
      if (s.ret == 0 && !s.error) continue;
      failed.push_back({{"trial", t.index},
                        {"file_page", s.file_page},
                        {"pages", s.pages},
                        {"pfn", optional_json(s.pfn)},
                        {"ret", s.ret},
                        {"errno", s.err},
                        {"error", s.error ? *s.error : std::string(std::strerror(static_cast<int>(s.err)))}});
    }
  }
  json evidence = {{"steps", steps}, {"failed", failed}, {"trials_without_steps", without_steps}};
  return make_result(kName, failed.empty() && without_steps.empty(), evidence,
                     fmt::format("{} of {} injection steps returned 0, {} trial(s) without steps",
                                 steps - failed.size(), steps, without_steps.size()));
}

OracleResult pfn_arithmetic(const ObservationRecord& obs) {
  constexpr std::string_view kName = "pfn_arithmetic";
  json mismatches = json::array();
  size_t pages = 0, compared = 0;
  for (const TrialRecord& t : obs.trials) {
    for (const PoisonedPage& p : t.pages) {
      ++pages;
      auto injected = injected_pfn(t, p.file_page);
      compared += (p.pfn_pagemap.has_value() + p.pfn_kernel.has_value() + injected.has_value());
      json differ = pfn_disagreements(p, injected);
      if (differ.empty()) continue;
      mismatches.push_back({{"trial", t.index},
                            {"file_page", p.file_page},
                            {"pfn_computed", optional_json(p.pfn_computed)},
                            {"pfn_pagemap", optional_json(p.pfn_pagemap)},
                            {"pfn_kernel", optional_json(p.pfn_kernel)},
                            {"pfn_injected", optional_json(injected)},
                            {"differ", differ}});
    }
  }
  if (pages == 0) return make_skip(kName, "no poisoned pages recorded");
  json evidence = {{"pages", pages}, {"comparisons", compared}, {"mismatches", mismatches}};
  return make_result(kName, mismatches.empty(), evidence,
                     fmt::format("{} page(s), {} comparison(s) with pfn_computed, {} page(s) disagree", pages, compared,
                                 mismatches.size()));
}

}  // namespace poisonlab::oracles

#include "compare/correctness_diff.h"

#include <vector>

#include <fmt/format.h>

#include "report/json_access.h"

namespace poisonlab {

namespace {

using nlohmann::json;

bool cell_failing(const std::string& verdict) { return verdict != "pass"; }
bool oracle_failing(const std::string& verdict) { return verdict == "fail"; }

bool any_of(const VerdictCounts& counts, bool (*failing)(const std::string&)) {
  for (const auto& [verdict, n] : counts)
    if (n > 0 && failing(verdict)) return true;
  return false;
}

json verdict_diff(const VerdictCounts& a, size_t runs_a, const VerdictCounts& b, size_t runs_b,
                  bool (*failing)(const std::string&)) {
  return {{"a", a},
          {"b", b},
          {"state_a", verdict_state(a)},
          {"state_b", verdict_state(b)},
          {"text_a", verdict_counts_text(a, runs_a)},
          {"text_b", verdict_counts_text(b, runs_b)},
          {"change", classify_verdict_change(a, b, failing)}};
}

// "pass", "fail", or e.g. "error (hang)" for a cell that did not complete.
std::string verdict_with_status(const json& cell) {
  std::string verdict = string_or(cell, "verdict", "unknown");
  std::string status = string_or(cell, "status", "completed");
  return status == "completed" ? verdict : verdict + " (" + status + ")";
}

const json& oracles_of(const json& cell) { return member_or_null(cell, "oracles"); }

// Oracle names in first-seen order over both sides' runs.
std::vector<std::string> oracle_names(const SideCell& a, const SideCell& b) {
  std::vector<std::string> names;
  for (const SideCell* side : {&a, &b})
    for (const auto& ref : side->runs) {
      const json& oracles = oracles_of(ref.cell());
      if (!oracles.is_array()) continue;
      for (const auto& oracle : oracles) {
        std::string name = string_or(oracle, "name");
        if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      }
    }
  return names;
}

VerdictCounts oracle_counts(const SideCell& side, const std::string& name) {
  VerdictCounts counts;
  for (const auto& ref : side.runs) {
    const json& oracles = oracles_of(ref.cell());
    if (!oracles.is_array()) continue;
    for (const auto& oracle : oracles)
      if (string_or(oracle, "name") == name) ++counts[string_or(oracle, "verdict", "unknown")];
  }
  return counts;
}

bool has_oracles(const SideCell& side) {
  for (const auto& ref : side.runs) {
    const json& oracles = oracles_of(ref.cell());
    if (oracles.is_array() && !oracles.empty()) return true;
  }
  return false;
}

// Class counts summed over the runs; nullopt when a run has no summary.
std::optional<std::map<std::string, double>> class_totals(const SideCell& side) {
  std::map<std::string, double> totals;
  for (const auto& ref : side.runs) {
    const json& notify_path = member_or_null(ref.cell(), "notify_path");
    const json& summary = member_or_null(notify_path, "summary");
    // Without the trace an empty summary means "not looked", not "none seen".
    if (!summary.is_object() || member_or_null(notify_path, "trace_enabled") == false) return std::nullopt;
    for (const auto& [name, count] : summary.items())
      if (count.is_number()) totals[name] += count.get<double>();
  }
  return totals;
}

}  // namespace

std::string verdict_state(const VerdictCounts& counts) {
  std::string state;
  for (const auto& [verdict, n] : counts) {
    if (n == 0) continue;
    if (!state.empty()) return "mixed";
    state = verdict;
  }
  return state.empty() ? "-" : state;
}

std::string verdict_counts_text(const VerdictCounts& counts, size_t runs) {
  std::string text;
  for (const auto& [verdict, n] : counts) {
    if (n == 0) continue;
    if (!text.empty()) text += ", ";
    text += runs == 1 ? verdict : fmt::format("{} {}/{}", verdict, n, runs);
  }
  return text.empty() ? "-" : text;
}

std::string classify_verdict_change(const VerdictCounts& a, const VerdictCounts& b,
                                    bool (*failing)(const std::string&)) {
  const std::string state_a = verdict_state(a), state_b = verdict_state(b);
  if (state_a == state_b) return "";
  if (state_a == "pass" && any_of(b, failing)) return "regression";
  if (state_b == "pass" && any_of(a, failing)) return "improvement";
  return "changed";
}

json cell_verdict_diff(const SideCell& a, const SideCell& b) {
  auto counts = [](const SideCell& side) {
    VerdictCounts c;
    for (const auto& ref : side.runs) ++c[verdict_with_status(ref.cell())];
    return c;
  };
  return verdict_diff(counts(a), a.runs.size(), counts(b), b.runs.size(), cell_failing);
}

json oracle_diffs(const SideCell& a, const SideCell& b) {
  json diffs = json::array();
  const bool a_judged = has_oracles(a), b_judged = has_oracles(b);
  for (const auto& name : oracle_names(a, b)) {
    VerdictCounts counts_a = oracle_counts(a, name), counts_b = oracle_counts(b, name);
    if ((counts_a.empty() && !a_judged) || (counts_b.empty() && !b_judged)) continue;
    json diff = verdict_diff(counts_a, a.runs.size(), counts_b, b.runs.size(), oracle_failing);
    if (diff["change"] == "") continue;
    diff["oracle"] = name;
    diffs.push_back(std::move(diff));
  }
  return diffs;
}

json notify_path_diff(const SideCell& a, const SideCell& b) {
  auto totals_a = class_totals(a), totals_b = class_totals(b);
  if (!totals_a || !totals_b) return nullptr;
  const double runs_a = static_cast<double>(a.runs.size()), runs_b = static_cast<double>(b.runs.size());
  bool changed = false;
  auto count = [](const std::map<std::string, double>& totals, const std::string& name) {
    auto it = totals.find(name);
    return it == totals.end() ? 0.0 : it->second;
  };
  // Per run, so one run against three of the same cell compares fairly.
  for (const auto* totals : {&*totals_a, &*totals_b})
    for (const auto& [name, unused] : *totals)
      changed |= count(*totals_a, name) * runs_b != count(*totals_b, name) * runs_a;
  return {{"a", *totals_a}, {"b", *totals_b}, {"runs_a", a.runs.size()}, {"runs_b", b.runs.size()}, {"changed", changed}};
}

std::string class_counts_text(const json& counts) {
  std::string text;
  for (const auto& [name, count] : counts.items()) {
    if (count.get<double>() == 0) continue;
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", name, count.get<double>());
  }
  return text.empty() ? "none" : text;
}

}  // namespace poisonlab

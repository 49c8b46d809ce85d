#include "compare/compare_reports.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "compare/correctness_diff.h"
#include "compare/latency_samples.h"
#include "report/json_access.h"

namespace poisonlab {

namespace {

using nlohmann::json;

std::vector<std::string> resolve_metrics(const CompareOptions& options, const Side& a, const Side& b) {
  std::set<std::string> phases = phase_metrics(a);
  phases.merge(phase_metrics(b));
  std::vector<std::string> metrics;
  auto add = [&](const std::string& metric) {
    if (std::find(metrics.begin(), metrics.end(), metric) == metrics.end()) metrics.push_back(metric);
  };
  for (const auto& metric : options.metrics) {
    if (metric == kAllMetrics) {
      add(kRevocationMetric);
      for (const auto& phase : phases) add(phase);
    } else if (metric == kRevocationMetric || phases.contains(metric)) {
      add(metric);
    } else {
      throw UserError(fmt::format("--metric {}: no cell of either side records latency.phases[].{}_ns; "
                                  "the metrics there are: {}{}{}",
                                  metric, metric, kRevocationMetric, phases.empty() ? "" : ", ", fmt::join(phases, ", ")),
                      kExitBadInput);
    }
  }
  if (metrics.empty()) metrics.push_back(kRevocationMetric);
  return metrics;
}

json side_json(const std::vector<NamedReport>& reports, const Side& side) {
  json list = json::array();
  for (const auto& r : reports) {
    const json& run = member_or_null(r.report, "run");
    list.push_back({{"name", r.name},
                    {"run_id", string_or(run, "id")},
                    {"scenario", string_or(member_or_null(run, "scenario"), "name")},
                    {"status", member_or_null(run, "status")}});
  }
  return {{"reports", list}, {"kernels", side.kernels}, {"cells", side.keys.size()}};
}

json side_cell_json(const SideCell& cell) {
  json ids = json::array(), reports = json::array();
  for (const auto& ref : cell.runs) {
    ids.push_back(string_or(ref.cell(), "id"));
    reports.push_back(ref.report->name);
  }
  return {{"kernel", cell.kernel}, {"runs", cell.runs.size()}, {"ids", ids}, {"reports", reports}};
}

const SideCell* find(const Side& side, const std::string& key) {
  auto it = side.cells.find(key);
  return it == side.cells.end() ? nullptr : &it->second;
}

std::vector<std::string> all_keys(const Side& a, const Side& b) {
  std::vector<std::string> keys = a.keys;
  for (const auto& key : b.keys)
    if (!a.cells.contains(key)) keys.push_back(key);
  return keys;
}

// A latency comparison waiting for the family-wide call.
struct PendingLatency {
  size_t cell = 0;
  std::string metric;
  size_t missing_a = 0, missing_b = 0;
  std::vector<double> run_medians_a, run_medians_b;  // for the consistency of a trial-unit call
};

class Comparison {
 public:
  Comparison(const std::vector<NamedReport>& a, const std::vector<NamedReport>& b, const CompareOptions& options)
      : options_(options),
        a_(collect_side("A", a, options.kernel_a)),
        b_(collect_side("B", b, options.kernel_b)),
        unit_(choose_unit(options.unit, a.size(), b.size(), options.change.alpha)) {
    metrics_ = resolve_metrics(options, a_, b_);
    result_ = {{"format", "poisonlab-compare"},
               {"version", kCompareFormatVersion},
               {"options", options_json()},
               {"warnings", unit_warnings(unit_, a.size(), b.size(), options.change.alpha)},
               {"a", side_json(a, a_)},
               {"b", side_json(b, b_)}};
  }

  json run() {
    for (const auto& key : all_keys(a_, b_)) cells_.push_back(cell(key));
    call_latency();
    for (const auto& c : cells_) add_findings(c);
    result_["cells"] = cells_;
    result_["findings"] = findings_;
    result_["summary"] = summary();
    result_["verdict"] = overall_verdict();
    return result_;
  }

 private:
  json options_json() const {
    return {{"threshold", options_.change.threshold},
            {"alpha", options_.change.alpha},
            {"resamples", options_.change.resamples},
            {"metrics", metrics_},
            {"unit", unit_name(unit_)},
            {"kernel_a", options_.kernel_a ? json(*options_.kernel_a) : json(nullptr)},
            {"kernel_b", options_.kernel_b ? json(*options_.kernel_b) : json(nullptr)}};
  }

  json cell(const std::string& key) {
    const SideCell* a = find(a_, key);
    const SideCell* b = find(b_, key);
    json entry = {{"key", key},
                  {"present", a && b ? "both" : a ? "a" : "b"},
                  {"a", a ? side_cell_json(*a) : json(nullptr)},
                  {"b", b ? side_cell_json(*b) : json(nullptr)},
                  {"latency", json::object()},
                  {"verdict", nullptr},
                  {"oracles", json::array()},
                  {"notify_path", nullptr}};
    if (!a || !b) return entry;
    entry["verdict"] = cell_verdict_diff(*a, *b);
    entry["oracles"] = oracle_diffs(*a, *b);
    entry["notify_path"] = notify_path_diff(*a, *b);
    for (const auto& metric : metrics_) add_latency(*a, *b, metric);
    return entry;
  }

  // Unit trial: the trials of all runs pooled; unit run: one median per run.
  void add_latency(const SideCell& a, const SideCell& b, const std::string& metric) {
    const auto runs_a = metric_samples_per_run(a, metric), runs_b = metric_samples_per_run(b, metric);
    const MetricSamples pooled_a = pool_runs(runs_a), pooled_b = pool_runs(runs_b);
    if (!pooled_a.present && !pooled_b.present) return;
    PendingLatency pending{cells_.size(), metric, pooled_a.missing, pooled_b.missing, run_medians(runs_a),
                           run_medians(runs_b)};
    const bool by_run = unit_ == ExperimentalUnit::kRun;
    latency_.push_back(compare_latency(by_run ? pending.run_medians_a : pooled_a.ms,
                                       by_run ? pending.run_medians_b : pooled_b.ms, options_.change));
    pending_.push_back(std::move(pending));
  }

  json consistency(const PendingLatency& pending, const LatencyComparison& c) const {
    if (unit_ != ExperimentalUnit::kTrial) return nullptr;
    auto consistent = consistent_across_runs(pending.run_medians_a, pending.run_medians_b, c.call);
    return consistent ? json(*consistent) : json(nullptr);
  }

  // Benjamini-Hochberg across every (cell, metric) test, then the JSON.
  void call_latency() {
    call_changes(latency_, options_.change);
    for (size_t i = 0; i < latency_.size(); ++i) {
      json j = to_json(latency_[i]);
      j["unit"] = "ms";
      j["missing_a"] = pending_[i].missing_a;
      j["missing_b"] = pending_[i].missing_b;
      j["consistent_across_runs"] = consistency(pending_[i], latency_[i]);
      cells_[pending_[i].cell]["latency"][pending_[i].metric] = std::move(j);
    }
  }

  void finding(const json& cell, const std::string& kind, const std::string& change, bool regression,
               const std::string& text, json extra = json::object()) {
    extra.update({{"kind", kind}, {"key", cell["key"]}, {"change", change}, {"regression", regression}, {"text", text}});
    findings_.push_back(std::move(extra));
  }

  void add_findings(const json& cell) {
    const std::string key = cell["key"];
    if (cell["present"] == "a") return finding(cell, "missing_in_b", "missing", true, key + ": in A, missing in B");
    if (cell["present"] == "b") return finding(cell, "only_in_b", "new", false, key + ": only in B");
    for (const auto& [metric, c] : cell["latency"].items()) add_latency_finding(cell, metric, c);
    const json& verdict = cell["verdict"];
    if (verdict["change"] != "")
      finding(cell, "verdict", verdict["change"], verdict["change"] == "regression",
              fmt::format("{}: verdict {} -> {}", key, verdict["text_a"].get<std::string>(),
                          verdict["text_b"].get<std::string>()));
    for (const auto& o : cell["oracles"])
      finding(cell, "oracle", o["change"], o["change"] == "regression",
              fmt::format("{}: oracle {} {} -> {}", key, o["oracle"].get<std::string>(), o["text_a"].get<std::string>(),
                          o["text_b"].get<std::string>()),
              {{"oracle", o["oracle"]}});
    const json& notify = cell["notify_path"];
    if (notify.is_object() && notify["changed"] == true)
      finding(cell, "notify_path", "changed", false,
              fmt::format("{}: notify path {} -> {}", key, class_counts_text(notify["a"]), class_counts_text(notify["b"])));
  }

  // A call the runs do not all agree with is listed but is no regression.
  void add_latency_finding(const json& cell, const std::string& metric, const json& c) {
    const std::string call = c["call"];
    if (call != "slower" && call != "faster") return;
    const bool consistent = c["consistent_across_runs"] != false;
    finding(cell, "latency", call, call == "slower" && consistent,
            fmt::format("{}: {} {}, median {:.3f} -> {:.3f} ms (B/A {:.2f}, q {:.2g}){}", cell["key"].get<std::string>(),
                        metric, call, c["median_a"].get<double>(), c["median_b"].get<double>(),
                        c["median_b"].get<double>() / c["median_a"].get<double>(), c["q_value"].get<double>(),
                        consistent ? "" : ", not consistent across runs"),
            {{"metric", metric}, {"consistent_across_runs", c["consistent_across_runs"]}});
  }

  json summary() const {
    std::map<std::string, size_t> calls;
    for (const auto& c : latency_) ++calls[c.call];
    size_t regressions = 0, tested = 0, both = 0, inconsistent = 0;
    for (const auto& f : findings_) regressions += f["regression"].get<bool>();
    for (const auto& f : findings_) inconsistent += f.value("consistent_across_runs", json()) == false;
    for (const auto& c : latency_) tested += can_reach(c, options_.change);
    for (const auto& c : cells_) both += c["present"] == "both";
    return {{"cells_a", a_.keys.size()},         {"cells_b", b_.keys.size()},
            {"cells_compared", both},            {"latency_comparisons", latency_.size()},
            {"latency_tests", tested},           {"slower", calls["slower"]},
            {"faster", calls["faster"]},         {"no_change", calls["no change"]},
            {"not_enough_data", calls["not enough data"]},
            {"not_consistent_across_runs", inconsistent},
            {"regressions", regressions},        {"changes", findings_.size()}};
  }

  std::string overall_verdict() const {
    for (const auto& f : findings_)
      if (f["regression"] == true) return "regression";
    return findings_.empty() ? "no change" : "change";
  }

  const CompareOptions& options_;
  Side a_, b_;
  ExperimentalUnit unit_;
  std::vector<std::string> metrics_;
  json result_;
  json cells_ = json::array();
  json findings_ = json::array();
  std::vector<LatencyComparison> latency_;
  std::vector<PendingLatency> pending_;
};

std::vector<NamedReport> named(const std::vector<json>& reports, const std::string& side) {
  std::vector<NamedReport> out;
  for (size_t i = 0; i < reports.size(); ++i) out.push_back({side + std::to_string(i + 1), reports[i]});
  return out;
}

void check_reports(const std::vector<NamedReport>& reports, const char* side) {
  if (reports.empty()) throw UserError(fmt::format("side {} has no report", side), kExitBadInput);
  for (const auto& r : reports)
    if (!r.report.is_object() || !r.report.contains("cells") || !r.report["cells"].is_array())
      throw InputError(r.name, "/cells", "expected an array of cells (a poisonlab report)");
}

}  // namespace

json compare_reports(const std::vector<NamedReport>& a, const std::vector<NamedReport>& b,
                     const CompareOptions& options) {
  check_reports(a, "A");
  check_reports(b, "B");
  return Comparison(a, b, options).run();
}

json compare_reports(const std::vector<json>& a, const std::vector<json>& b, const CompareOptions& options) {
  return compare_reports(named(a, "A"), named(b, "B"), options);
}

std::optional<FailOn> parse_fail_on(const std::string& text) {
  if (text == "regression") return FailOn::kRegression;
  if (text == "change") return FailOn::kChange;
  if (text == "never") return FailOn::kNever;
  return std::nullopt;
}

int compare_exit_code(const json& result, FailOn fail_on) {
  const std::string verdict = result.value("verdict", "");
  if (fail_on == FailOn::kRegression && verdict == "regression") return kExitRegression;
  if (fail_on == FailOn::kChange && verdict != "no change") return kExitRegression;
  return kExitOk;
}

}  // namespace poisonlab

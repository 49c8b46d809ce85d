#include "history/history_regressions.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "compare/experimental_unit.h"
#include "compare/statistics.h"
#include "history/history_trend.h"
#include "common/text_table.h"

namespace poisonlab {
namespace {

using nlohmann::json;

// What the baseline window holds of one cell key.
struct BaselineCell {
  std::vector<double> samples_ms;      // pooled over the window's runs
  std::vector<double> run_medians_ms;  // one per run with samples
  size_t runs = 0, passes = 0;
};

std::map<std::string, BaselineCell> pooled_baseline(const HistoryStore& store, const VariantCheck& check,
                                                    const std::string& metric) {
  std::map<std::string, BaselineCell> pooled;
  for (const VariantRun& run : check.baseline)
    for (const CellRow& cell : store.cells({check.variant, check.scenario, std::nullopt, run.run_id}, metric)) {
      BaselineCell& into = pooled[cell.key];
      into.samples_ms.insert(into.samples_ms.end(), cell.samples_ms.begin(), cell.samples_ms.end());
      if (!cell.samples_ms.empty()) into.run_medians_ms.push_back(median(cell.samples_ms));
      ++into.runs;
      into.passes += cell.verdict == "pass";
    }
  return pooled;
}

void check_cells(const HistoryStore& store, VariantCheck& check, const RegressionOptions& options) {
  auto baseline = pooled_baseline(store, check, options.metric);
  for (const CellRow& cell :
       store.cells({check.variant, check.scenario, std::nullopt, check.latest.run_id}, options.metric)) {
    const BaselineCell& before = baseline[cell.key];
    check.cells.push_back({cell.key, cell.id, cell.verdict, cell.status, before.runs, before.passes,
                           compare_latency(before.samples_ms, cell.samples_ms, options.change),
                           before.run_medians_ms, std::nullopt});
  }
}

// One Benjamini-Hochberg family over every cell of every check, as
// `poisonlab compare` does over every cell of its two runs.
void call_all(RegressionReport& report, const ChangeOptions& options) {
  std::vector<LatencyComparison> all;
  for (const VariantCheck& check : report.checks)
    for (const CellCheck& cell : check.cells) all.push_back(cell.latency);
  call_changes(all, options);
  size_t i = 0;
  for (VariantCheck& check : report.checks)
    for (CellCheck& cell : check.cells) cell.latency = all[i++];
}

// The rule of `poisonlab compare` for pooled trials of several runs: a call
// holds only if the latest run's median is beyond the baseline's
// run-to-run range. One baseline run has no range: not checked.
void check_across_runs(CellCheck& cell) {
  if (cell.baseline_run_medians_ms.size() < 2 || cell.latency.n_b == 0) return;
  cell.consistent_across_runs = beyond_every_run(cell.baseline_run_medians_ms, {cell.latency.median_b}, cell.latency.call);
}

std::string call_text(const CellCheck& cell) {
  return cell.consistent_across_runs == false ? cell.latency.call + "?" : cell.latency.call;
}

size_t not_consistent(const RegressionReport& report) {
  size_t count = 0;
  for (const VariantCheck& check : report.checks)
    for (const CellCheck& cell : check.cells) count += cell.consistent_across_runs == false;
  return count;
}

std::string run_range_text(const CellCheck& cell) {
  const auto& medians = cell.baseline_run_medians_ms;
  if (medians.empty()) return "-";
  const auto [low, high] = std::minmax_element(medians.begin(), medians.end());
  return fmt::format("{:.3f} .. {:.3f}", *low, *high);
}

std::string regression_kind(const CellCheck& cell) {
  if (cell.latency_regression() && cell.verdict_regression()) return "latency+verdict";
  if (cell.latency_regression()) return "latency";
  if (cell.verdict_regression()) return "verdict";
  return "";
}

std::string ratio_text(const LatencyComparison& latency) {
  if (!latency.ratio) return "-";
  return fmt::format("{:.2f} [{:.2f}, {:.2f}]", latency.ratio->ratio, latency.ratio->low, latency.ratio->high);
}

std::string baseline_verdicts(const CellCheck& cell) {
  if (cell.baseline_runs_with_cell == 0) return "-";
  return fmt::format("{}/{} pass", cell.baseline_passes, cell.baseline_runs_with_cell);
}

std::string format_check(const VariantCheck& check) {
  std::string out =
      fmt::format("{} / {}: run {} ({})", check.variant, check.scenario, check.latest.run_id, check.latest.started_at);
  if (check.baseline.empty()) return out + ": no earlier run to compare with\n";
  out += fmt::format(" against {} earlier run{} ({} .. {})\n", check.baseline.size(),
                     check.baseline.size() == 1 ? "" : "s", check.baseline.back().started_at,
                     check.baseline.front().started_at);
  TextTable table({{"cell"},
                   {"base n", true},
                   {"base median ms", true},
                   {"base run medians ms", true},
                   {"n", true},
                   {"median ms", true},
                   {"ratio [95% CI]", true},
                   {"q", true},
                   {"call"},
                   {"base verdicts"},
                   {"verdict"},
                   {"regression"}});
  for (const CellCheck& cell : check.cells) {
    const LatencyComparison& c = cell.latency;
    table.add_row({cell.key, std::to_string(c.n_a), c.n_a ? fmt::format("{:.3f}", c.median_a) : "-",
                   run_range_text(cell), std::to_string(c.n_b), c.n_b ? fmt::format("{:.3f}", c.median_b) : "-", ratio_text(c),
                   c.call == "not enough data" ? "-" : fmt::format("{:.3g}", c.q_value), call_text(cell),
                   baseline_verdicts(cell),
                   verdict_with_status(cell.verdict, cell.status), regression_kind(cell)});
  }
  return out + table.format("  ");
}

json run_json(const VariantRun& run) { return {{"run_id", run.run_id}, {"started_at", run.started_at}}; }

}  // namespace

size_t RegressionReport::regressions() const {
  size_t count = 0;
  for (const VariantCheck& check : checks)
    for (const CellCheck& cell : check.cells) count += cell.regression();
  return count;
}

RegressionReport find_regressions(const HistoryStore& store, const RegressionOptions& options) {
  require_metric(store, options.metric);
  RegressionReport report;
  for (VariantRun& run : store.latest_runs(options.baseline_runs + 1)) {  // newest first per (variant, scenario)
    bool same_group = !report.checks.empty() && report.checks.back().variant == run.variant &&
                      report.checks.back().scenario == run.scenario;
    if (same_group)
      report.checks.back().baseline.push_back(std::move(run));
    else
      report.checks.push_back({run.variant, run.scenario, std::move(run), {}, {}});
  }
  for (VariantCheck& check : report.checks)
    if (!check.baseline.empty()) check_cells(store, check, options);
  call_all(report, options.change);
  for (VariantCheck& check : report.checks)
    for (CellCheck& cell : check.cells) check_across_runs(cell);
  return report;
}

std::string format_regressions(const RegressionReport& report, const RegressionOptions& options) {
  std::string out = fmt::format(
      "{} latency of each variant's latest run against its previous {} run{} of the scenario "
      "(threshold {:g} %, alpha {:g})\n",
      options.metric, options.baseline_runs, options.baseline_runs == 1 ? "" : "s", options.change.threshold * 100,
      options.change.alpha);
  if (report.checks.empty()) return out + "the history holds no run\n";
  size_t cells = 0;
  for (const VariantCheck& check : report.checks) {
    out += format_check(check);
    cells += check.cells.size();
  }
  if (size_t doubtful = not_consistent(report))
    out += fmt::format(
        "{} call{} marked ? (slower? / faster?): the pooled trials call it, but the latest run's median is not "
        "beyond every baseline run's median (not consistent across runs): not counted as a regression\n",
        doubtful, doubtful == 1 ? "" : "s");
  size_t found = report.regressions();
  if (found == 0) return out + fmt::format("no regression in {} cells checked\n", cells);
  out += fmt::format("{} regression{} in {} cells checked:\n", found, found == 1 ? "" : "s", cells);
  for (const VariantCheck& check : report.checks)
    for (const CellCheck& cell : check.cells)
      if (cell.regression())
        out +=
            fmt::format("  {} / {} {}: {} ({} -> {} ms median; verdict {})\n", check.variant, check.scenario, cell.key,
                        regression_kind(cell), cell.latency.n_a ? fmt::format("{:.3f}", cell.latency.median_a) : "-",
                        cell.latency.n_b ? fmt::format("{:.3f}", cell.latency.median_b) : "-", cell.verdict);
  return out;
}

json to_json(const RegressionReport& report, const RegressionOptions& options) {
  json checks = json::array();
  for (const VariantCheck& check : report.checks) {
    json baseline = json::array();
    for (const VariantRun& run : check.baseline) baseline.push_back(run_json(run));
    json cells = json::array();
    for (const CellCheck& cell : check.cells) {
      json latency = to_json(cell.latency);
      latency["consistent_across_runs"] =
          cell.consistent_across_runs ? json(*cell.consistent_across_runs) : json(nullptr);
      cells.push_back({{"key", cell.key},
                       {"id", cell.id},
                       {"verdict", cell.verdict},
                       {"status", cell.status},
                       {"baseline_runs_with_cell", cell.baseline_runs_with_cell},
                       {"baseline_passes", cell.baseline_passes},
                       {"baseline_run_medians_ms", cell.baseline_run_medians_ms},
                       {"latency", std::move(latency)},
                       {"latency_regression", cell.latency_regression()},
                       {"verdict_regression", cell.verdict_regression()}});
    }
    checks.push_back({{"variant", check.variant},
                      {"scenario", check.scenario},
                      {"latest", run_json(check.latest)},
                      {"baseline", std::move(baseline)},
                      {"cells", std::move(cells)}});
  }
  return {{"metric", options.metric},
          {"baseline_runs", options.baseline_runs},
          {"threshold", options.change.threshold},
          {"alpha", options.change.alpha},
          {"regressions", report.regressions()},
          {"checks", std::move(checks)}};
}

}  // namespace poisonlab

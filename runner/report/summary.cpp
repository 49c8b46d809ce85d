#include "report/summary.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "common/text_table.h"
#include "report/fio_summary.h"
#include "report/json_access.h"
#include "report/perf_report.h"
#include "report/report.h"

namespace poisonlab {
using nlohmann::json;

namespace {

using Row = std::vector<std::string>;

// rows[0] is the header. Text columns are left-aligned, the others
// (numbers) right-aligned.
std::string render_table(const std::vector<Row>& rows, const std::vector<bool>& left_aligned) {
  std::vector<TextTable::Column> columns;
  for (size_t c = 0; c < rows[0].size(); ++c) columns.push_back({rows[0][c], !left_aligned[c]});
  TextTable table(std::move(columns));
  for (size_t r = 1; r < rows.size(); ++r) table.add_row(rows[r]);
  return table.format();
}

std::string verdict_text(const json& cell) {
  std::string verdict = string_or(cell, "verdict", "?");
  std::string status = string_or(cell, "status");
  if (!status.empty() && status != "completed") verdict += " (" + status + ")";
  return verdict;
}

std::string oracle_counts(const json& cell) {
  int pass = 0, fail = 0, skip = 0;
  const json& oracles = member_or_null(cell, "oracles");
  if (oracles.is_array()) {
    for (const auto& o : oracles) {
      std::string v = string_or(o, "verdict");
      pass += v == "pass";
      fail += v == "fail";
      skip += v == "skip";
    }
  }
  return fmt::format("{}/{}/{}", pass, fail, skip);
}

std::string milliseconds(const json& stats, const char* key) {
  const json& value = member_or_null(stats, key);
  return value.is_number() ? fmt::format("{:.3f}", value.get<double>()) : "-";
}

std::string trial_count(const json& cell) {
  const json& trials = member_or_null(member_or_null(cell, "observation"), "trials");
  if (trials.is_array()) return std::to_string(trials.size());
  const json& samples = member_or_null(member_or_null(cell, "latency"), "revocation_ns");
  return samples.is_array() ? std::to_string(samples.size()) : "-";
}

Row cell_row(const json& cell) {
  const json& stats = member_or_null(member_or_null(cell, "latency"), "revocation_ms_stats");
  return {string_or(cell, "id", "?"),
          verdict_text(cell),
          oracle_counts(cell),
          dominant_notify_path(cell),
          milliseconds(stats, "p50"),
          milliseconds(stats, "p99"),
          milliseconds(stats, "max"),
          trial_count(cell)};
}

std::string totals_line(const json& cells) {
  json t = count_verdicts(cells);
  return fmt::format("{} cells: {} passed, {} failed, {} errored; oracles: {} pass, {} fail, {} skip\n",
                     t["cells"].get<int>(), t["passed"].get<int>(), t["failed"].get<int>(), t["errored"].get<int>(),
                     t["oracles"]["pass"].get<int>(), t["oracles"]["fail"].get<int>(), t["oracles"]["skip"].get<int>());
}

// Cells that did not complete, with their error text (first line, shortened).
// "0 trials done; injection at 4204 of 262144 units after 24.1 s": what a
// cell that never finished had got through (its "partial").
std::string partial_text(const json& partial) {
  if (!partial.is_object()) return "";
  const json& done = member_or_null(partial, "trials_done");
  std::string out = fmt::format("{} trial(s) done", done.is_array() ? done.size() : 0);
  const json& inject = member_or_null(partial, "injection_progress");
  const json &units_done = member_or_null(inject, "units_done"), &units = member_or_null(inject, "units"),
             &elapsed = member_or_null(inject, "elapsed_ns");
  if (units_done.is_number() && units.is_number() && elapsed.is_number())
    out += fmt::format("; injection of trial {} at {} of {} units after {:.1f} s", member_or_null(inject, "trial").dump(),
                       units_done.dump(), units.dump(), elapsed.get<double>() / 1e9);
  return out;
}

std::string problems(const json& cells) {
  std::string out;
  for (const auto& cell : cells) {
    std::string status = string_or(cell, "status");
    std::string error = string_or(cell, "error");
    if (status == "completed" && error.empty()) continue;
    error = error.substr(0, error.find('\n'));
    if (error.size() > 160) error = error.substr(0, 157) + "...";
    out += fmt::format("  {}: {}{}{}\n", string_or(cell, "id", "?"), status.empty() ? "?" : status,
                       error.empty() ? "" : ": ", error);
    if (std::string partial = partial_text(member_or_null(cell, "partial")); !partial.empty())
      out += "    partial: " + partial + "\n";
  }
  return out.empty() ? out : "not completed:\n" + out;
}

}  // namespace

std::string dominant_notify_path(const json& cell) {
  const json& counts = member_or_null(member_or_null(cell, "notify_path"), "summary");
  if (!counts.is_object()) return "-";
  std::string best;
  long long best_count = 0;
  int classes_seen = 0;
  for (const auto& [name, count] : counts.items()) {  // object keys iterate in sorted order
    if (!count.is_number() || count.get<long long>() <= 0) continue;
    ++classes_seen;
    if (count.get<long long>() > best_count) {
      best = name;
      best_count = count.get<long long>();
    }
  }
  if (classes_seen == 0) return "-";
  return classes_seen > 1 ? best + " (mixed)" : best;
}

// "1.02 (r2 0.98)" or "-" for a fit that could not be made.
std::string exponent_text(const json& fit) {
  const json &ok = member_or_null(fit, "ok"), &slope = member_or_null(fit, "slope"),
             &r_squared = member_or_null(fit, "r_squared");
  if (ok != true || !slope.is_number() || !r_squared.is_number()) return "-";
  return fmt::format("{:.2f} (r2 {:.2f})", slope.get<double>(), r_squared.get<double>());
}

// One line per sweep series: how revocation and kernel handling scale.
std::string series_table(const json& report) {
  const json& series = member_or_null(report, "series");
  if (!series.is_array() || series.empty()) return "";
  std::vector<Row> rows{{"series", "swept", "points", "revocation exponent", "kernel handling exponent"}};
  for (const json& s : series) {
    const json& fits = member_or_null(s, "fits");
    const json& points = member_or_null(s, "points");
    rows.push_back({string_or(s, "series", "?"), string_or(s, "parameter", "?"),
                    std::to_string(points.is_array() ? points.size() : 0),
                    exponent_text(member_or_null(fits, "revocation_ms_p50")),
                    exponent_text(member_or_null(fits, "kernel_handling_ms_p50"))});
  }
  return "\nscaling (log-log slope of the p50 against the swept value):\n" +
         render_table(rows, {true, true, false, false, false});
}

// measured: the target's value, to tell "nothing measured it" from "the
// measurements do not decide" (tracing overhead with wide intervals).
std::string met_text(const json& target, const json& measured) {
  const json& met = member_or_null(target, "met");
  if (met.is_boolean()) return met.get<bool>() ? "met" : "NOT met";
  return measured.is_number() ? "undecided (intervals too wide)" : "not measured";
}

std::string number_text(const json& value, const char* format_with_unit) {
  return value.is_number() ? fmt::format(fmt::runtime(format_with_unit), value.get<double>()) : "-";
}

// The framework's own targets (run.speed_targets), one line each.
std::string speed_lines(const json& report) {
  const json& t = member_or_null(member_or_null(report, "run"), "speed_targets");
  if (!t.is_object()) return "";
  const json &boot = member_or_null(t, "boot_to_ready_s"), &rate = member_or_null(t, "trials_per_hour"),
             &trace = member_or_null(t, "tracing_overhead"), &rss = member_or_null(t, "runner_max_rss_mib");
  std::string out = "\nspeed targets:\n";
  out += fmt::format("  boot to agent ready, median  {:>10}  target <= 4 s      {}\n",
                     number_text(member_or_null(boot, "median_s"), "{:.1f} s"), met_text(boot, member_or_null(boot, "median_s")));
  out += fmt::format("  injection trials per hour    {:>10}  target >= 1000     {} ({} at the median trial)\n",
                     number_text(member_or_null(rate, "per_hour"), "{:.0f}"), met_text(rate, member_or_null(rate, "per_hour")),
                     number_text(member_or_null(rate, "per_hour_at_median_trial"), "{:.0f}"));
  out += fmt::format("  tracing overhead, median     {:>10}  target < 5 %       {}\n",
                     number_text(member_or_null(trace, "median_pct"), "{:.1f} %"), met_text(trace, member_or_null(trace, "median_pct")));
  out += fmt::format("  runner resident memory       {:>10}  target < 100 MiB   {}\n",
                     number_text(member_or_null(rss, "value"), "{:.0f} MiB"), met_text(rss, member_or_null(rss, "value")));
  return out;
}

std::string format_summary(const json& report) {
  const json& cells_or_null = member_or_null(report, "cells");
  const json cells = cells_or_null.is_array() ? cells_or_null : json::array();
  std::vector<Row> rows{{"cell", "verdict", "oracles p/f/s", "notify path", "revocation p50 ms", "p99 ms", "max ms", "trials"}};
  for (const auto& cell : cells) rows.push_back(cell_row(cell));
  std::string out;
  std::string status = string_or(member_or_null(report, "run"), "status");
  if (!status.empty()) out += "run status: " + status + "\n";
  out += render_table(rows, {true, true, false, true, false, false, false, false});
  out += totals_line(cells);
  out += problems(cells);
  out += series_table(report);
  out += perf_summary_text(report);
  out += fio_table(cells);
  out += speed_lines(report);
  return out;
}

}  // namespace poisonlab

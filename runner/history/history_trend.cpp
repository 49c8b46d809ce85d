#include "history/history_trend.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "common/text_table.h"

namespace poisonlab {
namespace {

using nlohmann::json;

std::string describe_filter(const TrendOptions& options) {
  std::string out;
  auto add = [&](const char* name, const std::optional<std::string>& value) {
    if (value) out += fmt::format(" {} {}", name, *value);
  };
  add("variant", options.filter.variant);
  add("scenario", options.filter.scenario);
  add("cell", options.filter.key);
  return out;
}

}  // namespace

void require_metric(const HistoryStore& store, const std::string& metric) {
  auto metrics = store.metrics();
  if (metric == kRevocationMetric || std::find(metrics.begin(), metrics.end(), metric) != metrics.end()) return;
  throw UserError(fmt::format("{}: no samples of metric \"{}\"; the store has: {}", store.file().string(), metric,
                              metrics.empty() ? std::string("none") : fmt::format("{}", fmt::join(metrics, ", "))),
                  kExitBadInput);
}

std::vector<TrendRow> history_trend(const HistoryStore& store, const TrendOptions& options) {
  require_metric(store, options.metric);
  std::vector<TrendRow> rows;
  for (CellRow& cell : store.cells(options.filter, options.metric)) {
    Summary stats = summarize(cell.samples_ms);
    rows.push_back({std::move(cell), std::move(stats)});
  }
  return rows;
}

std::string verdict_with_status(const std::string& verdict, const std::string& status) {
  if (status.empty() || status == "completed") return verdict;
  return fmt::format("{} ({})", verdict, status);
}

std::string format_trend(const std::vector<TrendRow>& rows, const TrendOptions& options) {
  std::string title = fmt::format("{} latency by run{}", options.metric, describe_filter(options));
  if (rows.empty()) return title + ": no matching cells in the history\n";
  TextTable table({{"date"}, {"run"}, {"variant"}, {"cell"}, {"n", true}, {"p50 ms", true},
                   {"p50 95% CI", true}, {"verdict"}});
  for (const TrendRow& row : rows) {
    const Summary& s = row.stats;
    std::string p50 = s.n ? fmt::format("{:.3f}", s.p50) : "-";
    std::string ci = s.p50_ci95 ? fmt::format("[{:.3f}, {:.3f}]", s.p50_ci95->interval.low, s.p50_ci95->interval.high)
                                : "-";
    table.add_row({row.cell.started_at, row.cell.run_id, row.cell.variant, row.cell.key, std::to_string(s.n), p50, ci,
                   verdict_with_status(row.cell.verdict, row.cell.status)});
  }
  return title + "\n" + table.format();
}

json trend_json(const std::vector<TrendRow>& rows, const TrendOptions& options) {
  json out = {{"metric", options.metric},
              {"filter",
               {{"variant", string_or_null(options.filter.variant)},
                {"scenario", string_or_null(options.filter.scenario)},
                {"cell", string_or_null(options.filter.key)}}},
              {"rows", json::array()}};
  for (const TrendRow& row : rows) {
    const CellRow& cell = row.cell;
    out["rows"].push_back({{"started_at", cell.started_at},
                           {"run_id", cell.run_id},
                           {"variant", cell.variant},
                           {"scenario", cell.scenario},
                           {"key", cell.key},
                           {"id", cell.id},
                           {"verdict", cell.verdict},
                           {"status", cell.status},
                           {"samples_ms", cell.samples_ms},
                           {"stats", to_json(row.stats)}});
  }
  return out;
}

}  // namespace poisonlab

#pragma once
// `poisonlab history trend`: one row per (run, variant, cell) in date order
// with the statistics of one latency metric, as a text table or JSON.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "history/history_store.h"
#include "report/stats.h"

namespace poisonlab {

struct TrendOptions {
  CellFilter filter;  // variant, scenario, cell key (run_id unused)
  std::string metric = kRevocationMetric;
};

struct TrendRow {
  CellRow cell;
  Summary stats;  // of cell.samples_ms, as the report's *_ms_stats
};

// UserError (exit 2) when the metric has no sample anywhere in the store,
// listing the metrics it has.
std::vector<TrendRow> history_trend(const HistoryStore& store, const TrendOptions& options);
// Rejects a metric the store has no sample of: shared by trend and regressions.
void require_metric(const HistoryStore& store, const std::string& metric);

// Columns: date, run, variant, cell, n, p50 ms, p50 95 % CI, verdict.
std::string format_trend(const std::vector<TrendRow>& rows, const TrendOptions& options);
// {"metric", "filter": {"variant", "scenario", "cell"}, "rows": [{"started_at",
//  "run_id", "variant", "scenario", "key", "id", "verdict", "status",
//  "samples_ms", "stats": {n, min, p50, ..., p50_ci95}}]}
nlohmann::json trend_json(const std::vector<TrendRow>& rows, const TrendOptions& options);

// "pass", or the verdict with the status when the cell did not complete.
std::string verdict_with_status(const std::string& verdict, const std::string& status);

}  // namespace poisonlab

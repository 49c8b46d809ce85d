#pragma once
// `poisonlab history regressions`: for each (variant, scenario), the latest
// run's cells against the pooled samples and verdicts of that variant's
// previous runs of the scenario (the baseline window). A regression is a
// latency call of "slower" (compare/latency_change.h: ratio beyond the
// threshold and BH q-value below alpha over every comparison made) that is
// consistent across runs, or a cell that passed in every baseline run that
// has it and does not pass now. The trials of one run share its VM and the
// host's load, so the pooled test alone takes host drift for a change: the
// latest run's median must also lie above every baseline run's median
// (compare/experimental_unit.h, beyond_every_run), else the call is
// "slower?" and no regression.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/latency_change.h"
#include "history/history_store.h"

namespace poisonlab {

struct RegressionOptions {
  size_t baseline_runs = 5;
  ChangeOptions change;
  std::string metric = kRevocationMetric;
};

struct CellCheck {
  std::string key, id, verdict, status;  // of the latest run
  size_t baseline_runs_with_cell = 0;
  size_t baseline_passes = 0;            // of those runs, how many passed it
  LatencyComparison latency;             // a = pooled baseline, b = latest run
  std::vector<double> baseline_run_medians_ms;  // one per baseline run with samples, newest first
  // Whether a slower/faster call lies beyond every baseline run's median;
  // nullopt when not a change or fewer than two baseline runs have samples.
  std::optional<bool> consistent_across_runs;

  bool latency_regression() const { return latency.call == "slower" && consistent_across_runs != false; }
  // Passed in the whole baseline (at least one run), does not pass now.
  bool verdict_regression() const {
    return verdict != "pass" && baseline_runs_with_cell > 0 && baseline_passes == baseline_runs_with_cell;
  }
  bool regression() const { return latency_regression() || verdict_regression(); }
};

struct VariantCheck {
  std::string variant, scenario;
  VariantRun latest;
  std::vector<VariantRun> baseline;  // newest first
  std::vector<CellCheck> cells;      // the latest run's cells, in report order
};

struct RegressionReport {
  std::vector<VariantCheck> checks;  // by variant, then scenario
  size_t regressions() const;
};

RegressionReport find_regressions(const HistoryStore& store, const RegressionOptions& options);
std::string format_regressions(const RegressionReport& report, const RegressionOptions& options);
// {"metric", "baseline_runs", "threshold", "alpha", "regressions": n,
//  "checks": [{"variant", "scenario", "latest": {"run_id", "started_at"},
//   "baseline": [{"run_id", "started_at"}], "cells": [{"key", "id", "verdict",
//   "status", "baseline_runs_with_cell", "baseline_passes",
//   "baseline_run_medians_ms": [...], "latency": <compare to_json> +
//   "consistent_across_runs" (bool or null), "latency_regression",
//   "verdict_regression"}]}]}
nlohmann::json to_json(const RegressionReport& report, const RegressionOptions& options);

}  // namespace poisonlab

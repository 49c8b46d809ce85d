#pragma once
// The perf part of a cell report (reports/README.md, "perf"): the trials'
// perf stat counts and perf record profiles as the agent observed them, and
// their aggregates over the cell.
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab {

// Top kernel functions a cell's aggregate lists.
inline constexpr size_t kPerfTopFunctions = 15;

// The judged cell with "perf" when a trial of its observation has perf:
// {"trials": [per trial {"trial", "stat", "record"}: the observation's, with
//   record.folded made relative to the run directory],
//  "counts": {event: {"per_trial": [count | null], "total", "stats"}},
//  "record": {"trials_recorded", "samples", "idle_samples",
//   "kernel_leaf_samples", "top_self", "top_inclusive" (each entry
//   {"function", "samples", "share"}, share of the busy samples), "folded"},
//  "cost_ms_stats": {"perf_start" | "perf_stop" | "perf_script": stats of
//   the agent's phases_ns}, "errors": [...]}.
// A cell without perf is returned unchanged.
nlohmann::json with_perf_summary(nlohmann::json judged_cell);

// A table of the cells with perf for `poisonlab summary`, or "".
std::string perf_summary_text(const nlohmann::json& report);

}  // namespace poisonlab

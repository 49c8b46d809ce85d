#pragma once
// The latency samples of one metric of a cell, pooled over a side's runs,
// in milliseconds.
//   "revocation": latency.revocation_ns[]
//   a phase name, e.g. "kernel_handling": latency.phases[].kernel_handling_ns
// A null sample (or a trial whose phases are null, or lack the phase while
// other trials have it) is dropped and counted as missing.
#include <set>
#include <string>
#include <vector>

#include "compare/report_side.h"

namespace poisonlab {

inline constexpr const char* kRevocationMetric = "revocation";

struct MetricSamples {
  std::vector<double> ms;
  size_t missing = 0;
  bool present = false;  // some run of the cell records this metric at all
};

// Samples of metric over every run of the cell; InputError (file, JSON
// pointer) when a sample is neither a number nor null.
MetricSamples metric_samples(const SideCell& cell, const std::string& metric);
// The same, one entry per run of the cell (in the cell's run order).
std::vector<MetricSamples> metric_samples_per_run(const SideCell& cell, const std::string& metric);
// The runs' samples pooled into one (what metric_samples returns).
MetricSamples pool_runs(const std::vector<MetricSamples>& runs);
// The median of each run that has samples: a run's one sample when the run,
// not the trial, is the experimental unit.
std::vector<double> run_medians(const std::vector<MetricSamples>& runs);

// The phase metrics a side's cells record (each "<name>_ns" of a trial's
// latency.phases holding a number), sorted.
std::set<std::string> phase_metrics(const Side& side);

}  // namespace poisonlab

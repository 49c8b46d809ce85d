#pragma once
// The experimental unit of a latency comparison. The trials of one run share
// its VM and that moment's host load, so they are not independent draws:
// pooling trials over runs (unit "trial") lets run-to-run variation pass for
// a change. With unit "run" each run contributes one sample per cell and
// metric, the median of its trials (reports/compare.md, "Experimental unit").
#include <optional>
#include <string>
#include <vector>

namespace poisonlab {

enum class ExperimentalUnit { kTrial, kRun };

// "trial" | "run"; nullopt for anything else.
std::optional<ExperimentalUnit> parse_unit(const std::string& text);
std::string unit_name(ExperimentalUnit unit);

// The smallest number of runs a side that lets the exact Mann-Whitney test
// reach p < alpha with as many runs on both sides (4 at alpha 0.05).
size_t runs_needed_per_side(double alpha);

// The unit asked for, else the default: run when both sides have at least
// runs_needed_per_side(alpha) reports, else trial.
ExperimentalUnit choose_unit(std::optional<ExperimentalUnit> asked, size_t reports_a, size_t reports_b,
                             double alpha);

// Warnings about the unit for the result's "warnings": trials of several
// runs pooled (unit trial), or too few runs for any call (unit run).
std::vector<std::string> unit_warnings(ExperimentalUnit unit, size_t reports_a, size_t reports_b, double alpha);

// Whether a slower (faster) call holds for every pair of runs: every B
// run's median is above (below) every A run's median, i.e. outside A's
// run-to-run range, ties not counting. nullopt when the call is not a
// change or a side has no run median. `poisonlab history regressions`
// checks its one latest run (B) against the baseline runs (A) with it.
std::optional<bool> beyond_every_run(const std::vector<double>& run_medians_a,
                                     const std::vector<double>& run_medians_b, const std::string& call);

// With unit trial and several runs a side: beyond_every_run, nullopt when
// not applicable (not a change, or fewer than two runs with samples on a
// side).
std::optional<bool> consistent_across_runs(const std::vector<double>& run_medians_a,
                                           const std::vector<double>& run_medians_b, const std::string& call);

}  // namespace poisonlab

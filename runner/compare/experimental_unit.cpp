#include "compare/experimental_unit.h"

#include <algorithm>

#include <fmt/format.h>

#include "compare/latency_change.h"

namespace poisonlab {

std::optional<ExperimentalUnit> parse_unit(const std::string& text) {
  if (text == "trial") return ExperimentalUnit::kTrial;
  if (text == "run") return ExperimentalUnit::kRun;
  return std::nullopt;
}

std::string unit_name(ExperimentalUnit unit) { return unit == ExperimentalUnit::kRun ? "run" : "trial"; }

size_t runs_needed_per_side(double alpha) {
  size_t runs = 1;
  // The floor 2 / C(2n, n) falls below any alpha >= 1e-300 well before n = 600.
  while (smallest_two_sided_p(runs, runs) >= alpha && runs < 600) ++runs;
  return runs;
}

ExperimentalUnit choose_unit(std::optional<ExperimentalUnit> asked, size_t reports_a, size_t reports_b,
                             double alpha) {
  if (asked) return *asked;
  const size_t needed = runs_needed_per_side(alpha);
  return reports_a >= needed && reports_b >= needed ? ExperimentalUnit::kRun : ExperimentalUnit::kTrial;
}

std::vector<std::string> unit_warnings(ExperimentalUnit unit, size_t reports_a, size_t reports_b, double alpha) {
  const size_t needed = runs_needed_per_side(alpha);
  if (unit == ExperimentalUnit::kTrial && std::max(reports_a, reports_b) >= 2)
    return {fmt::format("trials from several runs were pooled (A {} runs, B {} runs): run-to-run variation is not "
                        "accounted for and a change may be the host, not the kernel; {} runs a side allow --unit run",
                        reports_a, reports_b, needed)};
  if (unit == ExperimentalUnit::kRun && smallest_two_sided_p(reports_a, reports_b) >= alpha)
    return {fmt::format("--unit run with A {} runs, B {} runs: no test can reach p < {}, so nothing can be called; "
                        "{} runs a side are needed",
                        reports_a, reports_b, alpha, needed)};
  return {};
}

std::optional<bool> beyond_every_run(const std::vector<double>& run_medians_a,
                                     const std::vector<double>& run_medians_b, const std::string& call) {
  if (call != "slower" && call != "faster") return std::nullopt;
  if (run_medians_a.empty() || run_medians_b.empty()) return std::nullopt;
  const auto [min_a, max_a] = std::minmax_element(run_medians_a.begin(), run_medians_a.end());
  const auto [min_b, max_b] = std::minmax_element(run_medians_b.begin(), run_medians_b.end());
  return call == "slower" ? *min_b > *max_a : *max_b < *min_a;
}

std::optional<bool> consistent_across_runs(const std::vector<double>& run_medians_a,
                                           const std::vector<double>& run_medians_b, const std::string& call) {
  if (run_medians_a.size() < 2 || run_medians_b.size() < 2) return std::nullopt;
  return beyond_every_run(run_medians_a, run_medians_b, call);
}

}  // namespace poisonlab

#pragma once
// One latency comparison between two sides (a cell's samples in run(s) A
// against run(s) B) and how a change is called: shared by `poisonlab
// compare` and `poisonlab history regressions`.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/statistics.h"

namespace poisonlab {

struct ChangeOptions {
  double threshold = 0.10;  // |median_b / median_a - 1| must exceed this
  double alpha = 0.05;      // ... and the BH q-value must be below this
  size_t resamples = 2000;  // bootstrap resamples for the ratio's interval
};

struct LatencyComparison {
  size_t n_a = 0, n_b = 0;
  double median_a = 0, median_b = 0;       // meaningful when n > 0
  std::optional<RatioInterval> ratio;      // median_b / median_a with its 95 % interval
  std::optional<MannWhitneyResult> test;   // nullopt when a side is empty
  double q_value = 1;                      // set by call_changes
  std::string call;                        // "slower" | "faster" | "no change" | "not enough data"
};

// Statistics of one comparison (no call yet: that needs every comparison's p).
LatencyComparison compare_latency(const std::vector<double>& a, const std::vector<double>& b,
                                  const ChangeOptions& options);
// The smallest two-sided p-value the Mann-Whitney test can give for these
// sample sizes (2 / C(n_a + n_b, n_a), the exact test's floor); 1 if a side
// is empty. With 3 against 3 it is 0.1: no result could be significant.
double smallest_two_sided_p(size_t n_a, size_t n_b);
// Whether a comparison belongs to the Benjamini-Hochberg family: it has a
// test and its sample sizes allow a p-value below alpha. Leaving out tests
// that cannot be significant (a choice made from n alone, not from the data)
// keeps them from diluting the correction.
bool can_reach(const LatencyComparison& comparison, const ChangeOptions& options);
// Benjamini-Hochberg over every comparison that can_reach, then the call:
// "slower" / "faster" when q < alpha and |median_b / median_a - 1| >
// threshold, else "no change"; "not enough data" (q_value 1, null in JSON)
// for the comparisons outside the family.
void call_changes(std::vector<LatencyComparison>& comparisons, const ChangeOptions& options);
// {"n_a", "n_b", "median_a", "median_b" (null for an empty side), "ratio":
// {"value", "ci95_low", "ci95_high", "resamples"} or null, "u_a", "p_value",
// "test_method" (null without a test), "q_value" (null outside the family),
// "call"}. Non-finite numbers are written as null.
nlohmann::json to_json(const LatencyComparison& comparison);

}  // namespace poisonlab

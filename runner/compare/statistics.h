#pragma once
// Two-sample statistics for comparing latency distributions (poisonlab
// compare, history regressions): the Mann-Whitney U test, a bootstrap
// interval of the ratio of medians, and the Benjamini-Hochberg correction.
// Checked against scipy (runner/compare/testdata).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace poisonlab {

struct MannWhitneyResult {
  double u_a = 0;          // U statistic of sample a (scipy's U1)
  double p_value = 1;      // two-sided
  std::string method;      // "exact" | "asymptotic"
};

// Two-sided Mann-Whitney U test as scipy.stats.mannwhitneyu(a, b,
// alternative="two-sided", method="auto", use_continuity=True) computes it:
// exact distribution when either sample has <= 8 values and there are no
// ties, else the normal approximation with tie correction and continuity
// correction. One exception: with the other sample above 100 000 values the
// exact counts would overflow 128 bits, so the normal approximation is used
// (scipy's exact method would not finish there). Throws
// std::invalid_argument when a sample is empty.
MannWhitneyResult mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b);

// The median (mean of the two middle values for an even count); non-empty.
double median(std::vector<double> values);

struct RatioInterval {
  double ratio = 0;      // median(b) / median(a)
  double low = 0, high = 0;
  size_t resamples = 0;
};

// Percentile-bootstrap confidence interval of median(b) / median(a): each
// resample draws a and b with replacement independently. Deterministic for a
// given seed. nullopt when median(a) is 0 or a sample is empty.
std::optional<RatioInterval> bootstrap_ratio_of_medians(const std::vector<double>& a, const std::vector<double>& b,
                                                        size_t resamples = 2000, uint64_t seed = 0x706f69736f6e6c61,
                                                        double confidence = 0.95);

// Benjamini-Hochberg adjusted p-values (q-values), in the input order, as
// scipy.stats.false_discovery_control(p, method="bh") / R's p.adjust("BH").
std::vector<double> benjamini_hochberg(const std::vector<double>& p_values);

}  // namespace poisonlab

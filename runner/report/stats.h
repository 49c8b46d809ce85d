#pragma once
// Descriptive statistics of a sample (e.g. per-trial revocation latencies).
//
// Percentiles use the nearest-rank method: pP is the smallest sample such that
// at least P% of the samples are <= it (rank ceil(P/100 * n), 1-based), so
// every reported percentile is a value that was actually measured. With few
// samples p90 and p99 are therefore the maximum.
// stddev is the sample standard deviation (divisor n - 1); 0 when n == 1.
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

struct Summary {
  size_t n = 0;
  // Meaningful only when n > 0.
  double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0, stddev = 0;
};

Summary summarize(std::vector<double> samples);
// The nearest-rank percentile of sorted, non-empty samples; p in (0, 100].
double nearest_rank_percentile(const std::vector<double>& sorted, double p);
// {"n", "min", "p50", "p90", "p99", "max", "mean", "stddev"}; with n == 0
// every value but n is null.
nlohmann::json to_json(const Summary& summary);

}  // namespace poisonlab

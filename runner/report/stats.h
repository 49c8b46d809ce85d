#pragma once
// Descriptive statistics of a sample (e.g. per-trial revocation latencies).
//
// Percentiles use the nearest-rank method: pP is the smallest sample such that
// at least P% of the samples are <= it (rank ceil(P/100 * n), 1-based), so
// every reported percentile is a value that was actually measured. With few
// samples p90 and p99 are therefore the maximum.
// stddev is the sample standard deviation (divisor n - 1); 0 when n == 1.
//
// p50_ci95 is a 95 % confidence interval of the median (the nearest-rank p50
// above), so two cells' medians can be told apart from noise:
// - n <= kBootstrapMaxSamples (1000): percentile bootstrap. Each resample
//   draws n values with replacement and takes its p50 with std::nth_element
//   on a reused buffer: O(resamples * n) time, O(n + resamples) memory. On
//   the 2-core development machine (bench/README.md) 2000 resamples take
//   ~40 ms for n = 1e3, ~0.4 s for n = 1e4 and ~90 s for n = 1e6 (cache
//   misses double the per-element cost), hence the cap.
// - larger n: the distribution-free order-statistic interval [x_(j), x_(k)],
//   j = floor(n/2 - z*sqrt(n)/2), k = n + 1 - j (z = 1.96 for 95 %): the
//   number of samples below the true median is Binomial(n, 1/2), and its
//   normal approximation is good exactly when n is large. O(1) on the
//   sorted sample. For small n the bootstrap is used instead because the
//   clamped ranks give [min, max] for n <= 10.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

struct Interval {
  double low = 0, high = 0;
};

struct MedianCi {
  Interval interval;
  std::string method;    // "bootstrap" | "order-statistic"
  size_t resamples = 0;  // bootstrap resamples; 0 for "order-statistic"
};

struct Summary {
  size_t n = 0;
  // Meaningful only when n > 0.
  double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0, stddev = 0;
  // Only when n >= 2 (one sample says nothing about its spread).
  std::optional<MedianCi> p50_ci95;
};

inline constexpr size_t kBootstrapResamples = 2000;
inline constexpr uint64_t kBootstrapSeed = 0x706f69736f6e6c61;  // "poisonla": any fixed value
// Above this the bootstrap's cost (resamples * n, ~40 ms at the cap) buys
// nothing the order-statistic interval does not give.
inline constexpr size_t kBootstrapMaxSamples = 1000;

Summary summarize(std::vector<double> samples);
// Shared by every bootstrap in the project (here and runner/compare), so all
// of them are deterministic the same way: a uniform index in [0, n) from rng,
// identical on every platform; and how many of count sorted resample
// statistics each tail drops outside the central `confidence` fraction.
size_t bootstrap_draw_index(std::mt19937_64& rng, size_t n);
size_t bootstrap_tail_count(size_t count, double confidence);
// The nearest-rank percentile of sorted, non-empty samples; p in (0, 100].
double nearest_rank_percentile(const std::vector<double>& sorted, double p);

// Percentile-bootstrap interval of the nearest-rank median of samples (any
// order). The interval holds the central `confidence` fraction of the
// resample medians (floor(resamples * (1 - confidence) / 2) dropped at each
// end). Deterministic: the same samples in the same order, resamples and
// seed give the same interval on every platform (mt19937_64 and a portable
// index mapping).
// Throws std::invalid_argument for fewer than 2 samples, 0 resamples or a
// confidence outside (0, 1).
Interval bootstrap_median_ci(const std::vector<double>& samples, size_t resamples = kBootstrapResamples,
                             uint64_t seed = kBootstrapSeed, double confidence = 0.95);
// The 1-based ranks {j, k} of the order-statistic interval for n samples,
// clamped to [1, n]; n >= 2.
std::pair<size_t, size_t> order_statistic_median_ranks(size_t n, double confidence = 0.95);
// [sorted[j - 1], sorted[k - 1]] with the ranks above.
Interval order_statistic_median_ci(const std::vector<double>& sorted, double confidence = 0.95);
// The 95 % interval by the method the header comment describes; nullopt for
// fewer than 2 samples. sorted must be sorted.
std::optional<MedianCi> median_ci95(const std::vector<double>& sorted);
// z such that P(|Z| <= z) = confidence for a standard normal Z.
double two_sided_normal_quantile(double confidence);

// {"n", "min", "p50", "p90", "p99", "max", "mean", "stddev", "p50_ci95"}; with
// n == 0 every value but n is null. p50_ci95 is {"low", "high", "method",
// "resamples"}, or null when n < 2.
nlohmann::json to_json(const Summary& summary);

}  // namespace poisonlab

#include "report/stats.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace poisonlab {

namespace {

void check_confidence(double confidence) {
  if (!(confidence > 0 && confidence < 1)) throw std::invalid_argument("confidence must be in (0, 1)");
}

// 0-based index of the nearest-rank median, rank ceil(n / 2): the bootstrap
// must resample the statistic the report shows as p50.
size_t median_index(size_t n) { return (n + 1) / 2 - 1; }

}  // namespace

// A uniform index in [0, n) by multiply-shift (Lemire) instead of
// std::uniform_int_distribution, whose algorithm differs between standard
// libraries and would make the interval platform-dependent. The bias is
// below n / 2^64, far under anything 2000 resamples can resolve.
size_t bootstrap_draw_index(std::mt19937_64& rng, size_t n) {
  return static_cast<size_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}

// How many of count sorted values lie in each tail outside the central
// confidence fraction. The epsilon keeps 2000 * 0.025 from flooring to 49
// through rounding error.
size_t bootstrap_tail_count(size_t count, double confidence) {
  return static_cast<size_t>(std::floor(static_cast<double>(count) * (1 - confidence) / 2 + 1e-9));
}

double nearest_rank_percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty() || !(p > 0 && p <= 100)) throw std::invalid_argument("nearest_rank_percentile: bad input");
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

Summary summarize(std::vector<double> samples) {
  Summary s;
  s.n = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.min = samples.front();
  s.max = samples.back();
  s.p50 = nearest_rank_percentile(samples, 50);
  s.p90 = nearest_rank_percentile(samples, 90);
  s.p99 = nearest_rank_percentile(samples, 99);
  double sum = 0;
  for (double x : samples) sum += x;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n > 1) {
    double squares = 0;
    for (double x : samples) squares += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(squares / static_cast<double>(s.n - 1));
  }
  s.p50_ci95 = median_ci95(samples);
  return s;
}

Interval bootstrap_median_ci(const std::vector<double>& samples, size_t resamples, uint64_t seed,
                             double confidence) {
  if (samples.size() < 2 || resamples == 0) throw std::invalid_argument("bootstrap_median_ci: too few samples");
  check_confidence(confidence);
  const size_t n = samples.size();
  const size_t mid = median_index(n);
  std::mt19937_64 rng(seed);
  // One buffer for every resample: no allocation in the loop, and
  // nth_element (O(n)) instead of a sort (O(n log n)) per resample.
  std::vector<double> buffer(n);
  std::vector<double> medians(resamples);
  for (double& median : medians) {
    for (double& x : buffer) x = samples[bootstrap_draw_index(rng, n)];
    std::nth_element(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(mid), buffer.end());
    median = buffer[mid];
  }
  std::sort(medians.begin(), medians.end());
  const size_t tail = bootstrap_tail_count(resamples, confidence);
  return {medians[tail], medians[resamples - 1 - tail]};
}

std::pair<size_t, size_t> order_statistic_median_ranks(size_t n, double confidence) {
  if (n < 2) throw std::invalid_argument("order_statistic_median_ranks: too few samples");
  check_confidence(confidence);
  const double half = static_cast<double>(n) / 2;
  const double j = std::floor(half - two_sided_normal_quantile(confidence) * std::sqrt(static_cast<double>(n)) / 2);
  // Clamped before the conversion: for small n j is below 1 (even negative),
  // and [x_(1), x_(n)] is then the best a distribution-free interval can do.
  const size_t low = j < 1 ? 1 : static_cast<size_t>(j);
  return {low, n + 1 - low};
}

Interval order_statistic_median_ci(const std::vector<double>& sorted, double confidence) {
  auto [low, high] = order_statistic_median_ranks(sorted.size(), confidence);
  return {sorted[low - 1], sorted[high - 1]};
}

std::optional<MedianCi> median_ci95(const std::vector<double>& sorted) {
  if (sorted.size() < 2) return std::nullopt;
  if (sorted.size() <= kBootstrapMaxSamples)
    return MedianCi{bootstrap_median_ci(sorted), "bootstrap", kBootstrapResamples};
  return MedianCi{order_statistic_median_ci(sorted), "order-statistic", 0};
}

// Bisection on erf: 100 halvings of [0, 40] reach double precision, and the
// function is called once per summary, so speed does not matter.
double two_sided_normal_quantile(double confidence) {
  check_confidence(confidence);
  double low = 0, high = 40;
  for (int i = 0; i < 100; ++i) {
    double mid = (low + high) / 2;
    (std::erf(mid / std::sqrt(2.0)) < confidence ? low : high) = mid;
  }
  return (low + high) / 2;
}

nlohmann::json to_json(const Summary& s) {
  auto value = [&](double v) { return s.n == 0 ? nlohmann::json(nullptr) : nlohmann::json(v); };
  nlohmann::json ci = nullptr;
  if (s.p50_ci95)
    ci = {{"low", s.p50_ci95->interval.low},
          {"high", s.p50_ci95->interval.high},
          {"method", s.p50_ci95->method},
          {"resamples", s.p50_ci95->resamples}};
  return {{"n", s.n},           {"min", value(s.min)}, {"p50", value(s.p50)},   {"p90", value(s.p90)},
          {"p99", value(s.p99)}, {"max", value(s.max)}, {"mean", value(s.mean)}, {"stddev", value(s.stddev)},
          {"p50_ci95", ci}};
}

}  // namespace poisonlab

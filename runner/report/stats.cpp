#include "report/stats.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace poisonlab {

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
  return s;
}

nlohmann::json to_json(const Summary& s) {
  auto value = [&](double v) { return s.n == 0 ? nlohmann::json(nullptr) : nlohmann::json(v); };
  return {{"n", s.n},           {"min", value(s.min)}, {"p50", value(s.p50)},   {"p90", value(s.p90)},
          {"p99", value(s.p99)}, {"max", value(s.max)}, {"mean", value(s.mean)}, {"stddev", value(s.stddev)}};
}

}  // namespace poisonlab

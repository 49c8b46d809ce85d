#include "compare/latency_change.h"

#include <cmath>
#include <limits>

namespace poisonlab {

namespace {

// Point estimate of median_b / median_a; 1 when both are 0, +inf when only a's is.
double point_ratio(const LatencyComparison& c) {
  if (c.ratio) return c.ratio->ratio;
  if (c.median_a == 0) return c.median_b == 0 ? 1 : std::numeric_limits<double>::infinity();
  return c.median_b / c.median_a;
}

nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace

double smallest_two_sided_p(size_t n_a, size_t n_b) {
  if (n_a == 0 || n_b == 0) return 1;
  // 2 / C(n_a + n_b, n_a), computed as a running product to stay in range.
  double combinations = 1;
  const size_t k = std::min(n_a, n_b), n = n_a + n_b;
  for (size_t i = 1; i <= k && combinations < 1e300; ++i)
    combinations = combinations * static_cast<double>(n - k + i) / static_cast<double>(i);
  return std::min(1.0, 2 / combinations);
}

LatencyComparison compare_latency(const std::vector<double>& a, const std::vector<double>& b,
                                  const ChangeOptions& options) {
  LatencyComparison c;
  c.n_a = a.size();
  c.n_b = b.size();
  if (!a.empty()) c.median_a = median(a);
  if (!b.empty()) c.median_b = median(b);
  if (a.empty() || b.empty()) return c;
  c.test = mann_whitney_u(a, b);
  c.ratio = bootstrap_ratio_of_medians(a, b, options.resamples);
  return c;
}

bool can_reach(const LatencyComparison& c, const ChangeOptions& options) {
  return c.test && smallest_two_sided_p(c.n_a, c.n_b) < options.alpha;
}

void call_changes(std::vector<LatencyComparison>& comparisons, const ChangeOptions& options) {
  std::vector<double> p_values;
  std::vector<LatencyComparison*> tested;
  for (auto& c : comparisons) {
    c.q_value = 1;
    c.call = "not enough data";
    if (!can_reach(c, options)) continue;
    p_values.push_back(c.test->p_value);
    tested.push_back(&c);
  }
  const auto q_values = benjamini_hochberg(p_values);
  for (size_t i = 0; i < tested.size(); ++i) {
    LatencyComparison& c = *tested[i];
    c.q_value = q_values[i];
    const double ratio = point_ratio(c);
    const bool changed = c.q_value < options.alpha && std::abs(ratio - 1) > options.threshold;
    c.call = !changed ? "no change" : ratio > 1 ? "slower" : "faster";
  }
}

nlohmann::json to_json(const LatencyComparison& c) {
  nlohmann::json ratio = nullptr;
  if (c.ratio)
    ratio = {{"value", number_or_null(c.ratio->ratio)},
             {"ci95_low", number_or_null(c.ratio->low)},
             {"ci95_high", number_or_null(c.ratio->high)},
             {"resamples", c.ratio->resamples}};
  const bool tested = c.test.has_value();
  const bool in_family = c.call != "not enough data";
  return {{"n_a", c.n_a},
          {"n_b", c.n_b},
          {"median_a", c.n_a ? nlohmann::json(c.median_a) : nlohmann::json(nullptr)},
          {"median_b", c.n_b ? nlohmann::json(c.median_b) : nlohmann::json(nullptr)},
          {"ratio", ratio},
          {"u_a", tested ? nlohmann::json(c.test->u_a) : nlohmann::json(nullptr)},
          {"p_value", tested ? nlohmann::json(c.test->p_value) : nlohmann::json(nullptr)},
          {"test_method", tested ? nlohmann::json(c.test->method) : nlohmann::json(nullptr)},
          {"q_value", in_family ? nlohmann::json(c.q_value) : nlohmann::json(nullptr)},
          {"call", c.call}};
}

}  // namespace poisonlab

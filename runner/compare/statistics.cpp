#include "compare/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

#include "report/stats.h"

namespace poisonlab {

namespace {

using Count = unsigned __int128;

// scipy's rule: exact when a sample has at most 8 values (and no ties).
constexpr size_t kExactMaxSmallSide = 8;
// The counts go up to C(m + n, m), which must fit 128 bits: with m <= 8 that
// holds to n ~ 2e5. Beyond this the normal approximation is used (where
// scipy's exact recursion would not finish anyway).
constexpr size_t kExactMaxLargeSide = 100000;

// scipy's rankdata(method="average"): tied values share the mean of the
// ranks they span (1-based).
std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return values[x] < values[y]; });
  std::vector<double> ranks(values.size());
  for (size_t start = 0; start < order.size();) {
    size_t end = start + 1;
    while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
    const double rank = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2;
    for (size_t i = start; i < end; ++i) ranks[order[i]] = rank;
    start = end;
  }
  return ranks;
}

// Sum over tie groups of t^3 - t (scipy's _tie_term), from sorted values.
double tie_term(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (size_t start = 0; start < values.size();) {
    size_t end = start;
    while (end < values.size() && values[end] == values[start]) ++end;
    const double t = static_cast<double>(end - start);
    sum += t * t * t - t;
    start = end;
  }
  return sum;
}

bool has_ties(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return std::adjacent_find(values.begin(), values.end()) != values.end();
}

// Number of arrangements of m + n distinct values giving each U in
// [0, m * n]: the coefficients of the Gaussian binomial [m + n choose m]_q,
// built as prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i). Integer arithmetic keeps
// every count exact (the division by 1 - q^i is exact at each step), and the
// work is O(m * m * n) instead of the O(m * n * m * n) recursion.
std::vector<Count> exact_u_counts(size_t m, size_t n) {
  std::vector<__int128> poly(m * n + 1, 0);
  poly[0] = 1;
  for (size_t i = 1; i <= m; ++i) {
    const size_t degree = (i - 1) * n;  // degree of [n + i - 1 choose i - 1]_q
    // Times (1 - q^(n+i)), top down so each read is still the old value;
    // terms above m * n cannot reach the kept ones through the division.
    for (size_t k = std::min(degree + n + i, m * n); k >= n + i; --k) poly[k] -= poly[k - (n + i)];
    for (size_t k = i; k < poly.size(); ++k) poly[k] += poly[k - i];
  }
  return std::vector<Count>(poly.begin(), poly.end());
}

// scipy's exact two-sided p-value: 2 * P(U <= m * n - max(U1, U2)), clipped.
double exact_two_sided_p(double u_max, size_t m, size_t n) {
  if (m > n) std::swap(m, n);
  if (m > kExactMaxSmallSide || n > kExactMaxLargeSide) throw std::logic_error("exact Mann-Whitney: sample too large");
  const auto counts = exact_u_counts(m, n);
  const auto k = static_cast<size_t>(std::llround(static_cast<double>(m * n) - u_max));
  Count below = 0, total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    total += counts[i];
    if (i <= k) below += counts[i];
  }
  const long double p = 2.0L * static_cast<long double>(below) / static_cast<long double>(total);
  return std::min(1.0, static_cast<double>(p));
}

// scipy's asymptotic two-sided p-value with the tie correction and the
// continuity correction. With every value equal the variance is 0, z is
// -inf and p is 1, as in scipy.
double asymptotic_two_sided_p(double u_max, size_t n1, size_t n2, double ties) {
  const double a = static_cast<double>(n1), b = static_cast<double>(n2), n = a + b;
  const double mu = a * b / 2;
  const double s = std::sqrt(a * b / 12 * ((n + 1) - ties / (n * (n - 1))));
  const double z = (u_max - mu - 0.5) / s;
  const double p = std::erfc(z / std::sqrt(2.0));  // 2 * norm.sf(z)
  return std::clamp(std::isnan(p) ? 1.0 : p, 0.0, 1.0);
}

// The median of values (reordered): nth_element for the upper middle, the
// largest of the lower half for the lower middle when n is even.
double median_in_place(std::vector<double>& values) {
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

// b's median over a's, with 0 / 0 read as "no difference" (1).
double ratio_of(double median_b, double median_a) {
  if (median_a == 0 && median_b == 0) return 1;
  return median_b / median_a;
}

double resampled_median(const std::vector<double>& sample, std::vector<double>& buffer, std::mt19937_64& rng) {
  for (double& x : buffer) x = sample[bootstrap_draw_index(rng, sample.size())];
  return median_in_place(buffer);
}

}  // namespace

MannWhitneyResult mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("mann_whitney_u: empty sample");
  std::vector<double> both(a);
  both.insert(both.end(), b.begin(), b.end());
  const auto ranks = average_ranks(both);
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size());
  const double rank_sum_a = std::accumulate(ranks.begin(), ranks.begin() + static_cast<std::ptrdiff_t>(a.size()), 0.0);
  MannWhitneyResult result;
  result.u_a = rank_sum_a - n1 * (n1 + 1) / 2;
  const double u_max = std::max(result.u_a, n1 * n2 - result.u_a);
  const size_t small = std::min(a.size(), b.size()), large = std::max(a.size(), b.size());
  const bool exact = small <= kExactMaxSmallSide && large <= kExactMaxLargeSide && !has_ties(both);
  result.method = exact ? "exact" : "asymptotic";
  result.p_value = exact ? exact_two_sided_p(u_max, a.size(), b.size())
                         : asymptotic_two_sided_p(u_max, a.size(), b.size(), tie_term(both));
  return result;
}

double median(std::vector<double> values) {
  if (values.empty()) throw std::invalid_argument("median: empty sample");
  return median_in_place(values);
}

std::optional<RatioInterval> bootstrap_ratio_of_medians(const std::vector<double>& a, const std::vector<double>& b,
                                                        size_t resamples, uint64_t seed, double confidence) {
  if (a.empty() || b.empty() || resamples == 0) return std::nullopt;
  if (!(confidence > 0 && confidence < 1)) throw std::invalid_argument("confidence must be in (0, 1)");
  const double median_a = median(a);
  if (median_a == 0) return std::nullopt;
  std::mt19937_64 rng(seed);
  std::vector<double> buffer_a(a.size()), buffer_b(b.size()), ratios(resamples);
  for (double& ratio : ratios) {
    const double resampled_a = resampled_median(a, buffer_a, rng);
    ratio = ratio_of(resampled_median(b, buffer_b, rng), resampled_a);
  }
  std::sort(ratios.begin(), ratios.end());
  const size_t tail = bootstrap_tail_count(resamples, confidence);
  return RatioInterval{median(b) / median_a, ratios[tail], ratios[resamples - 1 - tail], resamples};
}

std::vector<double> benjamini_hochberg(const std::vector<double>& p_values) {
  const size_t m = p_values.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p_values[x] < p_values[y]; });
  std::vector<double> q(m);
  double running_min = std::numeric_limits<double>::infinity();
  // From the largest p down: q_(i) = min over j >= i of p_(j) * m / j.
  for (size_t rank = m; rank >= 1; --rank) {
    const size_t index = order[rank - 1];
    running_min = std::min(running_min, p_values[index] * (static_cast<double>(m) / static_cast<double>(rank)));
    q[index] = std::clamp(running_min, 0.0, 1.0);
  }
  return q;
}

}  // namespace poisonlab

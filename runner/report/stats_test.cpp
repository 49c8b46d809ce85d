#include "report/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace poisonlab {
namespace {

TEST(Stats, Empty) {
  Summary s = summarize({});
  EXPECT_EQ(s.n, 0u);
  auto j = to_json(s);
  EXPECT_EQ(j["n"], 0);
  for (const char* key : {"min", "p50", "p90", "p99", "max", "mean", "stddev", "p50_ci95"}) EXPECT_TRUE(j[key].is_null()) << key;
}

TEST(Stats, OneSample) {
  Summary s = summarize({7.5});
  EXPECT_EQ(s.n, 1u);
  EXPECT_DOUBLE_EQ(s.min, 7.5);
  EXPECT_DOUBLE_EQ(s.p50, 7.5);
  EXPECT_DOUBLE_EQ(s.p99, 7.5);
  EXPECT_DOUBLE_EQ(s.max, 7.5);
  EXPECT_DOUBLE_EQ(s.mean, 7.5);
  EXPECT_DOUBLE_EQ(s.stddev, 0.0);
  EXPECT_EQ(to_json(s)["stddev"], 0.0);
  // One sample says nothing about the spread of its median.
  EXPECT_FALSE(s.p50_ci95.has_value());
  EXPECT_TRUE(to_json(s)["p50_ci95"].is_null());
}

TEST(Stats, OneToTenUnsorted) {
  Summary s = summarize({10, 1, 9, 2, 8, 3, 7, 4, 6, 5});
  EXPECT_EQ(s.n, 10u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_DOUBLE_EQ(s.p50, 5);   // rank ceil(5) = 5
  EXPECT_DOUBLE_EQ(s.p90, 9);   // rank ceil(9) = 9
  EXPECT_DOUBLE_EQ(s.p99, 10);  // rank ceil(9.9) = 10
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_NEAR(s.stddev, 3.0276503540974917, 1e-12);  // sqrt(82.5 / 9)
}

TEST(Stats, NearestRankOnLargerSample) {
  std::vector<double> v;
  for (int i = 1; i <= 200; ++i) v.push_back(i);
  Summary s = summarize(v);
  EXPECT_DOUBLE_EQ(s.p50, 100);
  EXPECT_DOUBLE_EQ(s.p90, 180);
  EXPECT_DOUBLE_EQ(s.p99, 198);
  EXPECT_DOUBLE_EQ(nearest_rank_percentile({1, 2, 3}, 100), 3);
  EXPECT_DOUBLE_EQ(nearest_rank_percentile({1, 2, 3}, 0.1), 1);
  EXPECT_THROW(nearest_rank_percentile({}, 50), std::invalid_argument);
  EXPECT_THROW(nearest_rank_percentile({1}, 0), std::invalid_argument);
}

TEST(Stats, TwoSamplesAndConstantSamples) {
  Summary two = summarize({4, 2});
  EXPECT_DOUBLE_EQ(two.p50, 2);
  EXPECT_DOUBLE_EQ(two.p90, 4);
  EXPECT_DOUBLE_EQ(two.mean, 3);
  EXPECT_NEAR(two.stddev, 1.4142135623730951, 1e-12);
  Summary same = summarize({3, 3, 3});
  EXPECT_DOUBLE_EQ(same.stddev, 0);
  EXPECT_EQ(to_json(same)["p90"], 3.0);
}

// Evenly spread values i / (n + 1): a sample whose median is known (0.5)
// and whose spread does not depend on a random draw.
std::vector<double> uniform_quantiles(size_t n) {
  std::vector<double> v;
  for (size_t i = 1; i <= n; ++i) v.push_back(static_cast<double>(i) / static_cast<double>(n + 1));
  return v;
}

TEST(MedianCi, NormalQuantile) {
  EXPECT_NEAR(two_sided_normal_quantile(0.95), 1.959963984540054, 1e-9);
  EXPECT_NEAR(two_sided_normal_quantile(0.99), 2.5758293035489004, 1e-9);
  EXPECT_NEAR(two_sided_normal_quantile(0.6826894921370859), 1.0, 1e-9);
  EXPECT_THROW(two_sided_normal_quantile(1), std::invalid_argument);
  EXPECT_THROW(two_sided_normal_quantile(0), std::invalid_argument);
}

TEST(MedianCi, OrderStatisticRanksByHand) {
  using Ranks = std::pair<size_t, size_t>;
  // n = 100: 50 - 1.96 * 10 / 2 = 40.2 -> j = 40, k = 101 - 40 = 61 (the
  // textbook ranks; exact binomial coverage 96.5 %).
  EXPECT_EQ(order_statistic_median_ranks(100), Ranks(40, 61));
  // n = 16: 8 - 1.96 * 2 = 4.08 -> 4 and 13; P(4 <= Bin(16, 1/2) <= 12) = 97.9 %.
  EXPECT_EQ(order_statistic_median_ranks(16), Ranks(4, 13));
  // n = 1e6: 500000 - 1.96 * 500 = 499020.02.
  EXPECT_EQ(order_statistic_median_ranks(1000000), Ranks(499020, 500981));
  // Small n: the bound falls below rank 1 and is clamped to the extremes.
  EXPECT_EQ(order_statistic_median_ranks(2), Ranks(1, 2));
  EXPECT_EQ(order_statistic_median_ranks(10), Ranks(1, 10));  // 5 - 3.10 = 1.90
  // A lower confidence gives a narrower interval: z(0.5) = 0.674 -> 50 - 3.37.
  EXPECT_EQ(order_statistic_median_ranks(100, 0.5), Ranks(46, 55));
  EXPECT_THROW(order_statistic_median_ranks(1), std::invalid_argument);
}

TEST(MedianCi, OrderStatisticIntervalReadsTheRanks) {
  std::vector<double> one_to_hundred;
  for (int i = 1; i <= 100; ++i) one_to_hundred.push_back(i);
  Interval ci = order_statistic_median_ci(one_to_hundred);
  EXPECT_DOUBLE_EQ(ci.low, 40);
  EXPECT_DOUBLE_EQ(ci.high, 61);
}

TEST(MedianCi, BootstrapOfTinySamplesByHand) {
  // n = 2: the nearest-rank median of a resample is its smaller draw, 1 with
  // probability 3/4: ~500 of 2000 resample medians are 2, far more than the
  // 50 dropped at each end.
  Interval two = bootstrap_median_ci({2, 1});
  EXPECT_DOUBLE_EQ(two.low, 1);
  EXPECT_DOUBLE_EQ(two.high, 2);
  // n = 3: P(resample median = 1) = P(median = 3) = 7/27, both ends kept.
  Interval three = bootstrap_median_ci({3, 1, 2});
  EXPECT_DOUBLE_EQ(three.low, 1);
  EXPECT_DOUBLE_EQ(three.high, 3);
  Interval constant = bootstrap_median_ci({4, 4, 4, 4});
  EXPECT_DOUBLE_EQ(constant.low, 4);
  EXPECT_DOUBLE_EQ(constant.high, 4);
}

TEST(MedianCi, BootstrapRejectsWhatItCannotResample) {
  EXPECT_THROW(bootstrap_median_ci({}), std::invalid_argument);
  EXPECT_THROW(bootstrap_median_ci({1}), std::invalid_argument);
  EXPECT_THROW(bootstrap_median_ci({1, 2}, 0), std::invalid_argument);
  EXPECT_THROW(bootstrap_median_ci({1, 2}, 100, 1, 1.0), std::invalid_argument);
}

TEST(MedianCi, BootstrapIsReproducibleAndSeeded) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(1.0, 0.5);
  std::vector<double> sample(301);
  for (double& x : sample) x = latency(rng);
  Interval a = bootstrap_median_ci(sample);
  Interval b = bootstrap_median_ci(sample);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  std::vector<double> sorted = sample;
  std::sort(sorted.begin(), sorted.end());
  double median = nearest_rank_percentile(sorted, 50);
  // The ends are measured values, so two seeds often give the same interval;
  // ten seeds do not all agree, and every one brackets the median.
  std::vector<double> lows;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    Interval ci = bootstrap_median_ci(sample, kBootstrapResamples, seed);
    EXPECT_LT(ci.low, median) << seed;
    EXPECT_GT(ci.high, median) << seed;
    EXPECT_TRUE(std::binary_search(sorted.begin(), sorted.end(), ci.low)) << seed;
    EXPECT_TRUE(std::binary_search(sorted.begin(), sorted.end(), ci.high)) << seed;
    lows.push_back(ci.low);
  }
  std::sort(lows.begin(), lows.end());
  EXPECT_GT(std::unique(lows.begin(), lows.end()) - lows.begin(), 1);
}

TEST(MedianCi, BootstrapAgreesWithOrderStatisticsOnALargeSample) {
  // Both estimate the same interval, ranks ~500 -/+ 31 of 1000 here; the
  // bootstrap's own resampling noise is a few ranks.
  std::vector<double> v = uniform_quantiles(1000);
  Interval boot = bootstrap_median_ci(v);
  Interval ranks = order_statistic_median_ci(v);
  EXPECT_NEAR(boot.low, ranks.low, 0.01);
  EXPECT_NEAR(boot.high, ranks.high, 0.01);
  Interval narrow = bootstrap_median_ci(v, kBootstrapResamples, kBootstrapSeed, 0.5);
  EXPECT_GT(narrow.low, boot.low);
  EXPECT_LT(narrow.high, boot.high);
}

TEST(MedianCi, NarrowsAsTheSampleGrows) {
  // The width shrinks like 1 / sqrt(n): ~0.44, ~0.14, ~0.044.
  double previous_width = 1;
  for (size_t n : {20, 200, 2000}) {
    Summary s = summarize(uniform_quantiles(n));
    ASSERT_TRUE(s.p50_ci95.has_value());
    const Interval& ci = s.p50_ci95->interval;
    EXPECT_LE(ci.low, s.p50) << n;
    EXPECT_GE(ci.high, s.p50) << n;
    double width = ci.high - ci.low;
    EXPECT_LT(width, previous_width / 2.5) << n;
    EXPECT_NEAR(width, 2 * 1.96 * 0.5 / std::sqrt(static_cast<double>(n)), 0.35 * width) << n;
    previous_width = width;
  }
}

TEST(MedianCi, MethodFollowsTheSampleSize) {
  EXPECT_FALSE(median_ci95({}).has_value());
  EXPECT_FALSE(median_ci95({1}).has_value());
  auto small = median_ci95({1, 2, 3});
  ASSERT_TRUE(small.has_value());
  EXPECT_EQ(small->method, "bootstrap");
  EXPECT_EQ(small->resamples, kBootstrapResamples);
  EXPECT_EQ(median_ci95(uniform_quantiles(kBootstrapMaxSamples))->method, "bootstrap");
  std::vector<double> large = uniform_quantiles(kBootstrapMaxSamples + 1);
  auto by_ranks = median_ci95(large);
  ASSERT_TRUE(by_ranks.has_value());
  EXPECT_EQ(by_ranks->method, "order-statistic");
  EXPECT_EQ(by_ranks->resamples, 0u);
  auto [j, k] = order_statistic_median_ranks(large.size());
  EXPECT_EQ(by_ranks->interval.low, large[j - 1]);
  EXPECT_EQ(by_ranks->interval.high, large[k - 1]);
}

TEST(MedianCi, SummaryIgnoresSampleOrderAndWritesJson) {
  std::vector<double> v = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  Summary shuffled = summarize(v);
  std::sort(v.begin(), v.end());
  Summary sorted = summarize(v);
  ASSERT_TRUE(shuffled.p50_ci95 && sorted.p50_ci95);
  EXPECT_EQ(shuffled.p50_ci95->interval.low, sorted.p50_ci95->interval.low);
  EXPECT_EQ(shuffled.p50_ci95->interval.high, sorted.p50_ci95->interval.high);
  nlohmann::json ci = to_json(sorted)["p50_ci95"];
  EXPECT_EQ(ci["method"], "bootstrap");
  EXPECT_EQ(ci["resamples"], 2000);
  EXPECT_EQ(ci["low"], sorted.p50_ci95->interval.low);
  EXPECT_EQ(ci["high"], sorted.p50_ci95->interval.high);
  EXPECT_LE(ci["low"].get<double>(), 5);
  EXPECT_GE(ci["high"].get<double>(), 5);
  EXPECT_EQ(ci.size(), 4u);
}

}  // namespace
}  // namespace poisonlab

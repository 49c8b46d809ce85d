#include "compare/latency_change.h"

#include <gtest/gtest.h>

#include "compare/test_reports.h"

namespace poisonlab {
namespace {

std::vector<double> lognormal(size_t n, double mu, uint64_t seed) {
  return compare_fixtures::lognormal(n, mu, 0.1, seed);
}

std::vector<double> scaled(std::vector<double> v, double factor) {
  for (double& x : v) x *= factor;
  return v;
}

LatencyComparison called(const std::vector<double>& a, const std::vector<double>& b, const ChangeOptions& o = {}) {
  std::vector<LatencyComparison> one{compare_latency(a, b, o)};
  call_changes(one, o);
  return one[0];
}

TEST(LatencyChange, SlowerFasterAndNoChange) {
  auto a = lognormal(30, 0, 1);
  EXPECT_EQ(called(a, scaled(lognormal(30, 0, 2), 1.5)).call, "slower");
  EXPECT_EQ(called(a, scaled(lognormal(30, 0, 2), 0.5)).call, "faster");
  EXPECT_EQ(called(a, lognormal(30, 0, 2)).call, "no change");
}

TEST(LatencyChange, SignificantButBelowThresholdIsNoChange) {
  // 5 % slower with tight samples: significant, but the effect is under 10 %.
  auto a = lognormal(200, 0, 1), b = scaled(lognormal(200, 0, 2), 1.05);
  auto c = called(a, b);
  EXPECT_LT(c.q_value, 0.05);
  EXPECT_EQ(c.call, "no change");
  ChangeOptions strict;
  strict.threshold = 0.02;
  EXPECT_EQ(called(a, b, strict).call, "slower");
}

TEST(LatencyChange, LargeEffectWithoutSignificanceIsNoChange) {
  // 4 against 4 with overlap: the medians differ by 20 % but q is large.
  auto c = called({1, 2, 3, 10}, {2, 4, 6, 1});
  EXPECT_GT(std::abs(c.ratio->ratio - 1), 0.1);
  EXPECT_GE(c.q_value, 0.05);
  EXPECT_EQ(c.call, "no change");
}

TEST(LatencyChange, TooFewSamplesCannotBeCalled) {
  // 3 against 3 can at best give p = 0.1: not enough data, outside the family.
  EXPECT_DOUBLE_EQ(smallest_two_sided_p(3, 3), 0.1);
  EXPECT_DOUBLE_EQ(smallest_two_sided_p(4, 4), 2.0 / 70);
  EXPECT_DOUBLE_EQ(smallest_two_sided_p(0, 4), 1);
  auto c = called({1, 2, 3}, {10, 20, 30});
  EXPECT_EQ(c.call, "not enough data");
  EXPECT_TRUE(to_json(c)["q_value"].is_null());
  auto empty = called({}, {1, 2, 3, 4, 5});
  EXPECT_EQ(empty.call, "not enough data");
  EXPECT_FALSE(empty.test);
  EXPECT_TRUE(to_json(empty)["median_a"].is_null());
  EXPECT_EQ(to_json(empty)["median_b"], 3);
}

TEST(LatencyChange, BenjaminiHochbergAcrossComparisons) {
  // One real change among many nulls: BH raises its q above its p, and the
  // untestable comparison does not count in the family.
  ChangeOptions o;
  std::vector<LatencyComparison> all;
  all.push_back(compare_latency(lognormal(12, 0, 1), scaled(lognormal(12, 0, 2), 1.2), o));
  for (uint64_t s = 0; s < 9; ++s) all.push_back(compare_latency(lognormal(12, 0, 10 + s), lognormal(12, 0, 30 + s), o));
  all.push_back(compare_latency({1}, {2}, o));
  call_changes(all, o);
  EXPECT_GT(all[0].q_value, all[0].test->p_value);
  EXPECT_EQ(all.back().call, "not enough data");
  std::vector<double> p;
  for (size_t i = 0; i < 10; ++i) p.push_back(all[i].test->p_value);
  auto q = benjamini_hochberg(p);
  for (size_t i = 0; i < 10; ++i) EXPECT_DOUBLE_EQ(all[i].q_value, q[i]) << i;
}

TEST(LatencyChange, JsonFields) {
  auto c = called(lognormal(10, 0, 1), scaled(lognormal(10, 0, 2), 2));
  auto j = to_json(c);
  EXPECT_EQ(j["n_a"], 10);
  EXPECT_EQ(j["call"], "slower");
  EXPECT_EQ(j["test_method"], "asymptotic");
  EXPECT_GT(j["ratio"]["value"].get<double>(), 1.5);
  EXPECT_LT(j["ratio"]["ci95_low"].get<double>(), j["ratio"]["value"].get<double>());
  EXPECT_EQ(j["ratio"]["resamples"], 2000);
  EXPECT_LT(j["q_value"].get<double>(), 0.05);
}

}  // namespace
}  // namespace poisonlab

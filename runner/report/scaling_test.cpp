#include "report/scaling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace poisonlab {
namespace {

TEST(Scaling, ExactPowerLaw) {
  // y = 3 x^2: slope 2, intercept ln 3, nothing left unexplained.
  std::vector<ScalingPoint> points;
  for (double x : {1, 2, 4, 8, 16, 32}) points.push_back({x, 3 * x * x});
  ScalingFit fit = fit_power_law(points);
  ASSERT_TRUE(fit.ok) << fit.reason;
  EXPECT_EQ(fit.n, 6u);
  EXPECT_TRUE(fit.skipped.empty());
  EXPECT_NEAR(fit.slope, 2, 1e-12);
  EXPECT_NEAR(fit.intercept, std::log(3.0), 1e-12);
  EXPECT_NEAR(fit.r_squared, 1, 1e-12);
  ASSERT_TRUE(fit.slope_stderr.has_value());
  EXPECT_NEAR(*fit.slope_stderr, 0, 1e-7);
}

TEST(Scaling, NoisyPointsByHand) {
  // ln x = 0, 1, 2 and ln y = 0, 2, 2. Means 1 and 4/3; Sxx = 2, Sxy = 2:
  // slope 1, intercept 1/3. Residuals -1/3, 2/3, -1/3: SSE = 2/3, Syy = 8/3,
  // r^2 = 1 - 1/4 = 0.75, stderr = sqrt((2/3) / 1 / 2) = sqrt(1/3).
  const double e = std::exp(1.0);
  ScalingFit fit = fit_power_law({{1, 1}, {e, e * e}, {e * e, e * e}});
  ASSERT_TRUE(fit.ok) << fit.reason;
  EXPECT_NEAR(fit.slope, 1, 1e-12);
  EXPECT_NEAR(fit.intercept, 1.0 / 3, 1e-12);
  EXPECT_NEAR(fit.r_squared, 0.75, 1e-12);
  ASSERT_TRUE(fit.slope_stderr.has_value());
  EXPECT_NEAR(*fit.slope_stderr, std::sqrt(1.0 / 3), 1e-12);
}

TEST(Scaling, NoisySweepAgreesWithAnIndependentFit) {
  // Latency against pages poisoned, roughly linear. Expected values from a
  // separate computation (Python, normal equations by Cramer's rule).
  ScalingFit fit = fit_power_law({{1, 2.1}, {2, 3.9}, {4, 8.4}, {8, 15.2}, {16, 33.0}, {32, 61.0}});
  ASSERT_TRUE(fit.ok);
  EXPECT_NEAR(fit.slope, 0.982860289290656, 1e-9);
  EXPECT_NEAR(fit.intercept, 0.723469980185669, 1e-9);
  EXPECT_NEAR(fit.r_squared, 0.9989161938124825, 1e-9);
  EXPECT_NEAR(*fit.slope_stderr, 0.016187250184268143, 1e-9);
}

TEST(Scaling, SkipsPointsWithoutALogarithm) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  // Usable: (1, 5), (2, 10), (4, 20): y = 5 x.
  ScalingFit fit = fit_power_law({{0, 5}, {1, 5}, {2, 10}, {-1, 3}, {4, 20}, {8, 0}, {16, nan}, {inf, 1}});
  ASSERT_TRUE(fit.ok) << fit.reason;
  EXPECT_EQ(fit.n, 3u);
  EXPECT_EQ(fit.skipped, (std::vector<size_t>{0, 3, 5, 6, 7}));
  EXPECT_NEAR(fit.slope, 1, 1e-12);
  EXPECT_NEAR(fit.intercept, std::log(5.0), 1e-12);
}

TEST(Scaling, FlatSeries) {
  ScalingFit fit = fit_power_law({{1, 4}, {2, 4}, {4, 4}});
  ASSERT_TRUE(fit.ok);
  EXPECT_EQ(fit.slope, 0);
  EXPECT_EQ(fit.r_squared, 1);
  EXPECT_EQ(*fit.slope_stderr, 0);
}

TEST(Scaling, TwoPointsHaveNoStandardError) {
  ScalingFit fit = fit_power_law({{10, 100}, {100, 1000}});
  ASSERT_TRUE(fit.ok);
  EXPECT_NEAR(fit.slope, 1, 1e-12);
  EXPECT_FALSE(fit.slope_stderr.has_value());
  EXPECT_TRUE(to_json(fit)["slope_stderr"].is_null());
}

TEST(Scaling, TooLittleDataIsAResultNotAnException) {
  ScalingFit empty = fit_power_law({});
  EXPECT_FALSE(empty.ok);
  EXPECT_EQ(empty.reason, "fewer than 2 points with x > 0 and y > 0");
  ScalingFit one = fit_power_law({{1, 1}, {2, 0}});
  EXPECT_FALSE(one.ok);
  EXPECT_EQ(one.n, 1u);
  EXPECT_EQ(one.skipped, std::vector<size_t>{1});
  // Three tenths: their mean is not exactly 0.1, the test on equality must
  // not depend on it.
  ScalingFit same_x = fit_power_law({{0.1, 1}, {0.1, 2}, {0.1, 3}});
  EXPECT_FALSE(same_x.ok);
  EXPECT_EQ(same_x.n, 3u);
  EXPECT_EQ(same_x.reason, "every usable point has the same x: no slope");
}

TEST(Scaling, Json) {
  nlohmann::json ok = to_json(fit_power_law({{1, 3}, {2, 12}, {0, 1}, {4, 48}}));
  EXPECT_EQ(ok["ok"], true);
  EXPECT_TRUE(ok["reason"].is_null());
  EXPECT_EQ(ok["n"], 3);
  EXPECT_EQ(ok["skipped"], nlohmann::json::array({2}));
  EXPECT_NEAR(ok["slope"].get<double>(), 2, 1e-12);
  EXPECT_NEAR(ok["r_squared"].get<double>(), 1, 1e-12);
  EXPECT_TRUE(ok["slope_stderr"].is_number());
  EXPECT_EQ(ok.size(), 8u);
  nlohmann::json bad = to_json(fit_power_law({{1, 1}}));
  EXPECT_EQ(bad["ok"], false);
  EXPECT_EQ(bad["reason"], "fewer than 2 points with x > 0 and y > 0");
  for (const char* key : {"slope", "intercept", "r_squared", "slope_stderr"}) EXPECT_TRUE(bad[key].is_null()) << key;
}

}  // namespace
}  // namespace poisonlab

// The statistics against scipy (testdata/scipy_reference.json, or the file
// POISONLAB_SCIPY_REFERENCE names: the ctest compare_scipy_reference_live
// regenerates it with scipy first) and the bootstrap's own properties.
#include "compare/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "common/fs_util.h"
#include "compare/test_reports.h"

namespace poisonlab {
namespace {

std::vector<double> lognormal(size_t n, double mu, uint64_t seed) {
  return compare_fixtures::lognormal(n, mu, 0.3, seed);
}

using nlohmann::json;

const json& reference() {
  static const json data = [] {
    const char* live = std::getenv("POISONLAB_SCIPY_REFERENCE");
    std::string path = live && *live ? live : POISONLAB_SOURCE_DIR "/runner/compare/testdata/scipy_reference.json";
    return json::parse(read_file(path));
  }();
  return data;
}

// p-values span 1 down to 1e-67: compare relatively, with an absolute floor
// far below anything a decision depends on.
void expect_close(double actual, double expected, const std::string& what) {
  EXPECT_NEAR(actual, expected, 1e-9 * std::abs(expected) + 1e-300) << what;
}

TEST(ScipyReference, FileHasEveryKindOfCase) {
  const json& data = reference();
  size_t exact = 0, asymptotic = 0;
  for (const auto& c : data["mann_whitney"]) (c["method"] == "exact" ? exact : asymptotic)++;
  EXPECT_GE(exact, 64u);
  EXPECT_GE(asymptotic, 20u);
  EXPECT_GE(data["benjamini_hochberg"].size(), 10u);
}

TEST(ScipyReference, MannWhitneyMatchesScipy) {
  for (const auto& c : reference()["mann_whitney"]) {
    const std::string name = c["name"];
    auto result = mann_whitney_u(c["a"].get<std::vector<double>>(), c["b"].get<std::vector<double>>());
    EXPECT_EQ(result.method, c["method"].get<std::string>()) << name;
    EXPECT_DOUBLE_EQ(result.u_a, c["u_a"].get<double>()) << name;
    expect_close(result.p_value, c["p_value"].get<double>(), name);
  }
}

TEST(ScipyReference, BenjaminiHochbergMatchesScipy) {
  for (const auto& c : reference()["benjamini_hochberg"]) {
    const std::string name = c["name"];
    auto q = benjamini_hochberg(c["p"].get<std::vector<double>>());
    auto expected = c["q"].get<std::vector<double>>();
    ASSERT_EQ(q.size(), expected.size()) << name;
    for (size_t i = 0; i < q.size(); ++i) expect_close(q[i], expected[i], name + " #" + std::to_string(i));
  }
}

// Published: Benjamini & Hochberg (1995), section 4.2, rejects the four
// smallest of these 15 p-values at level 0.05 (independent of scipy).
TEST(BenjaminiHochberg, PaperExampleRejectsFour) {
  std::vector<double> p{0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
                        0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000};
  auto q = benjamini_hochberg(p);
  size_t rejected = 0;
  for (double v : q) rejected += v < 0.05;
  EXPECT_EQ(rejected, 4u);
  EXPECT_NEAR(q[3], 0.0095 * 15 / 4, 1e-15);
}

TEST(BenjaminiHochberg, EmptyAndOrderKept) {
  EXPECT_TRUE(benjamini_hochberg({}).empty());
  auto q = benjamini_hochberg({0.5, 0.01});
  EXPECT_DOUBLE_EQ(q[1], 0.02);
  EXPECT_DOUBLE_EQ(q[0], 0.5);
}

// By counting, independent of scipy: complete separation of 4 against 4 is
// one of C(8, 4) = 70 equally likely orderings, so the two-sided p is 2/70.
TEST(MannWhitney, ExactSeparationIsTwoOverBinomial) {
  EXPECT_DOUBLE_EQ(mann_whitney_u({1, 2, 3, 4}, {5, 6, 7, 8}).p_value, 2.0 / 70);
  EXPECT_DOUBLE_EQ(mann_whitney_u({1, 2, 3, 4, 5, 6, 7, 8}, {9, 10, 11, 12, 13, 14, 15, 16}).p_value, 2.0 / 12870);
}

TEST(MannWhitney, ExactWithALargeOtherSide) {
  // 3 against 2000, separated: 2 / C(2003, 3), far beyond scipy's cached
  // recursion but exact here.
  std::vector<double> b(2000);
  for (size_t i = 0; i < b.size(); ++i) b[i] = 10.0 + static_cast<double>(i);
  auto r = mann_whitney_u({1, 2, 3}, b);
  EXPECT_EQ(r.method, "exact");
  const double combinations = 2003.0 * 2002.0 * 2001.0 / 6;
  EXPECT_NEAR(r.p_value, 2 / combinations, 1e-12 * 2 / combinations);
}

TEST(MannWhitney, HugeOtherSideFallsBackToTheNormalApproximation) {
  std::vector<double> b(100001);
  for (size_t i = 0; i < b.size(); ++i) b[i] = 10.0 + static_cast<double>(i);
  auto r = mann_whitney_u({1, 2}, b);
  EXPECT_EQ(r.method, "asymptotic");
  EXPECT_LT(r.p_value, 0.05);
}

TEST(MannWhitney, EmptySampleThrows) {
  EXPECT_THROW(mann_whitney_u({}, {1.0}), std::invalid_argument);
  EXPECT_THROW(mann_whitney_u({1.0}, {}), std::invalid_argument);
}

TEST(Median, OddEvenAndUnsorted) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median({7}), 7);
  EXPECT_THROW(median({}), std::invalid_argument);
}

TEST(BootstrapRatio, DeterministicForASeed) {
  auto a = lognormal(40, 0, 1), b = lognormal(40, 0.1, 2);
  auto first = bootstrap_ratio_of_medians(a, b);
  auto second = bootstrap_ratio_of_medians(a, b);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->low, second->low);
  EXPECT_EQ(first->high, second->high);
  EXPECT_EQ(first->resamples, 2000u);
  auto other_seed = bootstrap_ratio_of_medians(a, b, 2000, 12345);
  EXPECT_TRUE(other_seed->low != first->low || other_seed->high != first->high);
}

TEST(BootstrapRatio, ScaledSampleRatioInsideTheInterval) {
  // b is a scaled by exactly 1.5 (then shuffled by a new draw): the point
  // estimate is 1.5 and the interval holds it.
  auto a = lognormal(30, 0, 3);
  std::vector<double> b;
  for (double x : lognormal(30, 0, 4)) b.push_back(1.5 * x);
  auto exact_scale = a;
  for (double& x : exact_scale) x *= 1.5;
  auto same = bootstrap_ratio_of_medians(a, exact_scale);
  ASSERT_TRUE(same);
  EXPECT_DOUBLE_EQ(same->ratio, 1.5);
  EXPECT_LE(same->low, 1.5);
  EXPECT_GE(same->high, 1.5);
  auto independent = bootstrap_ratio_of_medians(a, b);
  ASSERT_TRUE(independent);
  EXPECT_LT(independent->low, 1.5);
  EXPECT_GT(independent->high, 1.5);
  EXPECT_LE(independent->low, independent->ratio);
  EXPECT_GE(independent->high, independent->ratio);
}

TEST(BootstrapRatio, IntervalShrinksWithN) {
  double previous_width = INFINITY;
  for (size_t n : {10, 40, 160, 640}) {
    auto ci = bootstrap_ratio_of_medians(lognormal(n, 0, 10 + n), lognormal(n, 0.2, 20 + n));
    ASSERT_TRUE(ci);
    const double width = ci->high - ci->low;
    EXPECT_LT(width, previous_width) << n;
    previous_width = width;
  }
  EXPECT_LT(previous_width, 0.1);
}

TEST(BootstrapRatio, NoIntervalWithoutADenominator) {
  EXPECT_FALSE(bootstrap_ratio_of_medians({}, {1.0}));
  EXPECT_FALSE(bootstrap_ratio_of_medians({1.0}, {}));
  EXPECT_FALSE(bootstrap_ratio_of_medians({0, 0, 0}, {1.0, 2.0}));
  // A single value each: the ratio, and an interval of just that ratio.
  auto one = bootstrap_ratio_of_medians({2.0}, {3.0});
  ASSERT_TRUE(one);
  EXPECT_DOUBLE_EQ(one->low, 1.5);
  EXPECT_DOUBLE_EQ(one->high, 1.5);
}

}  // namespace
}  // namespace poisonlab

#include "compare/experimental_unit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poisonlab {
namespace {

using ::testing::HasSubstr;
using Unit = ExperimentalUnit;

TEST(ExperimentalUnit, ParseAndName) {
  EXPECT_EQ(parse_unit("trial"), Unit::kTrial);
  EXPECT_EQ(parse_unit("run"), Unit::kRun);
  EXPECT_EQ(parse_unit("runs"), std::nullopt);
  EXPECT_EQ(unit_name(Unit::kRun), "run");
  EXPECT_EQ(unit_name(Unit::kTrial), "trial");
}

TEST(ExperimentalUnit, RunsNeededFollowTheExactFloor) {
  // 2 / C(6, 3) = 0.1, 2 / C(8, 4) = 0.029, 2 / C(10, 5) = 0.0079.
  EXPECT_EQ(runs_needed_per_side(0.05), 4u);
  EXPECT_EQ(runs_needed_per_side(0.01), 5u);
  EXPECT_EQ(runs_needed_per_side(0.2), 3u);
}

TEST(ExperimentalUnit, DefaultIsRunOnlyWithEnoughRunsOnBothSides) {
  EXPECT_EQ(choose_unit(std::nullopt, 1, 1, 0.05), Unit::kTrial);
  EXPECT_EQ(choose_unit(std::nullopt, 1, 5, 0.05), Unit::kTrial);
  EXPECT_EQ(choose_unit(std::nullopt, 3, 5, 0.05), Unit::kTrial);
  EXPECT_EQ(choose_unit(std::nullopt, 4, 4, 0.05), Unit::kRun);
  EXPECT_EQ(choose_unit(std::nullopt, 4, 4, 0.01), Unit::kTrial);  // 0.029 cannot reach 0.01
  EXPECT_EQ(choose_unit(Unit::kTrial, 5, 5, 0.05), Unit::kTrial);
  EXPECT_EQ(choose_unit(Unit::kRun, 1, 1, 0.05), Unit::kRun);
}

TEST(ExperimentalUnit, PooledTrialsAreWarnedAbout) {
  EXPECT_TRUE(unit_warnings(Unit::kTrial, 1, 1, 0.05).empty());
  EXPECT_TRUE(unit_warnings(Unit::kRun, 4, 4, 0.05).empty());
  auto pooled = unit_warnings(Unit::kTrial, 2, 3, 0.05);
  ASSERT_EQ(pooled.size(), 1u);
  EXPECT_THAT(pooled[0], HasSubstr("trials from several runs were pooled (A 2 runs, B 3 runs)"));
  EXPECT_THAT(pooled[0], HasSubstr("run-to-run variation is not accounted for"));
  EXPECT_THAT(pooled[0], HasSubstr("4 runs a side allow --unit run"));
  EXPECT_THAT(unit_warnings(Unit::kTrial, 2, 2, 0.01)[0], HasSubstr("5 runs a side"));
  auto hopeless = unit_warnings(Unit::kRun, 2, 3, 0.05);
  ASSERT_EQ(hopeless.size(), 1u);
  EXPECT_THAT(hopeless[0], HasSubstr("no test can reach p < 0.05"));
}

TEST(ExperimentalUnit, ConsistencyNeedsEveryPairOfRunsOnOneSide) {
  EXPECT_EQ(consistent_across_runs({1.0, 1.2}, {1.5, 1.3}, "slower"), true);
  EXPECT_EQ(consistent_across_runs({1.0, 1.4}, {1.5, 1.3}, "slower"), false);
  EXPECT_EQ(consistent_across_runs({1.0, 1.3}, {1.5, 1.3}, "slower"), false);  // a tie is not beyond
  EXPECT_EQ(consistent_across_runs({2.0, 1.8}, {1.5, 1.3}, "faster"), true);
  EXPECT_EQ(consistent_across_runs({2.0, 1.4}, {1.5, 1.3}, "faster"), false);
  EXPECT_EQ(consistent_across_runs({1.0, 1.4}, {1.5, 1.3}, "no change"), std::nullopt);
  EXPECT_EQ(consistent_across_runs({1.0}, {1.5, 1.3}, "slower"), std::nullopt);  // one run of A
}

TEST(ExperimentalUnit, BeyondEveryRunTakesOneRunASide) {
  EXPECT_EQ(beyond_every_run({1.0, 1.2}, {1.3}, "slower"), true);
  EXPECT_EQ(beyond_every_run({1.0, 1.4}, {1.3}, "slower"), false);  // inside A's range
  EXPECT_EQ(beyond_every_run({1.0}, {1.3}, "slower"), true);
  EXPECT_EQ(beyond_every_run({1.0, 1.4}, {0.9}, "faster"), true);
  EXPECT_EQ(beyond_every_run({}, {1.3}, "slower"), std::nullopt);
  EXPECT_EQ(beyond_every_run({1.0}, {1.3}, "no change"), std::nullopt);
}

}  // namespace
}  // namespace poisonlab

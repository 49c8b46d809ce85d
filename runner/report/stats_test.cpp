#include "report/stats.h"

#include <gtest/gtest.h>

namespace poisonlab {
namespace {

TEST(Stats, Empty) {
  Summary s = summarize({});
  EXPECT_EQ(s.n, 0u);
  auto j = to_json(s);
  EXPECT_EQ(j["n"], 0);
  for (const char* key : {"min", "p50", "p90", "p99", "max", "mean", "stddev"}) EXPECT_TRUE(j[key].is_null()) << key;
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

}  // namespace
}  // namespace poisonlab

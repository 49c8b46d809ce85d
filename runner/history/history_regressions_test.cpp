#include "history/history_regressions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/temp_dir.h"
#include "history/history_test_reports.h"
#include "history/history_trend.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TestCell;
using testing::TestRun;
using testing::write_test_report;

// Nightly runs of two variants (testing::nightly_run); the madvise cell of
// debian-6.12 takes what each test gives it, everything else stays steady.
class NightlyHistory : public ::testing::Test {
 protected:
  void add_night(int day, const testing::Samples& madvise_612, const std::string& verdict_612 = "pass") {
    store_.add(load_run_record(write_test_report(dir_.path(), testing::nightly_run(day, madvise_612, verdict_612))));
  }
  void add_steady_baseline(int nights) {
    for (int day = 1; day <= nights; ++day) add_night(day, testing::kSteadyMs);
  }
  const CellCheck& check_of(const RegressionReport& report, const std::string& variant, const std::string& key) {
    for (const auto& check : report.checks)
      for (const auto& cell : check.cells)
        if (check.variant == variant && cell.key == key) return cell;
    throw std::runtime_error("no check of " + variant + " " + key);
  }

  TempDir dir_;
  HistoryStore store_{dir_ / "history.sqlite", HistoryStore::Mode::read_write};
};

TEST_F(NightlyHistory, TrendListsRunsInDateOrderWithTheirP50) {
  add_night(3, {3.0, 1.0, 2.0});
  add_night(1, {1.0, 5.0, std::nullopt, 4.0});
  add_night(2, {});
  auto rows = history_trend(store_, {.filter = {.variant = "debian-6.12", .key = "raw/xfs/madvise"}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].cell.run_id, "night-01");
  EXPECT_EQ(rows[1].cell.run_id, "night-02");
  EXPECT_EQ(rows[2].cell.run_id, "night-03");
  EXPECT_EQ(rows[0].stats.n, 3u);
  EXPECT_DOUBLE_EQ(rows[0].stats.p50, 4.0);  // nearest rank of {1, 4, 5}
  EXPECT_EQ(rows[1].stats.n, 0u);
  EXPECT_DOUBLE_EQ(rows[2].stats.p50, 2.0);

  std::string table = format_trend(rows, {});
  EXPECT_THAT(table, HasSubstr("night-01"));
  EXPECT_LT(table.find("night-01"), table.find("night-02"));
  EXPECT_LT(table.find("night-02"), table.find("night-03"));
  EXPECT_THAT(table, HasSubstr("4.000"));

  auto json = trend_json(rows, {.filter = {.variant = "debian-6.12"}});
  EXPECT_EQ(json["rows"].size(), 3u);
  EXPECT_EQ(json["rows"][0]["stats"]["p50"], 4.0);
  EXPECT_EQ(json["filter"]["variant"], "debian-6.12");
  EXPECT_TRUE(json["filter"]["cell"].is_null());
}

TEST_F(NightlyHistory, TrendOfAPhaseAndOfAnUnknownMetric) {
  add_night(1, {1.0, 2.0, 3.0});
  auto rows = history_trend(store_, {.filter = {.variant = "debian-6.12", .key = "raw/xfs/madvise"},
                                     .metric = "kernel_handling"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].stats.p50, 0.2);
  try {
    history_trend(store_, {.metric = "warp_speed"});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"warp_speed\""));
    EXPECT_THAT(e.what(), HasSubstr("kernel_handling, revocation"));
    EXPECT_EQ(e.exit_code(), kExitBadInput);
  }
}

TEST_F(NightlyHistory, SlowerLatestRunIsARegression) {
  add_steady_baseline(5);
  add_night(6, testing::kSlowMs);
  RegressionReport report = find_regressions(store_, {});
  const CellCheck& slow = check_of(report, "debian-6.12", "raw/xfs/madvise");
  EXPECT_EQ(slow.latency.call, "slower");
  EXPECT_EQ(slow.latency.n_a, 30u);  // five baseline runs of six trials, pooled
  EXPECT_EQ(slow.latency.n_b, 6u);
  EXPECT_TRUE(slow.regression());
  EXPECT_FALSE(slow.verdict_regression());
  EXPECT_EQ(check_of(report, "debian-6.12", "dm/xfs/mce").latency.call, "no change");
  EXPECT_EQ(check_of(report, "debian-6.1", "raw/xfs/madvise").latency.call, "no change");
  EXPECT_EQ(report.regressions(), 1u);
  std::string text = format_regressions(report, {});
  EXPECT_THAT(text, HasSubstr("1 regression in 3 cells checked"));
  EXPECT_THAT(text, HasSubstr("debian-6.12 / ab-nightly raw/xfs/madvise: latency"));
  auto json = to_json(report, {});
  EXPECT_EQ(json["regressions"], 1);
}

// The pooled trials call a slowdown, but one baseline run was already slower
// than the latest (a loaded host that night): drift inside the baseline's
// run-to-run range is "slower?", not a regression.
TEST_F(NightlyHistory, DriftInsideTheBaselineRunRangeIsNoRegression) {
  add_steady_baseline(4);
  add_night(5, {2.5, 2.6});
  add_night(6, testing::kSlowMs);
  RegressionReport report = find_regressions(store_, {});
  const CellCheck& drift = check_of(report, "debian-6.12", "raw/xfs/madvise");
  EXPECT_EQ(drift.latency.call, "slower");  // the pooled test alone would call it
  ASSERT_EQ(drift.baseline_run_medians_ms.size(), 5u);
  EXPECT_DOUBLE_EQ(drift.baseline_run_medians_ms[0], 2.55);  // newest first
  EXPECT_EQ(drift.consistent_across_runs, false);
  EXPECT_FALSE(drift.latency_regression());
  EXPECT_FALSE(drift.regression());
  EXPECT_EQ(report.regressions(), 0u);
  std::string text = format_regressions(report, {});
  EXPECT_THAT(text, HasSubstr("slower?"));
  EXPECT_THAT(text, HasSubstr("1.015 .. 2.550"));
  EXPECT_THAT(text, HasSubstr("1 call marked ?"));
  EXPECT_THAT(text, HasSubstr("no regression in 3 cells checked"));
  auto json = to_json(report, {});
  EXPECT_EQ(json["regressions"], 0);
  const auto& cell = json["checks"][1]["cells"][0];
  ASSERT_EQ(cell["key"], "raw/xfs/madvise");
  EXPECT_EQ(cell["latency"]["consistent_across_runs"], false);
  EXPECT_EQ(cell["latency_regression"], false);
  EXPECT_EQ(cell["baseline_run_medians_ms"].size(), 5u);
}

// Baseline runs that differ among themselves, and a latest run above all of
// them: consistent across runs, a regression.
TEST_F(NightlyHistory, JumpAboveEveryBaselineRunIsARegression) {
  add_night(1, {1.30, 1.33, 1.36, 1.27, 1.31, 1.34});
  add_night(2, testing::kSteadyMs);
  add_night(3, {0.90, 0.92, 0.95, 0.88, 0.91, 0.93});
  add_night(4, testing::kSteadyMs);
  add_night(5, testing::kSlowMs);
  RegressionReport report = find_regressions(store_, {});
  const CellCheck& jump = check_of(report, "debian-6.12", "raw/xfs/madvise");
  EXPECT_EQ(jump.latency.call, "slower");
  EXPECT_EQ(jump.consistent_across_runs, true);
  EXPECT_TRUE(jump.latency_regression());
  EXPECT_EQ(report.regressions(), 1u);
  // steady cells are no change: nothing to check
  EXPECT_EQ(check_of(report, "debian-6.12", "dm/xfs/mce").consistent_across_runs, std::nullopt);
  std::string text = format_regressions(report, {});
  EXPECT_THAT(text, HasSubstr("0.915 .. 1.320"));
  EXPECT_THAT(text, Not(HasSubstr("slower?")));
  EXPECT_EQ(to_json(report, {})["checks"][1]["cells"][0]["latency"]["consistent_across_runs"], true);
}

// One baseline run has no run-to-run range: the pooled call stands.
TEST_F(NightlyHistory, OneBaselineRunIsNotCheckedAcrossRuns) {
  add_night(1, testing::kSteadyMs);
  add_night(2, testing::kSlowMs);
  RegressionReport report = find_regressions(store_, {});
  const CellCheck& slow = check_of(report, "debian-6.12", "raw/xfs/madvise");
  EXPECT_EQ(slow.latency.call, "slower");
  EXPECT_EQ(slow.consistent_across_runs, std::nullopt);
  EXPECT_TRUE(slow.latency_regression());
  EXPECT_TRUE(to_json(report, {})["checks"][1]["cells"][0]["latency"]["consistent_across_runs"].is_null());
}

TEST_F(NightlyHistory, SteadyLatestRunIsNoRegression) {
  add_steady_baseline(5);
  add_night(6, {1.01, 1.02, 0.99, 1.03, 1.00, 1.04});
  RegressionReport report = find_regressions(store_, {});
  EXPECT_EQ(report.regressions(), 0u);
  EXPECT_EQ(report.checks.size(), 2u);
  EXPECT_EQ(report.checks[1].latest.run_id, "night-06");
  EXPECT_EQ(report.checks[1].baseline.size(), 5u);
  EXPECT_THAT(format_regressions(report, {}), HasSubstr("no regression in 3 cells checked"));
}

TEST_F(NightlyHistory, FasterIsNotARegression) {
  add_steady_baseline(5);
  add_night(6, {0.5, 0.52, 0.49, 0.51, 0.5, 0.48});
  RegressionReport report = find_regressions(store_, {});
  EXPECT_EQ(check_of(report, "debian-6.12", "raw/xfs/madvise").latency.call, "faster");
  EXPECT_EQ(report.regressions(), 0u);
}

TEST_F(NightlyHistory, ThresholdDecidesWhatCounts) {
  add_steady_baseline(5);
  add_night(6, {1.2, 1.21, 1.19, 1.22, 1.2, 1.23});  // +18 %: clearly measured
  EXPECT_EQ(find_regressions(store_, {}).regressions(), 1u);
  RegressionOptions lenient;
  lenient.change.threshold = 0.25;
  EXPECT_EQ(find_regressions(store_, lenient).regressions(), 0u);
}

TEST_F(NightlyHistory, FailingAfterAPassingBaselineIsARegression) {
  add_steady_baseline(3);
  add_night(4, {1.01, 1.02, 0.99, 1.03, 1.00, 1.04}, "fail");
  RegressionReport report = find_regressions(store_, {});
  const CellCheck& cell = check_of(report, "debian-6.12", "raw/xfs/madvise");
  EXPECT_TRUE(cell.verdict_regression());
  EXPECT_FALSE(cell.latency_regression());
  EXPECT_EQ(cell.baseline_runs_with_cell, 3u);
  EXPECT_EQ(cell.baseline_passes, 3u);
  EXPECT_EQ(report.regressions(), 1u);
  EXPECT_THAT(format_regressions(report, {}), HasSubstr("raw/xfs/madvise: verdict"));
}

TEST_F(NightlyHistory, FailingWhenTheBaselineAlreadyFailedIsNot) {
  add_steady_baseline(2);
  add_night(3, {1.01, 1.02, 0.99, 1.03, 1.00, 1.04}, "fail");
  add_night(4, {1.01, 1.02, 0.99, 1.03, 1.00, 1.04}, "fail");
  RegressionReport report = find_regressions(store_, {});
  EXPECT_FALSE(check_of(report, "debian-6.12", "raw/xfs/madvise").verdict_regression());
  EXPECT_EQ(report.regressions(), 0u);
}

TEST_F(NightlyHistory, BaselineWindowHoldsTheLastNRuns) {
  add_night(1, {9.0, 9.1, 9.2, 9.3, 9.4, 9.5});  // slow long ago: outside a window of 2
  add_night(2, {1.00, 1.02, 1.05, 0.98, 1.01, 1.03});
  add_night(3, {1.00, 1.02, 1.05, 0.98, 1.01, 1.03});
  add_night(4, {1.01, 1.02, 0.99, 1.03, 1.00, 1.04});
  RegressionOptions options;
  options.baseline_runs = 2;
  RegressionReport report = find_regressions(store_, options);
  const VariantCheck& check = report.checks[1];
  ASSERT_EQ(check.baseline.size(), 2u);
  EXPECT_EQ(check.baseline[0].run_id, "night-03");
  EXPECT_EQ(check.baseline[1].run_id, "night-02");
  const CellCheck& cell = check_of(report, "debian-6.12", "raw/xfs/madvise");
  EXPECT_EQ(cell.latency.n_a, 12u);
  EXPECT_LT(cell.latency.median_a, 1.1);  // night 1's 9 ms samples are not in it
  EXPECT_EQ(check_of(find_regressions(store_, {}), "debian-6.12", "raw/xfs/madvise").latency.n_a, 18u);
}

TEST_F(NightlyHistory, LatestIsByDateNotByAddOrder) {
  add_night(6, testing::kSlowMs);
  add_steady_baseline(5);  // added after the slow night, dated before it
  RegressionReport report = find_regressions(store_, {});
  EXPECT_EQ(report.checks[0].latest.run_id, "night-06");
  EXPECT_EQ(report.regressions(), 1u);
}

TEST_F(NightlyHistory, ASingleRunHasNothingToCompare) {
  add_night(1, {1.0, 1.1});
  RegressionReport report = find_regressions(store_, {});
  EXPECT_EQ(report.regressions(), 0u);
  EXPECT_THAT(format_regressions(report, {}), HasSubstr("no earlier run to compare with"));
}

TEST(EmptyHistory, RegressionsSayThereIsNothing) {
  TempDir dir;
  HistoryStore store(dir / "history.sqlite", HistoryStore::Mode::read_write);
  RegressionReport report = find_regressions(store, {});
  EXPECT_TRUE(report.checks.empty());
  EXPECT_THAT(format_regressions(report, {}), HasSubstr("the history holds no run"));
}

}  // namespace
}  // namespace poisonlab

#include "report/speed_targets.h"

#include <gtest/gtest.h>

namespace poisonlab {
namespace {
using nlohmann::json;

json boot(const char* outcome, double seconds) {
  return {{"outcome", outcome}, {"phases", {{"qemu_start_to_agent_ready_s", seconds}}}};
}

json trace_point(int value, json p50, double ci_halfwidth = 0.1) {
  json point = {{"value", value}, {"revocation_ms_p50", p50}};
  if (p50.is_number())
    point["revocation_ms_p50_ci95"] = {{"low", p50.get<double>() - ci_halfwidth}, {"high", p50.get<double>() + ci_halfwidth}};
  return point;
}

json sample_report() {
  return {{"kernels", {{{"boots", {boot("ready", 9.0), boot("hang", 1.0), boot("ready", 3.0), boot("ready", 11.0)}}}}},
          {"cells",
           {{{"latency", {{"revocation_ns", {1, 2, nullptr}}}},
             {"trial_wall_ns", {2000000000, 4000000000ull, nullptr}}},
            {{"status", "timeout"}, {"partial", {{"trials_done", {{{"units", 4}}}}}}}}},
          {"series",
           {{{"series", "k/raw/xfs/madvise"}, {"parameter", "trace"}, {"points", {trace_point(0, 10.0), trace_point(1, 10.4)}}},
            {{"series", "k/dm/xfs/madvise"}, {"parameter", "trace"}, {"points", {trace_point(0, 10.0), trace_point(1, 12.0)}}},
            {{"series", "k/raw/xfs/p"}, {"parameter", "pages"}, {"points", {trace_point(1, 1.0), trace_point(4, 4.0)}}}}}};
}

TEST(SpeedTargets, ComputedFromWhatTheRunRecorded) {
  json t = speed_targets(sample_report(), {.wall_s = 36, .runner_max_rss_kib = 51200});
  EXPECT_EQ(t["boot_to_ready_s"]["boots"], 3);  // the failed boot is not a boot to ready
  EXPECT_DOUBLE_EQ(t["boot_to_ready_s"]["median_s"].get<double>(), 9.0);
  EXPECT_EQ(t["boot_to_ready_s"]["met"], false);
  EXPECT_EQ(t["trials_per_hour"]["trials"], 4);  // 3 samples + 1 digest of a timed-out cell
  EXPECT_DOUBLE_EQ(t["trials_per_hour"]["per_hour"].get<double>(), 400.0);
  EXPECT_DOUBLE_EQ(t["trials_per_hour"]["trial_median_s"].get<double>(), 3.0);
  EXPECT_EQ(t["trials_per_hour"]["met"], false);
  ASSERT_EQ(t["tracing_overhead"]["pairs"].size(), 2u);
  EXPECT_NEAR(t["tracing_overhead"]["pairs"][0]["overhead_pct"].get<double>(), 4.0, 1e-9);
  EXPECT_NEAR(t["tracing_overhead"]["median_pct"].get<double>(), 12.0, 1e-9);  // median of 4 and 20
  // 12.0 +- 0.1 against 10.0 +- 0.1: at least 17.9 % over, a miss.
  EXPECT_NEAR(t["tracing_overhead"]["pairs"][1]["overhead_pct_bounds"][0].get<double>(), 11.9 / 10.1 * 100 - 100, 1e-9);
  EXPECT_EQ(t["tracing_overhead"]["met"], false);
  EXPECT_DOUBLE_EQ(t["runner_max_rss_mib"]["value"].get<double>(), 50.0);
  EXPECT_EQ(t["runner_max_rss_mib"]["met"], true);
}

json trace_series(double off, double on, double ci_halfwidth) {
  return {{"series", "s"}, {"parameter", "trace"}, {"points", {trace_point(0, off, ci_halfwidth), trace_point(1, on, ci_halfwidth)}}};
}

TEST(SpeedTargets, TracingOverheadNeedsIntervalsThatDecide) {
  auto met = [](json series) { return speed_targets({{"series", {series}}}, {})["tracing_overhead"]["met"]; };
  EXPECT_EQ(met(trace_series(10.0, 10.2, 0.05)), true);   // at most 2.5 % over
  EXPECT_TRUE(met(trace_series(10.0, 10.2, 2.0)).is_null());  // -33 % .. +53 %: undecided
  EXPECT_EQ(met(trace_series(10.0, 13.0, 0.5)), false);  // at least 19 % over
}

TEST(SpeedTargets, NothingMeasuredIsNullNotMet) {
  json t = speed_targets(json::object(), {});
  for (const char* target : {"boot_to_ready_s", "trials_per_hour", "tracing_overhead", "runner_max_rss_mib"})
    EXPECT_TRUE(t[target]["met"].is_null()) << target;
}

}  // namespace
}  // namespace poisonlab

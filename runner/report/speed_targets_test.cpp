#include "report/speed_targets.h"

#include <gtest/gtest.h>

namespace poisonlab {
namespace {
using nlohmann::json;

json boot(const char* outcome, double seconds) {
  return {{"outcome", outcome}, {"phases", {{"qemu_start_to_agent_ready_s", seconds}}}};
}

json trace_point(int value, json p50) { return {{"value", value}, {"revocation_ms_p50", p50}}; }

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
  EXPECT_EQ(t["tracing_overhead"]["met"], false);
  EXPECT_DOUBLE_EQ(t["runner_max_rss_mib"]["value"].get<double>(), 50.0);
  EXPECT_EQ(t["runner_max_rss_mib"]["met"], true);
}

TEST(SpeedTargets, NothingMeasuredIsNullNotMet) {
  json t = speed_targets(json::object(), {});
  for (const char* target : {"boot_to_ready_s", "trials_per_hour", "tracing_overhead", "runner_max_rss_mib"})
    EXPECT_TRUE(t[target]["met"].is_null()) << target;
}

}  // namespace
}  // namespace poisonlab

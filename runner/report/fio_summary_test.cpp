#include "report/fio_summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/report.h"
#include "report/summary.h"

namespace poisonlab {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr uint64_t kMs = 1000000;
// Injection from 1000 ms to 1130 ms; samples every 100 ms.
constexpr uint64_t kStart = 1000 * kMs, kEnd = 1130 * kMs;

json samples(std::initializer_list<std::pair<uint64_t, double>> ms_bw) {
  json out = json::array();
  for (auto [ms, bw] : ms_bw) out.push_back({ms * kMs, bw, 0});
  return out;
}

TEST(FioWindows, SamplesFallIntoTheWindowTheyCover) {
  // 1100 and 1200 overlap [1000, 1130]; 1000 ends at the start; 1300 starts after the end.
  BwWindows w = bw_windows(samples({{800, 100}, {900, 300}, {1000, 200}, {1100, 10}, {1200, 30}, {1300, 150}, {1400, 250}}),
                           100 * kMs, kStart, kEnd);
  EXPECT_EQ(w.n_before, 3u);
  EXPECT_EQ(w.n_during, 2u);
  EXPECT_EQ(w.n_after, 2u);
  EXPECT_DOUBLE_EQ(*w.before, 200);
  EXPECT_DOUBLE_EQ(*w.during, 20);
  EXPECT_DOUBLE_EQ(*w.after, 200);
  EXPECT_EQ(*w.last_sample_ns, 1400 * kMs);
}

TEST(FioWindows, MixedDirectionsAreSummedAndEmptyWindowsAreNull) {
  json s = json::array({json{900 * kMs, 100, 0}, json{900 * kMs, 50, 1}, json{1100 * kMs, 7, 0}});
  BwWindows w = bw_windows(s, 100 * kMs, kStart, kEnd);
  EXPECT_DOUBLE_EQ(*w.before, 150);
  EXPECT_EQ(w.n_before, 1u);
  EXPECT_DOUBLE_EQ(*w.during, 7);
  EXPECT_FALSE(w.after);
  EXPECT_FALSE(bw_windows(json::array(), 100 * kMs, kStart, kEnd).before);
}

json trial(int index, json jobs) {
  return {{"index", index}, {"injection", {{"start_ns", kStart}, {"end_ns", kEnd}}}, {"fio", {{"jobs", jobs}}}};
}

json job(const char* name, const char* stopped_by, json signals, int error, json bw) {
  return {{"name", name},
          {"ioengine", name},
          {"target", "victim"},
          {"stopped_by", stopped_by},
          {"signals_reported", signals},
          {"result", {{"error", error}, {"total_err", nullptr}}},
          {"bw_log", {{"clock", "mono"}, {"interval_ms", 100}, {"samples", bw}}}};
}

json observation() {
  json mmap_dead = job("mmap", "exited", json::array({7}), 0, samples({{900, 4096}, {1000, 4096}, {1100, 1024}}));
  json psync_ok = job("psync", "term", json::array(), 0, samples({{900, 2048}, {1100, 1024}, {1300, 2048}}));
  json psync_eio = job("psync", "exited", json::array(), 5, samples({{900, 1024}, {1000, 3072}}));
  return {{"trials", {trial(0, {mmap_dead, psync_ok}), trial(1, {psync_eio})}}};
}

TEST(FioSummary, PerTrialFateAndWindows) {
  json s = fio_cell_summary(observation());
  ASSERT_EQ(s["per_trial"].size(), 3u);
  const json& mmap = s["per_trial"][0];
  EXPECT_EQ(mmap["fate"], "killed by signal 7");
  EXPECT_FALSE(mmap["survived"].get<bool>());
  EXPECT_DOUBLE_EQ(mmap["bw_kib_s"]["before"].get<double>(), 4096);
  EXPECT_TRUE(mmap["bw_kib_s"]["after"].is_null());
  EXPECT_DOUBLE_EQ(mmap["last_sample_after_injection_ms"].get<double>(), 100);
  const json& psync = s["per_trial"][1];
  EXPECT_TRUE(psync["survived"].get<bool>());
  EXPECT_DOUBLE_EQ(psync["after_over_before"].get<double>(), 1.0);
  EXPECT_EQ(s["per_trial"][2]["fate"], "stopped by error 5");
  EXPECT_FALSE(s["per_trial"][2]["survived"].get<bool>());
  EXPECT_EQ(s["per_trial"][2]["trial"], 1);
}

TEST(FioSummary, ErrorsItWentOnAfterDoNotEndSurvival) {
  json t = trial(0, json::array());
  json j = job("psync", "term", json::array(), 5, samples({{900, 1}}));
  j["result"]["total_err"] = 359;
  json row = fio_job_trial(t, j);
  EXPECT_TRUE(row["survived"].get<bool>());
  EXPECT_EQ(row["total_err"], 359);
  EXPECT_EQ(fio_job_trial(t, job("m", "kill", json::array(), 0, json::array()))["fate"], "hung (SIGKILL)");
}

TEST(FioSummary, PerJobStatistics) {
  json jobs = fio_cell_summary(observation())["jobs"];
  EXPECT_EQ(jobs["psync"]["trials"], 2);
  EXPECT_EQ(jobs["psync"]["survived"], 1);
  EXPECT_EQ(jobs["psync"]["with_errors"], 1);
  const json& before = jobs["psync"]["bw_kib_s_stats"]["before"];
  EXPECT_EQ(before["n"], 2);
  EXPECT_DOUBLE_EQ(before["mean"].get<double>(), (2048 + 2048) / 2.0);  // trial 1: (1024 + 3072) / 2
  EXPECT_EQ(jobs["psync"]["bw_kib_s_stats"]["after"]["missing"], 1);
  EXPECT_EQ(jobs["mmap"]["survived"], 0);
}

TEST(FioSummary, AbsentWithoutFioAndNoInjectionMeansNoWindows) {
  EXPECT_TRUE(fio_cell_summary(json{{"trials", json::array({json{{"index", 0}}})}}).is_null());
  EXPECT_FALSE(with_fio_summary(json{{"observation", nullptr}}).contains("fio"));
  json t = trial(0, json::array());
  t.erase("injection");
  json row = fio_job_trial(t, job("psync", "term", json::array(), 0, samples({{900, 1}})));
  EXPECT_TRUE(row["bw_kib_s"]["before"].is_null());
  EXPECT_TRUE(row["survived"].get<bool>());
}

TEST(FioSummary, ReportCellAndSummaryTable) {
  json cell = with_fio_summary(json{{"id", "k/raw/xfs/mce"}, {"verdict", "pass"}, {"observation", observation()}});
  ASSERT_TRUE(cell.contains("fio"));
  std::string table = fio_table(json::array({cell}));
  EXPECT_THAT(table, HasSubstr("fio under fault"));
  EXPECT_THAT(table, HasSubstr("k/raw/xfs/mce  mmap"));
  EXPECT_THAT(table, HasSubstr("0/1"));
  EXPECT_THAT(format_summary(json{{"cells", json::array({cell})}}), HasSubstr("psync"));
  EXPECT_EQ(fio_table(json::array({json{{"id", "x"}}})), "");
}

TEST(FioSummary, TableOfAJobThatIsNotAnObject) {  // found by tests/fuzz
  json cell = {{"id", "c"}, {"fio", {{"jobs", {{"randrw", 5}}}}}};
  EXPECT_THAT(fio_table(json::array({cell})), HasSubstr("randrw   null/null")) << fio_table(json::array({cell}));
}

}  // namespace
}  // namespace poisonlab

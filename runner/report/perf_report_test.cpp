#include "report/perf_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poisonlab {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json trial(int index, json stat_counts, json record, json phases = json::object()) {
  return {{"index", index},
          {"phases_ns", phases},
          {"perf", {{"stat", {{"ok", true}, {"error", nullptr}, {"counts", stat_counts}}}, {"record", record}}}};
}

json record(uint64_t samples, uint64_t idle, json self, json inclusive, const char* folded) {
  return {{"ok", true}, {"error", nullptr}, {"skipped", nullptr}, {"samples", samples}, {"idle_samples", idle},
          {"kernel_leaf_samples", samples - idle}, {"top_self", self}, {"top_inclusive", inclusive},
          {"folded", folded}};
}

json cell_with(json trials) {
  return {{"id", "debian-6.12/raw/xfs/hwpoison-pfn@pages=64"},
          {"serial_log", "vm-debian-6.12/serial.log"},
          {"observation", {{"trials", trials}}}};
}

json fn(const char* name, uint64_t n) { return {{"function", name}, {"samples", n}}; }

TEST(PerfReport, CellWithoutPerfIsUnchanged) {
  json cell = cell_with(json::array({{{"index", 0}, {"perf", nullptr}}}));
  EXPECT_EQ(with_perf_summary(cell), cell);
  EXPECT_EQ(with_perf_summary(json{{"id", "x"}, {"observation", nullptr}}), (json{{"id", "x"}, {"observation", nullptr}}));
}

TEST(PerfReport, CountsPerEventOverTrials) {
  json cell = with_perf_summary(cell_with(json::array({
      trial(0, {{"ras:memory_failure_event", 64}, {"signal:signal_generate", 128}}, nullptr),
      trial(1, {{"ras:memory_failure_event", 62}, {"poisonlab:memory_failure", nullptr}}, nullptr),
  })));
  const json& counts = cell.at("perf").at("counts");
  EXPECT_EQ(counts["ras:memory_failure_event"]["per_trial"], json::array({64, 62}));
  EXPECT_EQ(counts["ras:memory_failure_event"]["total"], 126);
  EXPECT_TRUE(counts["ras:memory_failure_event"]["total"].is_number_unsigned());
  EXPECT_EQ(counts["ras:memory_failure_event"]["stats"]["min"], 62);
  EXPECT_EQ(counts["ras:memory_failure_event"]["stats"]["max"], 64);
  // An event a trial did not count, or whose count perf could not take, is null there.
  EXPECT_EQ(counts["signal:signal_generate"]["per_trial"], json::array({128, nullptr}));
  EXPECT_EQ(counts["poisonlab:memory_failure"]["per_trial"], json::array({nullptr, nullptr}));
  EXPECT_EQ(counts["poisonlab:memory_failure"]["stats"]["n"], 0);
  EXPECT_TRUE(cell["perf"]["record"].is_null());
}

TEST(PerfReport, TopFunctionsSummedAndFoldedPathsInTheRunDirectory) {
  json cell = with_perf_summary(cell_with(json::array({
      trial(0, json::object(),
            record(100, 60, {fn("memory_failure", 10), fn("__rmap_walk_file", 20)},
                   {fn("memory_failure", 30), fn("mf_dax_kill_procs", 25)}, "perf/x.t0.folded"),
            {{"perf_start", 2000000}, {"perf_stop", 4000000}, {"perf_script", 1000000000}}),
      trial(1, json::object(),
            record(50, 10, {fn("memory_failure", 15)}, {fn("memory_failure", 30), fn("mf_dax_kill_procs", 5)},
                   "perf/x.t1.folded"),
            {{"perf_start", 4000000}, {"perf_stop", 6000000}, {"perf_script", 3000000000}}),
  })));
  const json& r = cell.at("perf").at("record");
  EXPECT_EQ(r["trials_recorded"], 2);
  EXPECT_EQ(r["samples"], 150);
  EXPECT_EQ(r["idle_samples"], 70);
  ASSERT_EQ(r["top_self"].size(), 2u);
  EXPECT_EQ(r["top_self"][0]["function"], "memory_failure");
  EXPECT_EQ(r["top_self"][0]["samples"], 25);
  EXPECT_DOUBLE_EQ(r["top_self"][0]["share"].get<double>(), 25.0 / 80.0);  // of the 80 busy samples
  EXPECT_EQ(r["top_inclusive"][0], (json{{"function", "memory_failure"}, {"samples", 60}, {"share", 0.75}}));
  EXPECT_EQ(r["top_inclusive"][1]["function"], "mf_dax_kill_procs");
  EXPECT_EQ(r["folded"], json::array({"vm-debian-6.12/guest/perf/x.t0.folded", "vm-debian-6.12/guest/perf/x.t1.folded"}));
  EXPECT_EQ(cell["perf"]["trials"][1]["record"]["folded"], "vm-debian-6.12/guest/perf/x.t1.folded");
  const json& cost = cell["perf"]["cost_ms_stats"];
  EXPECT_EQ(cost["perf_script"]["max"], 3000.0);
  EXPECT_EQ(cost["perf_stop"]["min"], 4.0);
}

TEST(PerfReport, ErrorsAndSkippedRecordings) {
  json skipped = {{"ok", false}, {"error", nullptr}, {"skipped", "16 pages < record_min_pages 64"}, {"folded", nullptr}};
  json failed_stat = trial(1, json::object(), skipped);
  failed_stat["perf"]["stat"]["error"] = "perf stat: perf ended before counting (exit 129)";
  json cell = with_perf_summary(cell_with(json::array({trial(0, {{"ras:memory_failure_event", 16}}, skipped), failed_stat})));
  EXPECT_TRUE(cell["perf"]["record"].is_null());  // nothing was recorded
  EXPECT_EQ(cell["perf"]["errors"], json::array({"trial 1: perf stat: perf ended before counting (exit 129)"}));
}

TEST(PerfReport, SummaryLine) {
  json c = with_perf_summary(cell_with(json::array({trial(
      0, {{"ras:memory_failure_event", 64}, {"signal:signal_generate", 130}},
      record(100, 60, {fn("memory_failure", 10), fn("__rmap_walk_file", 20)}, json::array(), "perf/x.t0.folded"))})));
  std::string text = perf_summary_text(json{{"cells", json::array({c, json{{"id", "no-perf"}}})}});
  EXPECT_THAT(text, HasSubstr("debian-6.12/raw/xfs/hwpoison-pfn@pages=64        64       130       40  "
                              "__rmap_walk_file 50%, memory_failure 25%\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("no-perf")));
  EXPECT_EQ(perf_summary_text(json{{"cells", json::array({json{{"id", "no-perf"}}})}}), "");
}

TEST(PerfReport, SummaryLineOfAMalformedTopList) {  // found by tests/fuzz
  json perf = json::parse(R"({"record": {"samples": 10, "top_self": [5, {"function": 7}, {"function": "f"}]}})");
  std::string text = perf_summary_text(json{{"cells", json::array({json{{"id", "c"}, {"perf", perf}}})}});
  EXPECT_THAT(text, HasSubstr("? -, ? -, f -\n")) << text;
}

}  // namespace
}  // namespace poisonlab

#include "report/summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/report.h"

namespace poisonlab {
namespace {
using nlohmann::json;
using ::testing::HasSubstr;

json canned_report() {
  json cells = json::parse(R"([
    {"id": "debian-6.12/raw/madvise", "kernel": "debian-6.12", "stack": "raw", "method": "madvise",
     "status": "completed", "error": null, "verdict": "pass",
     "oracles": [{"name": "early_kill_signalled", "verdict": "pass", "evidence": {}},
                 {"name": "neighbour_untouched", "verdict": "pass", "evidence": {}},
                 {"name": "xfs_notified", "verdict": "skip", "evidence": null}],
     "notify_path": {"summary": {"holder": 4, "generic-fallback": 0}, "per_event": []},
     "latency": {"revocation_ns": [1250000, 2500000, 12000000]},
     "observation": {"trials": [{}, {}, {}]}},
    {"id": "debian-6.12/dm-linear/madvise", "kernel": "debian-6.12", "stack": "dm-linear", "method": "madvise",
     "status": "completed", "error": null, "verdict": "fail",
     "oracles": [{"name": "early_kill_signalled", "verdict": "pass"}, {"name": "xfs_notified", "verdict": "fail"}],
     "notify_path": {"summary": {"holder": 1, "generic-fallback": 3}},
     "latency": {"revocation_ns": [null, 3000000]},
     "observation": {"trials": [{}, {}]}},
    {"id": "debian-6.1/raw/hwpoison-pfn", "kernel": "debian-6.1", "stack": "raw", "method": "hwpoison-pfn",
     "status": "hang", "error": "no message from the agent for 120 s\nsecond line", "verdict": "error",
     "oracles": [], "notify_path": null, "latency": {"revocation_ns": []}, "observation": null}
  ])");
  json report = {{"schema_version", 1}, {"run", {{"status", "completed"}}}, {"kernels", json::array()},
                 {"cells", json::array()}};
  for (auto& cell : cells) report["cells"].push_back(with_latency_stats(cell));
  return report;
}

TEST(Summary, CannedReport) {
  std::string text = format_summary(canned_report());
  const std::string expected =
      "run status: completed\n"
      "cell                           verdict       oracles p/f/s  notify path               revocation p50 ms  p99 ms  max ms  trials\n"
      "debian-6.12/raw/madvise        pass                  2/0/1  holder                                2.500  12.000  12.000       3\n"
      "debian-6.12/dm-linear/madvise  fail                  1/1/0  generic-fallback (mixed)              3.000   3.000   3.000       2\n"
      "debian-6.1/raw/hwpoison-pfn    error (hang)          0/0/0  -                                         -       -       -       0\n"
      "3 cells: 1 passed, 1 failed, 1 errored; oracles: 3 pass, 1 fail, 1 skip\n"
      "not completed:\n"
      "  debian-6.1/raw/hwpoison-pfn: hang: no message from the agent for 120 s\n";
  EXPECT_EQ(text, expected) << text;
}

TEST(Summary, SeriesGetAScalingTable) {
  json report = canned_report();
  report["series"] = json::parse(R"([
    {"series": "debian-6.12/raw/xfs/hwpoison-pfn", "parameter": "early_kill", "points": [{}, {}, {}],
     "fits": {"revocation_ms_p50": {"ok": true, "slope": 0.6505, "r_squared": 0.9835},
              "kernel_handling_ms_p50": {"ok": false, "reason": "fewer than 2 usable points"}}}])");
  std::string text = format_summary(report);
  EXPECT_THAT(text, HasSubstr("scaling (log-log slope of the p50 against the swept value):\n"
                              "series                            swept       points  revocation exponent  "
                              "kernel handling exponent\n"
                              "debian-6.12/raw/xfs/hwpoison-pfn  early_kill       3       0.65 (r2 0.98)  "
                              "                       -\n"))
      << text;
  EXPECT_THAT(format_summary(canned_report()), ::testing::Not(HasSubstr("scaling")));
}

TEST(Summary, AFitWithoutItsNumbersIsADash) {  // found by tests/fuzz
  json report = canned_report();
  report["series"] = json::parse(R"([
    {"series": "s", "parameter": "pages", "points": [],
     "fits": {"revocation_ms_p50": {"ok": true}, "kernel_handling_ms_p50": {"ok": "yes", "slope": 1, "r_squared": 1}}}])");
  std::string text = format_summary(report);
  EXPECT_THAT(text, HasSubstr("s       pages       0                    -                         -\n")) << text;
}

TEST(Summary, ZeroCells) {
  std::string text = format_summary({{"schema_version", 1}, {"run", json::object()}, {"kernels", json::array()},
                                     {"cells", json::array()}});
  EXPECT_EQ(text,
            "cell  verdict  oracles p/f/s  notify path  revocation p50 ms  p99 ms  max ms  trials\n"
            "0 cells: 0 passed, 0 failed, 0 errored; oracles: 0 pass, 0 fail, 0 skip\n");
  EXPECT_THAT(format_summary(json::object()), HasSubstr("0 cells"));
}

TEST(Summary, CellWithNothingButAnId) {
  json report = {{"cells", {{{"id", "k/raw/madvise"}}}}};
  std::string text = format_summary(report);
  EXPECT_THAT(text, HasSubstr("k/raw/madvise  ?"));
  EXPECT_THAT(text, HasSubstr("1 errored"));
  EXPECT_THAT(text, HasSubstr("  k/raw/madvise: ?\n"));
}

TEST(Summary, TimedOutCellShowsItsPartialData) {
  json cell = {{"id", "k/raw/xfs/hwpoison-pfn"}, {"status", "timeout"}, {"verdict", "error"},
               {"error", "the cell did not finish within timeouts.cell_s = 600 s"},
               {"partial", {{"injection_progress", {{"trial", 0}, {"units_done", 4204}, {"units", 262144},
                                                    {"elapsed_ns", 24138230027ull}}}}}};
  std::string text = format_summary({{"cells", {cell}}});
  EXPECT_THAT(text, HasSubstr("  k/raw/xfs/hwpoison-pfn: timeout: the cell did not finish within timeouts.cell_s = 600 s\n"
                              "    partial: 0 trial(s) done; injection of trial 0 at 4204 of 262144 units after 24.1 s\n"))
      << text;
}

TEST(Summary, DominantNotifyPath) {
  EXPECT_EQ(dominant_notify_path(json::object()), "-");
  EXPECT_EQ(dominant_notify_path({{"notify_path", {{"summary", {{"holder", 0}}}}}}), "-");
  EXPECT_EQ(dominant_notify_path({{"notify_path", {{"summary", {{"holder", 2}}}}}}), "holder");
  EXPECT_EQ(dominant_notify_path({{"notify_path", {{"summary", {{"holder", 2}, {"generic-fallback", 2}}}}}}),
            "generic-fallback (mixed)");
  EXPECT_EQ(dominant_notify_path({{"notify_path", {{"summary", {{"none", 1}, {"holder", 5}}}}}}), "holder (mixed)");
}

}  // namespace
}  // namespace poisonlab

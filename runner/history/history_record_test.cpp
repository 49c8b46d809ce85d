#include "history/history_record.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/temp_dir.h"
#include "history/history_test_reports.h"

namespace poisonlab {
namespace {

using nlohmann::json;
using testing::TestCell;
using testing::TestRun;
using testing::write_test_report;

TestRun two_kernel_run() {
  return {.id = "run-a",
          .started_at = "2025-03-01T02:00:00Z",
          .kernels = {"debian-6.1", "debian-6.12"},
          .cells = {{.kernel = "debian-6.1", .key = "raw/xfs/madvise", .revocation_ms = {2.0, std::nullopt, 4.0}},
                    {.kernel = "debian-6.12", .key = "raw/xfs/madvise", .revocation_ms = {1.5}, .verdict = "fail"},
                    {.kernel = "debian-6.12", .key = "dm/xfs/mce", .revocation_ms = {}, .verdict = "error",
                     .status = "hang"}}};
}

TEST(HistoryRecord, ReadsTheRunAndEveryCellOfEveryKernel) {
  TempDir dir;
  auto path = write_test_report(dir.path(), two_kernel_run());
  RunRecord run = load_run_record(path);
  EXPECT_EQ(run.run_id, "run-a");
  EXPECT_EQ(run.scenario, "ab-nightly");
  EXPECT_EQ(run.started_at, "2025-03-01T02:00:00Z");
  EXPECT_EQ(run.finished_at, "2025-03-01T23:59:59Z");
  EXPECT_EQ(run.status, "failed");
  EXPECT_EQ(run.git_sha, "abc123");
  EXPECT_EQ(run.report_path, path.string());
  EXPECT_EQ(run.variants, (std::vector<std::string>{"debian-6.1", "debian-6.12"}));
  ASSERT_EQ(run.cells.size(), 3u);

  const CellRecord& first = run.cells[0];
  EXPECT_EQ(first.variant, "debian-6.1");
  EXPECT_EQ(first.key, "raw/xfs/madvise");
  EXPECT_EQ(first.id, "debian-6.1/raw/xfs/madvise");
  EXPECT_EQ(first.release, "debian-6.1.0-test");
  EXPECT_EQ(first.samples_ms.at("revocation"), (std::vector<double>{2.0, 4.0}));  // the null trial skipped
  EXPECT_EQ(first.samples_ms.at("kernel_handling"), (std::vector<double>{0.2, 0.4}));
  EXPECT_FALSE(first.samples_ms.contains("timeline"));
  EXPECT_EQ(first.oracles.size(), 2u);
  EXPECT_EQ(first.notify_summary, json({{"holder", 3}}));
  EXPECT_EQ(first.cell_file, (dir.path() / "run-a" / "report.cells" / "0000.json").string());
  EXPECT_TRUE(std::filesystem::exists(*first.cell_file));

  EXPECT_EQ(run.cells[1].variant, "debian-6.12");
  EXPECT_EQ(run.cells[1].verdict, "fail");
  EXPECT_EQ(run.cells[1].oracles[1], (std::pair<std::string, std::string>{"expected_victims", "fail"}));
  EXPECT_EQ(run.cells[2].status, "hang");
  EXPECT_EQ(run.cells[2].index, 2u);
  EXPECT_TRUE(run.cells[2].samples_ms.at("revocation").empty());
}

TEST(HistoryRecord, ExportShapeNamesEvidenceAndSamples) {
  TempDir dir;
  RunRecord run = load_run_record(write_test_report(dir.path(), two_kernel_run()));
  json out = to_json(run);
  EXPECT_EQ(out["cells"].size(), 3u);
  const json& cell = out["cells"][0];
  EXPECT_EQ(cell["evidence"]["report"], run.report_path);
  EXPECT_EQ(cell["evidence"]["index"], 0);
  EXPECT_EQ(cell["samples"]["revocation_ms"], json({2.0, 4.0}));
  EXPECT_EQ(cell["oracles"], json({{"trials_completed", "pass"}, {"expected_victims", "pass"}}));
  EXPECT_TRUE(out["cells"][2]["samples"]["revocation_ms"].is_array());
  for (const char* field : {"run_id", "scenario", "started_at", "finished_at", "status", "report_path", "git_sha",
                            "variants", "series", "cells"})
    EXPECT_TRUE(out.contains(field)) << field;
}

TEST(HistoryRecord, SeriesCarryTheirVariant) {
  TempDir dir;
  TestRun sweep{.id = "sweep", .started_at = "2025-03-01T02:00:00Z", .kernels = {"debian-6.12"}};
  for (double pages : {1.0, 4.0, 16.0})
    sweep.cells.push_back({.kernel = "debian-6.12", .key = "raw/xfs/mce", .revocation_ms = {pages, pages * 1.1},
                           .sweep_value = pages});
  RunRecord run = load_run_record(write_test_report(dir.path(), sweep));
  ASSERT_EQ(run.series.size(), 1u);
  EXPECT_EQ(run.series[0]["variant"], "debian-6.12");
  EXPECT_EQ(run.series[0]["points"].size(), 3u);
  EXPECT_TRUE(run.series[0]["fits"].contains("revocation_ms_p50"));
}

TEST(HistoryRecord, DigestFollowsContent) {
  TempDir dir;
  TestRun original = two_kernel_run();
  auto path = write_test_report(dir.path(), original);
  std::string digest = record_digest(load_run_record(path));
  EXPECT_EQ(digest, record_digest(load_run_record(path)));
  original.cells[0].verdict = "fail";  // as `poisonlab judge` might
  EXPECT_NE(digest, record_digest(load_run_record(write_test_report(dir.path(), original))));
}

// A field the history needs, broken in a report load_report accepts.
void expect_input_error(const std::function<void(json&)>& damage, const std::string& pointer,
                        const std::string& expected) {
  TempDir dir;
  auto path = write_test_report(dir.path(), two_kernel_run());
  json report = json::parse(read_file(path));
  damage(report);
  write_file_atomic(path, report.dump());
  try {
    load_run_record(path);
    FAIL() << "no error for " << pointer;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path.string());
    EXPECT_EQ(e.pointer(), pointer);
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), kExitBadInput);
  }
}

TEST(HistoryRecord, NamesTheFieldThatIsWrong) {
  expect_input_error([](json& r) { r["run"].erase("id"); }, "/run/id", "the run id");
  expect_input_error([](json& r) { r["run"]["scenario"].erase("name"); }, "/run/scenario/name", "scenario name");
  expect_input_error([](json& r) { r["run"]["started_at"] = "yesterday"; }, "/run/started_at", "YYYY-MM-DD");
  expect_input_error([](json& r) { r["cells"][1].erase("kernel"); }, "/cells/1/kernel", "kernel variant");
  expect_input_error([](json& r) { r["cells"][0]["latency"]["revocation_ns"][1] = "fast"; },
                     "/cells/0/latency/revocation_ns/1", "a number of nanoseconds or null");
  expect_input_error([](json& r) { r["cells"][0]["latency"]["phases"][0]["kernel_handling_ns"] = true; },
                     "/cells/0/latency/phases/0/kernel_handling_ns", "nanoseconds");
  expect_input_error([](json& r) { r["cells"][0]["oracles"][0].erase("verdict"); }, "/cells/0/oracles/0/verdict",
                     "oracle verdict");
  expect_input_error([](json& r) { r["series"] = 3; }, "/series", "an array");
}

TEST(HistoryRecord, APhaseNameWithASlashIsEscapedInThePointer) {  // found by tests/fuzz
  expect_input_error([](json& r) { r["cells"][0]["latency"]["phases"][0]["a/b~c_ns"] = "slow"; },
                     "/cells/0/latency/phases/0/a~1b~0c_ns", "nanoseconds");
}

TEST(HistoryRecord, ACellThatIsNotAnObjectIsRejectedByTheLoader) {  // found by tests/fuzz
  expect_input_error([](json& r) { r["cells"][1] = "cell"; }, "/cells/1", "expected an object, got string");
}

TEST(HistoryRecord, NonReportFileIsBadInput) {
  TempDir dir;
  auto scenario = dir.write("scenario.json", R"({"name": "not a report"})");
  try {
    load_run_record(scenario);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), scenario.string());
    EXPECT_EQ(e.pointer(), "/schema_version");
  }
  auto text = dir.write("notes.txt", "hello");
  EXPECT_THROW(load_run_record(text), InputError);
  EXPECT_THROW(load_run_record(dir / "missing.json"), InputError);
}

}  // namespace
}  // namespace poisonlab

#include "report/report.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "oracles/oracles.h"
#include "report/schema_test_util.h"

namespace poisonlab {
namespace {
using nlohmann::json;
namespace fs = std::filesystem;
using schema_test::report_schema_errors;
using schema_test::sample_run_metadata;

// Every report a test writes must match reports/schema/report.schema.json.
class ReportTest : public ::testing::Test {
 protected:
  ReportTest() : dir_(fs::temp_directory_path() / ("pl_report_test." + std::to_string(getpid()))) {
    fs::create_directories(dir_);
  }
  ~ReportTest() override { fs::remove_all(dir_); }
  void TearDown() override {
    if (fs::exists(path())) {
      EXPECT_EQ(report_schema_errors(path()), "");
    }
  }
  json on_disk() const { return json::parse(read_file(path())); }
  fs::path path() const { return dir_ / "report.json"; }
  fs::path dir_;
};

json empty_notify_path() {
  return {{"summary", json::object()}, {"per_trial", json::array()}, {"trace_enabled", false}};
}

// A completed cell of kernel "k" as the oracle stage judges it.
json judged(const std::string& id, const std::string& verdict, json oracle_verdicts, json revocation_ns) {
  json oracles = json::array();
  for (const auto& v : oracle_verdicts)
    oracles.push_back({{"name", "o"}, {"verdict", v}, {"evidence", nullptr}, {"summary", "s"}});
  return {{"id", id},          {"kernel", "k"},          {"stack", "raw"},         {"filesystem", "xfs"},
          {"method", "madvise"}, {"target", "file"},     {"status", "completed"},  {"error", nullptr},
          {"verdict", verdict},  {"oracles", oracles},   {"notify_path", empty_notify_path()},
          {"latency", {{"revocation_ns", revocation_ns}}}, {"spec", json::object()},
          {"observation", json::object()}};
}

json kernel_info(const std::string& variant) {
  return {{"variant", variant}, {"release", "6.12.1-amd64"}, {"config_sha256", std::string(64, 'c')},
          {"boots", json::array()}};
}

TEST_F(ReportTest, ConstructorWritesAValidEmptyReport) {
  RunReport report(path(), sample_run_metadata("r1"));
  json j = on_disk();
  EXPECT_EQ(j, report.json());
  EXPECT_EQ(j["schema_version"], kReportSchemaVersion);
  EXPECT_EQ(j["run"]["id"], "r1");
  EXPECT_EQ(j["run"]["variants"], json::array());
  EXPECT_EQ(j["kernels"], json::array());
  EXPECT_EQ(j["cells"], json::array());
  EXPECT_EQ(j["series"], json::array());
  EXPECT_EQ(j["summary"], json::parse(R"({"cells": 0, "passed": 0, "failed": 0, "errored": 0,
                                          "oracles": {"pass": 0, "fail": 0, "skip": 0}})"));
}

TEST_F(ReportTest, EachCellIsWrittenWholeToItsFileAndALargeOneOnlyThere) {
  RunReport report(path(), sample_run_metadata(), /*inline_cell_bytes=*/2000);
  json small = judged("k/raw/small", "pass", {"pass"}, {1000000});
  small["observation"] = {{"trials", json::array({{{"x", 1}}})}};
  json large = judged("k/raw/large", "pass", {"pass"}, {1000000});
  large["observation"] = {{"trials", json::array({{{"x", std::string(4000, 'p')}}})}};
  report.add_cell(small);
  report.add_cell(large);
  json j = on_disk();
  EXPECT_EQ(j["cells"][0]["observation"], small["observation"]);
  EXPECT_EQ(j["cells"][1]["cell_file"], "report.cells/0001.json");
  EXPECT_EQ(j["cells"][1]["observation"]["in_file"], "report.cells/0001.json");
  EXPECT_GT(j["cells"][1]["observation"]["bytes"].get<size_t>(), 4000u);
  json back = with_observation(j["cells"][1], dir_);
  EXPECT_EQ(back["observation"], large["observation"]);
  EXPECT_EQ(back["latency"]["revocation_ms_stats"]["n"], 1);
  EXPECT_EQ(json::parse(read_file(dir_ / "report.cells/0000.json"))["observation"], small["observation"]);
  EXPECT_EQ(with_observation(j["cells"][0], dir_), j["cells"][0]);  // inline: as it is

  fs::remove(dir_ / "report.cells/0001.json");
  EXPECT_THROW(with_observation(j["cells"][1], dir_), InputError);
}

TEST_F(ReportTest, AnObservationFileOfAnotherCellIsAnInputError) {
  write_file_atomic(dir_ / "other.json", R"({"id": "k/a", "observation": {}})");
  json cell = {{"id", 7}, {"observation", {{"in_file", "other.json"}}}};  // an id that is not a string
  try {
    with_observation(cell, dir_);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/id");
  }
}

TEST_F(ReportTest, ALargeCellKeepsItsNotifyListOnlyInItsFile) {
  RunReport report(path(), sample_run_metadata(), /*inline_cell_bytes=*/2000);
  json large = judged("k/raw/large", "pass", {"pass"}, {1000000});
  json per_event = json::array();
  for (int i = 0; i < 40; ++i) per_event.push_back({{"pfn", 4096 + i}, {"class", "holder"}, {"reason", "r"}});
  large["notify_path"] = {{"summary", {{"holder", 40}}},
                          {"per_trial", {{{"trial", 0}, {"per_event", per_event}, {"summary", {{"holder", 40}}},
                                         {"unavailable_probes", json::array()}}}},
                          {"trace_enabled", true}};
  large["observation"] = {{"kernel_log", {std::string("bad utf-8 \xff here")}}, {"trials", json::array()}};
  large["oracles"][0]["evidence"] = {{"units", json::array({1, 2, 3})}};
  report.add_cell(large);
  json j = on_disk();
  EXPECT_EQ(j["cells"][0]["oracles"][0]["evidence"], json({{"in_file", "report.cells/0000.json"}}));
  EXPECT_EQ(j["cells"][0]["oracles"][0]["verdict"], "pass");
  const json& stored = j["cells"][0]["notify_path"];
  EXPECT_EQ(stored["summary"], large["notify_path"]["summary"]);
  EXPECT_EQ(stored["per_trial"][0]["per_event"],
            json({{"in_file", "report.cells/0000.json"}, {"count", 40}}));
  EXPECT_EQ(stored["per_trial"][0]["summary"], large["notify_path"]["per_trial"][0]["summary"]);
  // The streamed cell file holds it whole, invalid UTF-8 replaced as in report.json.
  json back = with_observation(j["cells"][0], dir_);
  EXPECT_EQ(back["notify_path"]["per_trial"][0]["per_event"], per_event);
  EXPECT_EQ(back["oracles"][0]["evidence"]["units"], json::array({1, 2, 3}));
  EXPECT_EQ(back["observation"]["kernel_log"][0], "bad utf-8 \ufffd here");
  EXPECT_EQ(j["cells"][0]["observation"]["bytes"].get<size_t>(), fs::file_size(dir_ / "report.cells/0000.json"));
}

TEST_F(ReportTest, EveryChangeIsOnDiskAtOnce) {
  RunReport report(path(), sample_run_metadata());
  report.add_kernel(kernel_info("k"));
  EXPECT_EQ(on_disk()["kernels"][0]["variant"], "k");

  report.add_cell(judged("k/raw/madvise", "pass", {"pass", "pass", "skip"}, {2000000, 1000000, nullptr, 4000000}));
  json j = on_disk();
  ASSERT_EQ(j["cells"].size(), 1u);
  const json& stats = j["cells"][0]["latency"]["revocation_ms_stats"];
  EXPECT_EQ(stats["n"], 3);
  EXPECT_EQ(stats["missing"], 1);
  EXPECT_DOUBLE_EQ(stats["min"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(stats["p50"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(stats["max"].get<double>(), 4.0);
  EXPECT_EQ(j["cells"][0]["latency"]["revocation_ns"].size(), 4u);  // raw samples kept

  report.add_cell(judged("k/raw/hwpoison-pfn", "fail", {"pass", "fail"}, json::array()));
  report.add_cell(judge_failed_cell({"k/dm-linear/xfs/madvise", "k", "dm-linear", "madvise", "xfs", "file"}, "hang",
                                    "no progress for 120 s", ""));
  j = on_disk();
  EXPECT_EQ(j["summary"], json::parse(R"({"cells": 3, "passed": 1, "failed": 1, "errored": 1,
                                          "oracles": {"pass": 4, "fail": 1, "skip": 1}})"));
  EXPECT_EQ(j["cells"][2]["latency"]["revocation_ns"], json::array());
  EXPECT_EQ(j["cells"][2]["latency"]["revocation_ms_stats"]["n"], 0);
  EXPECT_TRUE(j["cells"][2]["latency"]["revocation_ms_stats"]["p50"].is_null());

  report.finish({{"finished_at", "2025-01-01T00:10:00Z"}, {"status", "failed"}});
  j = on_disk();
  EXPECT_EQ(j["run"]["status"], "failed");
  EXPECT_EQ(j, report.json());
  // No temporary files are left beside the report and its cell files.
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir_)) names.push_back(fs::relative(e.path(), dir_).string());
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ::testing::ElementsAre("report.cells", "report.cells/0000.json", "report.cells/0001.json",
                                            "report.cells/0002.json", "report.json"));
}

TEST_F(ReportTest, ReReadReportRoundTrips) {
  {
    RunReport report(path(), sample_run_metadata());
    report.add_cell(judged("k/raw/xfs/a", "pass", {"pass"}, {1500000}));
  }
  json loaded = load_report(path());
  EXPECT_EQ(loaded, on_disk());  // the current version is read as it is
  EXPECT_EQ(loaded["cells"][0]["id"], "k/raw/xfs/a");
  EXPECT_DOUBLE_EQ(loaded["cells"][0]["latency"]["revocation_ms_stats"]["mean"].get<double>(), 1.5);
  EXPECT_EQ(loaded["summary"]["passed"], 1);
}

TEST_F(ReportTest, LoadRejectsWhatIsNotAReport) {
  fs::path bad = dir_ / "bad.json";
  write_file_atomic(bad, "{\"schema_version\": 3, \"kernels\": [], \"cells\": []}");
  try {
    load_report(bad);
    ADD_FAILURE();
  } catch (const InputError& e) {  // names the file, the field and the versions this build reads
    EXPECT_EQ(e.file(), bad.string());
    EXPECT_EQ(e.pointer(), "/schema_version");
    EXPECT_THAT(e.what(), ::testing::HasSubstr("schema_version 1 to 2"));
  }
  write_file_atomic(bad, "{\"schema_version\": \"2\", \"kernels\": [], \"cells\": []}");
  EXPECT_THROW(load_report(bad), InputError);
  write_file_atomic(bad, "{\"schema_version\": 2, \"kernels\": {}, \"cells\": []}");
  try {
    load_report(bad);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/kernels");
  }
  write_file_atomic(bad, "{\"schema_version\": 1, \"cells\": [");
  try {
    load_report(bad);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("invalid JSON"));
  }
  EXPECT_THROW(load_report(dir_ / "absent.json"), InputError);
  // A number too large for a double: nlohmann throws out_of_range, not parse_error (found by tests/fuzz).
  write_file_atomic(bad, R"({"schema_version": 2, "kernels": [], "cells": [{"latency": 1841e308}]})");
  try {
    load_report(bad);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "");
    EXPECT_THAT(e.what(), ::testing::HasSubstr("invalid JSON"));
  }
}

// Found by tests/fuzz: entries that are not objects reached readers that
// took them for one (nlohmann type_error).
TEST_F(ReportTest, LoadRejectsCellsAndKernelsThatAreNotObjects) {
  fs::path bad = dir_ / "bad.json";
  for (const auto& [text, pointer] : std::vector<std::pair<std::string, std::string>>{
           {R"({"schema_version": 2, "kernels": [], "cells": [{"id": "k/a"}, "k/b"]})", "/cells/1"},
           {R"({"schema_version": 1, "kernels": [7], "cells": []})", "/kernels/0"},
           {R"({"schema_version": 1, "kernels": [], "cells": [null]})", "/cells/0"}}) {
    write_file_atomic(bad, text);
    try {
      load_report(bad);
      ADD_FAILURE() << text;
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), bad.string());
      EXPECT_EQ(e.pointer(), pointer);
      EXPECT_THAT(e.what(), ::testing::HasSubstr("expected an object"));
    }
  }
  fs::remove(bad);
}

TEST_F(ReportTest, AVersion1CellWithAnIdThatIsNotAStringLoads) {  // found by tests/fuzz
  write_file_atomic(path(), R"({"schema_version": 1, "kernels": [], "cells": [{"id": 5, "kernel": "k"}]})");
  json loaded = load_report(path());
  EXPECT_EQ(loaded["cells"][0]["key"], "");
  fs::remove(path());  // not a whole report: TearDown's schema check is not for it
}

TEST_F(ReportTest, InvalidUtf8FromTheGuestDoesNotLoseTheReport) {
  RunReport report(path(), sample_run_metadata());
  json cell = judged("k/raw/xfs/a", "pass", {"pass"}, {1000000});
  cell["observation"] = {{"kernel_log", {std::string("bad \xff byte")}}};
  report.add_cell(cell);
  json j = on_disk();
  EXPECT_EQ(j["cells"][0]["observation"]["kernel_log"][0], "bad \xEF\xBF\xBD byte");
}

TEST_F(ReportTest, CellsHaveTheirKeyAndTheRunItsVariantsInOrder) {
  json run = sample_run_metadata();
  run["variants"] = {"pl-6.12"};  // as the run stage plans them
  RunReport report(path(), run);
  report.add_kernel(kernel_info("k"));
  report.add_cell(judged("k/dm-linear/xfs/madvise@pages=4", "pass", {"pass"}, {1000000}));
  json other = judged("debian-6.1/raw/xfs/madvise", "pass", {"pass"}, {1000000});
  other["kernel"] = "debian-6.1";
  report.add_cell(other);
  report.add_kernel(kernel_info("k"));  // a variant is listed once
  json j = on_disk();
  EXPECT_EQ(j["cells"][0]["key"], "dm-linear/xfs/madvise@pages=4");
  EXPECT_EQ(j["cells"][1]["key"], "raw/xfs/madvise");
  EXPECT_EQ(cell_key(j["cells"][1]), "raw/xfs/madvise");
  EXPECT_EQ(j["run"]["variants"], json({"pl-6.12", "k", "debian-6.1"}));
  EXPECT_EQ(json::parse(read_file(dir_ / "report.cells/0000.json"))["key"], "dm-linear/xfs/madvise@pages=4");
}

TEST_F(ReportTest, AVersion1ReportIsReadAsTheCurrentVersion) {
  {
    RunReport report(path(), sample_run_metadata());
    report.add_kernel(kernel_info("debian-6.12"));
    json cell = judged("debian-6.12/raw/xfs/madvise", "pass", {"pass"}, {1000000});
    cell["kernel"] = "debian-6.12";
    report.add_cell(cell);
    report.add_cell(judge_failed_cell({"debian-6.1/raw/xfs/madvise", "debian-6.1", "raw", "madvise", "xfs", "file"},
                                      "kernel-error", "no such package", ""));
  }
  // What a version-1 build wrote: no keys, no variants, no series.
  json v1 = on_disk();
  v1["schema_version"] = 1;
  v1["run"].erase("variants");
  v1.erase("series");
  for (json& cell : v1["cells"]) cell.erase("key");
  write_file_atomic(path(), v1.dump(1));

  json loaded = load_report(path());
  EXPECT_EQ(loaded["schema_version"], kReportSchemaVersion);
  EXPECT_EQ(loaded["cells"][0]["key"], "raw/xfs/madvise");
  EXPECT_EQ(loaded["cells"][1]["key"], "raw/xfs/madvise");
  EXPECT_EQ(loaded["run"]["variants"], json({"debian-6.12", "debian-6.1"}));
  EXPECT_EQ(loaded["series"], json::array());
  // The upgraded report is a valid current report (TearDown validates it).
  write_file_atomic(path(), loaded.dump(1));
  EXPECT_EQ(on_disk()["cells"][0]["verdict"], "pass");
}

TEST(Report, RejectsMalformedCells) {
  // cell_key is tolerant: a malformed cell has the empty key (found by tests/fuzz).
  EXPECT_EQ(cell_key(json("k/a")), "");
  EXPECT_EQ(cell_key(json::array()), "");
  EXPECT_EQ(cell_key({{"id", 5}}), "");
  EXPECT_EQ(cell_key({{"key", 5}, {"id", "k/a/b"}}), "a/b");
  EXPECT_THROW(with_latency_stats({{"latency", {{"revocation_ns", {"fast"}}}}}), std::invalid_argument);
  EXPECT_THROW(with_latency_stats({{"latency", {{"revocation_ns", 5}}}}), std::invalid_argument);
  json no_latency = with_latency_stats({{"id", "x"}});
  EXPECT_EQ(no_latency["latency"]["revocation_ns"], json::array());
  EXPECT_EQ(no_latency["latency"]["revocation_ms_stats"]["missing"], 0);
}

TEST(Report, PhaseStatisticsOverTrials) {
  json phases = json::array({{{"trial", 0}, {"notify_to_unmap_done_ns", 2'000'000}, {"timeline", json::object()}},
                             {{"trial", 1}, {"notify_to_unmap_done_ns", 4'000'000}},
                             {{"trial", 2}, {"notify_to_unmap_done_ns", nullptr}}});
  json cell = with_latency_stats({{"latency", {{"revocation_ns", json::array()}, {"phases", phases}}}});
  const json& stats = cell["latency"]["phase_ms_stats"];
  ASSERT_EQ(stats.size(), 1u);  // only "_ns" values: not trial, not timeline
  EXPECT_EQ(stats["notify_to_unmap_done"]["n"], 2);
  EXPECT_EQ(stats["notify_to_unmap_done"]["missing"], 1);
  EXPECT_DOUBLE_EQ(stats["notify_to_unmap_done"]["p50"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(stats["notify_to_unmap_done"]["max"].get<double>(), 4.0);
  EXPECT_TRUE(cell["latency"]["phases"][0].contains("timeline"));  // raw samples kept
}

TEST(Report, CountsUnknownVerdictsAsErrored) {
  json cells = json::array({{{"verdict", "pass"}}, {{"verdict", nullptr}}, json::object(), {{"verdict", "weird"}}});
  json counts = count_verdicts(cells);
  EXPECT_EQ(counts["cells"], 4);
  EXPECT_EQ(counts["passed"], 1);
  EXPECT_EQ(counts["errored"], 3);
}

TEST(Report, UnwritableDirectoryIsAUserError) {
  EXPECT_THROW(RunReport("/nonexistent-dir/report.json", json::object()), UserError);
}

}  // namespace
}  // namespace poisonlab

// reports/schema/report.schema.json against reports the real writer
// produces, broken copies of them, the version-1 fixture and real runs'
// reports; reports/schema/validate.mjs's output and exit status.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "common/fs_util.h"
#include "common/temp_dir.h"
#include "report/report.h"
#include "report/report_version.h"
#include "sample_run.h"

namespace {

using nlohmann::json;
using poisonlab::TempDir;
using poisonlab::schema_test::report_schema;
using poisonlab::schema_test::report_schema_errors;
using poisonlab::schema_test::schema_errors;
using schema_fixture::write_sample_run;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

fs::path v1_fixture() { return schema_fixture::source_dir() / "tests/schema/fixtures/report-v1.json"; }

TEST(WrittenReports, EveryKindOfCellMatchesTheSchema) {
  TempDir dir("pl-schema");
  json report = write_sample_run(dir.path());
  EXPECT_EQ(report_schema_errors(dir / "report.json"), "");
  // What the run holds, so the check above covered it.
  std::set<std::string> statuses, parts;
  for (const json& cell : report["cells"]) {
    statuses.insert(cell["status"].get<std::string>());
    for (const char* part : {"perf", "fio", "partial", "kernel_problems"})
      if (cell.contains(part) && !cell[part].empty()) parts.insert(part);
  }
  EXPECT_EQ(statuses, (std::set<std::string>{"completed", "hang", "timeout", "kernel-error"}));
  EXPECT_EQ(parts, (std::set<std::string>{"perf", "fio", "partial", "kernel_problems"}));
  ASSERT_EQ(report["series"].size(), 1u);
  EXPECT_TRUE(report["series"][0]["fits"]["revocation_ms_p50"]["ok"].get<bool>());
  EXPECT_TRUE(report["run"]["speed_targets"].is_object());
}

TEST(WrittenReports, LargeCellsKeepPointersThatMatchTheSchema) {
  TempDir dir("pl-schema");
  json report = write_sample_run(dir.path(), /*inline_cell_bytes=*/60000);
  int pointers = 0;
  for (const json& cell : report["cells"]) pointers += cell["observation"].contains("in_file");
  EXPECT_GE(pointers, 3);
  EXPECT_EQ(report_schema_errors(dir / "report.json"), "");
}

// A broken copy of a valid report, and what the validator said of it.
class RejectedReports : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("pl-schema-rejected");
    valid_ = new json(write_sample_run(dir_->path(), /*inline_cell_bytes=*/60000));
  }
  static void TearDownTestSuite() {
    delete valid_;
    delete dir_;
  }
  using Change = std::function<void(json&)>;
  // Each change applied to its own copy of the report, all checked by one
  // validator run; the validator's output for each, in order.
  std::vector<std::string> errors_after(const std::vector<Change>& changes) {
    std::vector<fs::path> files;
    for (size_t i = 0; i < changes.size(); ++i) {
      json broken = *valid_;
      changes[i](broken);
      files.push_back(*dir_ / ("broken-" + std::to_string(i) + ".json"));
      poisonlab::write_file_atomic(files.back(), broken.dump(1));
    }
    std::string out = schema_errors(report_schema(), files);
    std::vector<std::string> per_file(changes.size());
    for (size_t i = 0; i < changes.size(); ++i)
      for (size_t at = out.find(files[i].string() + ": "); at != std::string::npos;
           at = out.find(files[i].string() + ": ", at + 1))
        per_file[i] +=
            out.substr(at + files[i].string().size(), out.find('\n', at) - at - files[i].string().size()) + "\n";
    return per_file;
  }
  static json cell_file(size_t index) {
    return schema_fixture::read_json(*dir_ / (*valid_)["cells"][index]["cell_file"].get<std::string>());
  }
  static inline TempDir* dir_ = nullptr;
  static inline json* valid_ = nullptr;
};

TEST_F(RejectedReports, AWrongVerdict) {
  auto errors = errors_after({
      [](json& r) { r["cells"][0]["verdict"] = "passed"; },
      [](json& r) { r["cells"][1]["oracles"][2]["verdict"] = "PASS"; },
      [](json& r) { r["correctness_matrix"]["cells"].begin()->begin().value() = "ok"; },
  });
  EXPECT_EQ(errors[0],
            ": /cells/0/verdict: must be equal to one of the allowed values: \"pass\", \"fail\", \"error\"\n");
  EXPECT_THAT(errors[1], HasSubstr("/cells/1/oracles/2/verdict: must be equal to one of the allowed values"));
  EXPECT_THAT(errors[2], HasSubstr("/correctness_matrix/cells/"));
}

TEST_F(RejectedReports, AMissingRequiredField) {
  auto errors = errors_after({
      [](json& r) { r["cells"][0]["oracles"][0].erase("verdict"); },
      [](json& r) { r["cells"][2].erase("key"); },
      [](json& r) { r["run"].erase("variants"); },
      [](json& r) { r.erase("summary"); },
  });
  EXPECT_THAT(errors[0], HasSubstr("/cells/0/oracles/0: must have required property 'verdict'"));
  EXPECT_THAT(errors[1], HasSubstr("/cells/2: must have required property 'key'"));
  EXPECT_THAT(errors[2], HasSubstr("/run: must have required property 'variants'"));
  EXPECT_EQ(errors[3], ": /: must have required property 'summary'\n");
}

TEST_F(RejectedReports, WrongTypesAndInconsistentStatistics) {
  auto errors = errors_after({
      [](json& r) { r["cells"][0]["latency"]["revocation_ns"].push_back("1 ms"); },
      [](json& r) { r["cells"][9]["latency"]["revocation_ms_stats"]["p50"] = 2.5; },  // no samples, yet a median
      [](json& r) { r["summary"]["oracles"]["pass"] = -1; },
      [](json& r) { r["run"]["started_at"] = "yesterday"; },
      [](json& r) { r["cells"][9]["verdict"] = "pass"; },  // a cell that did not complete has no verdict but error
      [](json& r) { r["schema_version"] = 3; },
  });
  EXPECT_THAT(errors[0], HasSubstr("/cells/0/latency/revocation_ns/1: must be integer,null"));
  EXPECT_THAT(errors[1], HasSubstr("/cells/9/latency/revocation_ms_stats/p50: must be null"));
  EXPECT_THAT(errors[2], HasSubstr("/summary/oracles/pass: must be >= 0"));
  EXPECT_THAT(errors[3], HasSubstr("/run/started_at: must match format \"date-time\""));
  EXPECT_THAT(errors[4], HasSubstr("/cells/9/verdict: must be equal to constant: \"error\""));
  EXPECT_EQ(errors[5], ": /schema_version: must be equal to constant: 2\n");
}

TEST_F(RejectedReports, ACellFileHoldsTheWholeCell) {
  std::string cell_record = poisonlab::schema_test::cell_record_schema();
  size_t large = 0;
  while ((*valid_)["cells"][large]["observation"].is_null() ||
         !(*valid_)["cells"][large]["observation"].contains("in_file"))
    ++large;
  // The cell file itself is whole; report.json's entry of it is not.
  fs::path whole = *dir_ / "whole.json", pointer = *dir_ / "pointer.json";
  poisonlab::write_file_atomic(whole, cell_file(large).dump());
  poisonlab::write_file_atomic(pointer, (*valid_)["cells"][large].dump());
  EXPECT_EQ(schema_errors(cell_record, {whole}), "");
  EXPECT_THAT(schema_errors(cell_record, {pointer}), HasSubstr("pointer.json: /observation"));
  EXPECT_EQ(schema_errors(report_schema() + "#/$defs/cell", {pointer}), "");
}

TEST(ReportVersions, TheVersion1FixtureIsReadAsVersion2AndMatchesTheSchema) {
  json v1 = schema_fixture::read_json(v1_fixture());
  ASSERT_EQ(v1["schema_version"], 1);
  ASSERT_FALSE(v1["cells"][0].contains("key"));
  json upgraded = poisonlab::load_report(v1_fixture());
  EXPECT_EQ(upgraded["schema_version"], 2);
  EXPECT_EQ(upgraded["run"]["variants"], json({"debian-6.12", "debian-6.1"}));
  for (const json& cell : upgraded["cells"]) {
    std::string id = cell["id"].get<std::string>();
    EXPECT_EQ(cell["key"], id.substr(id.find('/') + 1));
  }
  TempDir dir("pl-schema-v1");
  poisonlab::write_file_atomic(dir / "report.json", upgraded.dump(1));
  EXPECT_EQ(schema_errors(report_schema(), {dir / "report.json"}), "");
  // As it is on disk, the schema (version 2) rejects it for its version only.
  std::string raw = schema_errors(report_schema(), {v1_fixture()});
  EXPECT_THAT(raw, HasSubstr("/schema_version: must be equal to constant: 2"));
}

// Runs the validator directly: its output format and exit status.
poisonlab::CommandResult validator(std::vector<std::string> args) {
  fs::path node;
  if (std::string missing = poisonlab::schema_test::missing_validator_tools(node); !missing.empty())
    throw std::runtime_error(missing);
  std::vector<std::string> argv = {node.string(), (poisonlab::schema_test::schema_dir() / "validate.mjs").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return poisonlab::run_command(argv);
}

TEST(Validator, ExitStatusTellsInvalidFromUnreadable) {
  TempDir dir("pl-validator");
  fs::path good = dir.write("good.json", R"({"n": 0, "min": null, "p50": null, "p90": null, "p99": null, "max": null,
                                            "mean": null, "stddev": null, "p50_ci95": null, "missing": 2})");
  fs::path bad = dir.write("bad.json", R"({"n": 1, "min": 1, "p50": 1, "p90": 1, "p99": 1, "max": 1, "mean": 1,
                                          "stddev": -1, "p50_ci95": null})");
  fs::path not_json = dir.write("not.json", "{");
  std::string stats = report_schema() + "#/$defs/stats";
  EXPECT_EQ(validator({stats, good.string()}).exit_code, 0);
  auto invalid = validator({stats, good.string(), bad.string()});
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_EQ(invalid.out,
            bad.string() + ": /stddev: must be >= 0\n" + bad.string() + ": /: must match \"else\" schema\n");
  auto unreadable = validator({stats, good.string(), (dir / "absent.json").string(), not_json.string()});
  EXPECT_EQ(unreadable.exit_code, 2);
  EXPECT_THAT(unreadable.err, HasSubstr("absent.json: cannot read"));
  EXPECT_THAT(unreadable.err, HasSubstr("not.json: invalid JSON"));
  EXPECT_EQ(validator({stats}).exit_code, 2);  // usage
  EXPECT_EQ(validator({report_schema() + "#/$defs/nothing", good.string()}).exit_code, 2);
  // Groups: each --schema checks the files after it.
  auto groups = validator({stats, good.string(), "--schema", report_schema() + "#/$defs/summary", good.string()});
  EXPECT_EQ(groups.exit_code, 1);
  EXPECT_THAT(groups.out, HasSubstr("good.json: /: must have required property 'cells'"));
}

// Reports of real runs (results/*/report.json), when there are any, with
// their cell files: as they are when of the current version; an older one
// is read as the current version first (load_report upgrades it, and each
// of its cell files gains its key) and that copy is checked.
class RealReports : public ::testing::Test {
 protected:
  // The cell files of a report: <stem>.cells/*.json beside it.
  static std::vector<fs::path> cell_files(const fs::path& report) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(report.parent_path() / (report.stem().string() + ".cells"), ec))
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    return files;
  }
  // A current-version copy of an older report in dir, with its cell files.
  static fs::path upgraded_copy(const fs::path& report, const json& current, const fs::path& dir) {
    fs::path copy = dir / report.parent_path().filename() / "report.json";
    fs::create_directories(copy.parent_path() / "report.cells");
    poisonlab::write_file_atomic(copy, current.dump());
    for (const fs::path& file : cell_files(report)) {
      json whole = schema_fixture::read_json(file);
      whole["key"] = poisonlab::cell_key(whole);
      poisonlab::write_file_atomic(copy.parent_path() / "report.cells" / file.filename(), whole.dump());
    }
    return copy;
  }
};

TEST_F(RealReports, UnderResultsMatchTheSchema) {
  fs::path results = schema_fixture::source_dir() / "results";
  std::vector<fs::path> reports, cells;
  std::error_code ec;
  TempDir dir("pl-schema-real");
  for (const auto& run : fs::directory_iterator(results, ec)) {
    fs::path report = run.path() / "report.json";
    if (!fs::exists(report)) continue;
    json as_written = schema_fixture::read_json(report);
    if (as_written["schema_version"] != poisonlab::kReportSchemaVersion)
      report = upgraded_copy(report, poisonlab::upgrade_report(std::move(as_written), report), dir.path());
    reports.push_back(report);
    for (const fs::path& file : cell_files(report)) cells.push_back(file);
  }
  if (reports.empty()) GTEST_SKIP() << "no reports under " << results;
  EXPECT_EQ(schema_errors({{report_schema(), reports}, {poisonlab::schema_test::cell_record_schema(), cells}}), "");
}

}  // namespace

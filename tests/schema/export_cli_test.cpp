// `poisonlab export kcidb` end to end: build/poisonlab on the version-1
// fixture report, its output checked against reports/schema/kcidb-v5.schema.json.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "sample_run.h"

namespace {

using nlohmann::json;
using poisonlab::TempDir;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

fs::path fixture() { return schema_fixture::source_dir() / "tests/schema/fixtures/report-v1.json"; }

poisonlab::CommandResult poisonlab_export(std::vector<std::string> args) {
  std::vector<std::string> argv = {POISONLAB_BINARY, "export", "kcidb"};
  argv.insert(argv.end(), args.begin(), args.end());
  return poisonlab::run_command(argv);
}

TEST(ExportKcidb, AVersion1ReportBecomesKcidbV5Data) {
  TempDir dir("pl-export");
  fs::path out = dir / "kcidb.json";
  auto r = poisonlab_export({fixture().string(), "--out", out.string(), "--origin", "poisonlab_ci", "--artifacts-url",
                             "https://ci.example/runs/20260101-120000-smoke-0a1b/"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");  // the data went to the file
  EXPECT_EQ(poisonlab::schema_test::schema_errors(poisonlab::schema_test::kcidb_schema(), {out}), "");
  json data = schema_fixture::read_json(out);
  json report = schema_fixture::read_json(fixture());
  EXPECT_EQ(data["version"]["major"], 5);
  EXPECT_EQ(data["checkouts"][0]["id"], "poisonlab_ci:" + report["run"]["id"].get<std::string>());
  EXPECT_EQ(data["builds"].size(), report["kernels"].size());
  // One test per cell, one per combination that does not apply.
  EXPECT_EQ(data["tests"].size(), report["cells"].size() + report["run"]["plan"]["not_applicable"].size());
  const json& first = data["tests"][0];
  EXPECT_EQ(first["path"], "poisonlab.smoke.raw.xfs.mce");
  EXPECT_EQ(first["status"], "FAIL");
  EXPECT_EQ(first["log_url"], "https://ci.example/runs/20260101-120000-smoke-0a1b/vm-debian-6.12/serial.log");
  EXPECT_DOUBLE_EQ(first["number"]["value"].get<double>(),
                   report["cells"][0]["latency"]["revocation_ms_stats"]["p50"].get<double>() / 1e3);
}

TEST(ExportKcidb, WritesToStdoutByDefault) {
  auto r = poisonlab_export({fixture().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json data = json::parse(r.out);
  EXPECT_EQ(data["checkouts"][0]["origin"], "poisonlab");
  EXPECT_FALSE(data["tests"][0].contains("log_url"));  // no --artifacts-url, no links
}

TEST(ExportKcidb, BadInputIsExit2WithTheReason) {
  auto bad_origin = poisonlab_export({fixture().string(), "--origin", "Poison-Lab"});
  EXPECT_EQ(bad_origin.exit_code, poisonlab::kExitBadInput);
  EXPECT_THAT(bad_origin.err, HasSubstr("Poison-Lab"));
  auto bad_url = poisonlab_export({fixture().string(), "--artifacts-url", "runs/x"});
  EXPECT_EQ(bad_url.exit_code, poisonlab::kExitBadInput);
  EXPECT_THAT(bad_url.err, HasSubstr("--artifacts-url"));
  EXPECT_EQ(poisonlab_export({"/nonexistent/report.json"}).exit_code, poisonlab::kExitBadInput);

  TempDir dir("pl-export-bad");
  json newer = schema_fixture::read_json(fixture());
  newer["schema_version"] = 3;
  fs::path file = dir / "report.json";
  poisonlab::write_file_atomic(file, newer.dump());
  auto r = poisonlab_export({file.string(), "--out", (dir / "kcidb.json").string()});
  EXPECT_EQ(r.exit_code, poisonlab::kExitBadInput);
  EXPECT_THAT(r.err, HasSubstr(file.string() + ": /schema_version: schema_version 3 is unknown"));
  EXPECT_FALSE(fs::exists(dir / "kcidb.json"));
}

}  // namespace

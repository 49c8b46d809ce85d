#include "export/kcidb.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/temp_dir.h"
#include "oracles/canned_observation.h"
#include "oracles/oracles.h"
#include "report/report.h"
#include "report/schema_test_util.h"

namespace poisonlab {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(KcidbPath, ComponentsKeepOnlyWhatKcidbAllows) {
  EXPECT_EQ(kcidb_path_component("dm-linear"), "dm-linear");
  EXPECT_EQ(kcidb_path_component("pages=16"), "pages_16");
  EXPECT_EQ(kcidb_path_component("a.b c/d"), "a_b_c_d");
  EXPECT_EQ(kcidb_path_component(""), "_");
  EXPECT_EQ(kcidb_test_path("smoke", "dm-linear/xfs/madvise@pages=16"),
            "poisonlab.smoke.dm-linear.xfs.madvise.pages_16");
  EXPECT_EQ(kcidb_test_path("my scenario", "raw/ext4/mce-ar"), "poisonlab.my_scenario.raw.ext4.mce-ar");
}

TEST(KcidbStatus, FromTheVerdictAndWhyACellHasNone) {
  EXPECT_EQ(kcidb_status({{"verdict", "pass"}, {"status", "completed"}}), "PASS");
  EXPECT_EQ(kcidb_status({{"verdict", "fail"}, {"status", "completed"}}), "FAIL");
  EXPECT_EQ(kcidb_status({{"verdict", "error"}, {"status", "completed"}}), "ERROR");  // e.g. the stack failed
  EXPECT_EQ(kcidb_status({{"verdict", "error"}, {"status", "hang"}}), "ERROR");
  EXPECT_EQ(kcidb_status({{"verdict", "error"}, {"status", "kernel-error"}}), "MISS");
  EXPECT_EQ(kcidb_status({{"verdict", "error"}, {"status", "boot-hang"}}), "MISS");
  EXPECT_EQ(kcidb_status(json::object()), "ERROR");
}

TEST(KcidbOrigin, LowercaseLettersDigitsAndUnderscore) {
  EXPECT_TRUE(is_kcidb_origin("poisonlab"));
  EXPECT_TRUE(is_kcidb_origin("lab_2"));
  EXPECT_FALSE(is_kcidb_origin(""));
  EXPECT_FALSE(is_kcidb_origin("Poisonlab"));
  EXPECT_FALSE(is_kcidb_origin("pl-lab"));
}

// A run of two kernels written by RunReport: a judged canned cell, one that
// hung, and a kernel that could not be prepared.
class KcidbExport : public ::testing::Test {
 protected:
  void SetUp() override {
    json run = schema_test::sample_run_metadata("20260101-120000-smoke-0a1b");
    run["plan"]["not_applicable"] = {{{"id", "debian-6.12/dm-stripe/xfs/madvise"}, {"reason", "no stripe"}}};
    RunReport report(dir_ / "report.json", run);
    json kernel = {
        {"variant", "debian-6.12"},
        {"release", "6.12.1-amd64"},
        {"config_sha256", std::string(64, 'c')},
        {"package", "linux-image-6.12.1-amd64"},
        {"package_version", "6.12.1-1"},
        {"build", nullptr},
        {"boots", json::array()},
        {"target",
         {{"backend", "qemu"}, {"accel", "tcg"}, {"qemu_version", "9.2.0"}, {"cpus", 2}, {"memory_mib", 2048}}}};
    report.add_kernel(kernel);
    json judged = judge_cell({"debian-6.12/raw/xfs/madvise", "debian-6.12", "raw", "madvise", "xfs", "file"},
                             canned::cell_spec(), canned::observation());
    judged["serial_log"] = "vm-debian-6.12/serial.log";
    report.add_cell(judged);
    json hung = judge_failed_cell({"debian-6.12/raw/xfs/unbind", "debian-6.12", "raw", "unbind", "xfs", "device"},
                                  "hang", "no agent message within 120 s", "");
    report.add_cell(hung);
    report.add_kernel({{"variant", "debian-6.1"}, {"error", "no such package"}});
    report.add_cell(judge_failed_cell({"debian-6.1/raw/xfs/madvise", "debian-6.1", "raw", "madvise", "xfs", "file"},
                                      "kernel-error", "no such package", ""));
    report.finish({{"finished_at", "2026-01-01T12:30:00Z"}, {"status", "failed"}});
    report_ = load_report(dir_ / "report.json");
  }

  json exported(KcidbOptions options = {}) { return export_kcidb(report_, options, dir_ / "report.json"); }
  const json& test_named(const json& data, const std::string& cell_id) {
    for (const json& t : data["tests"])
      if (t["misc"]["cell_id"] == cell_id) return t;
    throw std::runtime_error("no test for " + cell_id);
  }

  TempDir dir_{"pl-kcidb"};
  json report_;
};

TEST_F(KcidbExport, OneCheckoutOneBuildPerKernelOneTestPerCell) {
  json data = exported();
  EXPECT_EQ(data["version"], json({{"major", 5}, {"minor", 0}}));
  ASSERT_EQ(data["checkouts"].size(), 1u);
  const json& checkout = data["checkouts"][0];
  EXPECT_EQ(checkout["id"], "poisonlab:20260101-120000-smoke-0a1b");
  EXPECT_EQ(checkout["start_time"], "2026-01-01T12:00:00Z");
  EXPECT_EQ(checkout["misc"]["run_status"], "failed");

  ASSERT_EQ(data["builds"].size(), 2u);
  EXPECT_EQ(data["builds"][0]["id"], "poisonlab:20260101-120000-smoke-0a1b/debian-6.12");
  EXPECT_EQ(data["builds"][0]["checkout_id"], checkout["id"]);
  EXPECT_EQ(data["builds"][0]["config_name"], std::string(64, 'c'));
  EXPECT_EQ(data["builds"][0]["status"], "PASS");
  EXPECT_EQ(data["builds"][1]["status"], "MISS");  // never prepared
  EXPECT_EQ(data["builds"][1]["log_excerpt"], "no such package");

  ASSERT_EQ(data["tests"].size(), 4u);  // three cells and the combination that does not apply
  const json& judged = test_named(data, "debian-6.12/raw/xfs/madvise");
  EXPECT_EQ(judged["build_id"], data["builds"][0]["id"]);
  EXPECT_EQ(judged["path"], "poisonlab.smoke.raw.xfs.madvise");
  EXPECT_EQ(judged["status"], kcidb_status(report_["cells"][0]));
  EXPECT_EQ(judged["environment"]["misc"]["qemu_version"], "9.2.0");
  EXPECT_EQ(test_named(data, "debian-6.12/raw/xfs/unbind")["status"], "ERROR");
  const json& missed = test_named(data, "debian-6.1/raw/xfs/madvise");
  EXPECT_EQ(missed["status"], "MISS");
  EXPECT_EQ(missed["build_id"], data["builds"][1]["id"]);
  const json& skipped = test_named(data, "debian-6.12/dm-stripe/xfs/madvise");
  EXPECT_EQ(skipped["status"], "SKIP");
  EXPECT_THAT(skipped["comment"].get<std::string>(), HasSubstr("no stripe"));
}

TEST_F(KcidbExport, LatencyIsNumbersAndTheOraclesTheirVerdicts) {
  json data = exported();
  const json& cell = report_["cells"][0];
  const json& stats = cell["latency"]["revocation_ms_stats"];
  ASSERT_GT(stats["n"].get<int>(), 0);
  const json& test = test_named(data, "debian-6.12/raw/xfs/madvise");
  EXPECT_DOUBLE_EQ(test["number"]["value"].get<double>(), stats["p50"].get<double>() / 1e3);
  EXPECT_EQ(test["number"]["unit"], "s");
  const json& revocation = test["misc"]["revocation_ms"];
  for (const char* key : {"n", "min", "p50", "p90", "p99", "max", "mean"}) {
    ASSERT_TRUE(revocation[key].is_number()) << key;
    EXPECT_DOUBLE_EQ(revocation[key].get<double>(), stats[key].get<double>()) << key;
  }
  EXPECT_EQ(test["misc"]["oracles"].size(), cell["oracles"].size());
  EXPECT_EQ(test["misc"]["oracles"]["dax_active"], "pass");
  EXPECT_EQ(test["misc"]["trials"], cell["latency"]["revocation_ns"].size());
  EXPECT_FALSE(test.contains("duration"));  // the canned trials have no wall time
  report_["cells"][0]["trial_wall_ns"] = {1'500'000'000, nullptr, 500'000'000};
  EXPECT_DOUBLE_EQ(test_named(exported(), "debian-6.12/raw/xfs/madvise")["duration"].get<double>(), 2.0);
  // No latency, no number; a KCIDB property is never null.
  const json& hung = test_named(data, "debian-6.12/raw/xfs/unbind");
  EXPECT_FALSE(hung.contains("number"));
  EXPECT_FALSE(hung["misc"]["revocation_ms"].contains("p50"));
  EXPECT_EQ(hung["misc"]["revocation_ms"]["n"], 0);
  EXPECT_THAT(hung["log_excerpt"].get<std::string>(), HasSubstr("no agent message"));
}

TEST_F(KcidbExport, LinksArtifactsUnderTheGivenUrl) {
  report_["cells"][0]["serial_log"] = "vm-debian 6.12/serial.log";
  json data = exported({"lab_1", "https://ci.example/runs/r1"});
  const json& test = test_named(data, "debian-6.12/raw/xfs/madvise");
  EXPECT_EQ(test["id"], "lab_1:20260101-120000-smoke-0a1b/debian-6.12/raw/xfs/madvise");
  EXPECT_EQ(test["origin"], "lab_1");
  EXPECT_EQ(test["log_url"], "https://ci.example/runs/r1/vm-debian%206.12/serial.log");
  EXPECT_EQ(test["output_files"], json::parse(R"([{"name": "0000.json",
                                                 "url": "https://ci.example/runs/r1/report.cells/0000.json"}])"));
  EXPECT_FALSE(exported()["tests"][0].contains("log_url"));
}

TEST_F(KcidbExport, MatchesTheKcidbV5Schema) {
  json data = exported({"poisonlab", "https://ci.example/runs/x"});
  std::filesystem::path file = dir_ / "kcidb.json";
  write_file_atomic(file, data.dump(2));
  EXPECT_EQ(schema_test::schema_errors(schema_test::kcidb_schema(), {file}), "");
  // The schema is not a formality: a test with a verdict for a status fails it.
  data["tests"][0]["status"] = "pass";
  write_file_atomic(file, data.dump(2));
  EXPECT_THAT(schema_test::schema_errors(schema_test::kcidb_schema(), {file}), HasSubstr("/tests/0/status"));
}

TEST_F(KcidbExport, BadInputNamesTheFieldOrTheOrigin) {
  EXPECT_THROW(exported({"Not-An-Origin", ""}), UserError);
  json no_id = report_;
  no_id["run"].erase("id");
  try {
    export_kcidb(no_id, {}, "r.json");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/run/id");
    EXPECT_EQ(e.file(), "r.json");
  }
  json bad_cell = report_;
  bad_cell["cells"][1]["id"] = "no-kernel";
  try {
    export_kcidb(bad_cell, {}, "r.json");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/cells/1/id");
  }
}

}  // namespace
}  // namespace poisonlab

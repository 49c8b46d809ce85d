// `poisonlab compare` end to end on fixture reports written to a temporary
// directory: exit statuses, the table, --json, and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs_util.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "compare/test_reports.h"

namespace poisonlab {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using poisonlab::compare_fixtures::latencies;
using poisonlab::compare_fixtures::make_report;
using poisonlab::compare_fixtures::run_reports;
using poisonlab::compare_fixtures::TestCell;

TestCell cell(const std::string& kernel, const std::string& key, double median_ms, unsigned salt) {
  TestCell c;
  c.kernel = kernel;
  c.key = key;
  c.revocation_ms = latencies(24, median_ms, salt);
  return c;
}

class CompareCli : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const json& report) {
    auto path = dir_ / name;
    write_file_atomic(path, report.dump());
    return path.string();
  }
  CommandResult compare(std::vector<std::string> args) {
    args.insert(args.begin(), {POISONLAB_BINARY, "compare"});
    return run_command(args);
  }
  std::string baseline() {
    return write("a.json", make_report("run-a", {cell("debian-6.1", "raw/xfs/madvise", 2, 1),
                                                 cell("debian-6.1", "dm-linear/xfs/madvise", 3, 2)}));
  }
  TempDir dir_{"poisonlab-compare-cli"};
};

TEST_F(CompareCli, SameLatenciesOnAnotherKernelExitZero) {
  auto b = write("b.json", make_report("run-b", {cell("debian-6.12", "raw/xfs/madvise", 2, 3),
                                                 cell("debian-6.12", "dm-linear/xfs/madvise", 3, 4)}));
  auto r = compare({baseline(), b});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("cell / metric"));
  EXPECT_THAT(r.out, HasSubstr("dm-linear/xfs/madvise\n  revocation"));
  EXPECT_THAT(r.out, HasSubstr("verdict: no change (2 cells compared, 2 latency tests)"));
}

TEST_F(CompareCli, RegressionExitsThreeUnlessNever) {
  TestCell slow = cell("debian-6.12", "raw/xfs/madvise", 3, 3);
  TestCell failing = cell("debian-6.12", "dm-linear/xfs/madvise", 3, 4);
  failing.oracles["expected_victims"] = "fail";
  failing.verdict = "fail";
  auto b = write("b.json", make_report("run-b", {slow, failing}));
  auto r = compare({baseline(), b});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("slower"));
  EXPECT_THAT(r.out, HasSubstr("dm-linear/xfs/madvise: oracle expected_victims pass -> fail"));
  EXPECT_THAT(r.out, HasSubstr("verdict: REGRESSION"));
  EXPECT_EQ(compare({baseline(), b, "--fail-on", "never"}).exit_code, 0);
  // A 60 % threshold no longer calls the 50 % slowdown; the oracle still fails.
  auto loose = compare({baseline(), b, "--threshold", "60", "--json", "-"});
  EXPECT_EQ(loose.exit_code, 3);
  json result = json::parse(loose.out);
  EXPECT_EQ(result["cells"][0]["latency"]["revocation"]["call"], "no change");
  EXPECT_EQ(result["options"]["threshold"], 0.6);
}

TEST_F(CompareCli, ImprovementGatesOnlyWithFailOnChange) {
  auto b = write("b.json", make_report("run-b", {cell("debian-6.12", "raw/xfs/madvise", 1, 3),
                                                 cell("debian-6.12", "dm-linear/xfs/madvise", 3, 4)}));
  EXPECT_EQ(compare({baseline(), b}).exit_code, 0);
  auto r = compare({baseline(), b, "--fail-on", "change"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.out, HasSubstr("verdict: change, no regression: 1 faster latency"));
}

TEST_F(CompareCli, JsonFileAndMissingCell) {
  auto b = write("b.json", make_report("run-b", {cell("debian-6.12", "raw/xfs/madvise", 2, 3)}));
  auto out = dir_ / "result.json";
  auto r = compare({baseline(), b, "--json", out.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.out, HasSubstr("dm-linear/xfs/madvise: in A, missing in B"));
  json result = json::parse(read_file(out));
  EXPECT_EQ(result["format"], "poisonlab-compare");
  EXPECT_EQ(result["verdict"], "regression");
  EXPECT_EQ(result["findings"][0]["kind"], "missing_in_b");
  EXPECT_EQ(result["a"]["reports"][0]["run_id"], "run-a");
}

TEST_F(CompareCli, SeveralRunsPerSide) {
  auto a2 = write("a2.json", make_report("run-a2", {cell("debian-6.1", "raw/xfs/madvise", 2, 5),
                                                    cell("debian-6.1", "dm-linear/xfs/madvise", 3, 6)}));
  auto b1 = write("b1.json", make_report("run-b1", {cell("debian-6.12", "raw/xfs/madvise", 2, 3),
                                                    cell("debian-6.12", "dm-linear/xfs/madvise", 3, 4)}));
  auto r = compare({"--a", baseline(), "--a", a2, "--b", b1, "--json", "-"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json result = json::parse(r.out);
  EXPECT_EQ(result["cells"][0]["latency"]["revocation"]["n_a"], 48);
  EXPECT_EQ(result["cells"][0]["latency"]["revocation"]["n_b"], 24);
  EXPECT_EQ(result["cells"][0]["a"]["runs"], 2);
}

TEST_F(CompareCli, UnitRunTakesOneMedianPerRun) {
  std::vector<std::string> args;
  auto add_side = [&](const std::string& option, const std::string& kernel, const std::vector<double>& medians) {
    auto reports = run_reports(kernel, "raw/xfs/madvise", medians, 8, option == "--a" ? 1 : 7);
    for (size_t i = 0; i < reports.size(); ++i)
      args.insert(args.end(), {option, write(kernel + "-" + std::to_string(i) + ".json", reports[i])});
  };
  add_side("--a", "debian-6.1", {2, 2.1, 1.9, 2});
  add_side("--b", "debian-6.12", {3, 3.1, 2.9, 3});
  args.insert(args.end(), {"--unit", "run"});
  auto text = compare(args);
  EXPECT_EQ(text.exit_code, 3) << text.out << text.err;
  EXPECT_THAT(text.out, HasSubstr("unit: run: each run's median of its trials is one sample"));
  EXPECT_THAT(text.out, ::testing::ContainsRegex("revocation +4 +4 .* slower"));
  args.insert(args.end(), {"--json", "-"});
  json result = json::parse(compare(args).out);
  EXPECT_EQ(result["options"]["unit"], "run");
  EXPECT_EQ(result["cells"][0]["latency"]["revocation"]["n_a"], 4);
  EXPECT_NEAR(result["cells"][0]["latency"]["revocation"]["p_value"].get<double>(), 2.0 / 70, 1e-12);
  args.resize(args.size() - 4);  // the reports only: 4 runs a side default to run
  auto json_of = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), args.begin(), args.end());
    return json::parse(compare(extra).out);
  };
  EXPECT_EQ(json_of({"--json", "-"})["options"]["unit"], "run");
  json by_trial = json_of({"--unit", "trial", "--json", "-"});
  EXPECT_EQ(by_trial["cells"][0]["latency"]["revocation"]["n_a"], 32);
  EXPECT_EQ(by_trial["warnings"].size(), 1u);
  args.insert(args.end(), {"--unit", "runs"});
  auto bad = compare(args);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--unit must be trial or run"));
}

TEST_F(CompareCli, OneReportTwoKernels) {
  auto both = write("both.json", make_report("run", {cell("debian-6.1", "raw/xfs/madvise", 2, 1),
                                                     cell("debian-6.12", "raw/xfs/madvise", 4, 2)}));
  auto ambiguous = compare({both, both});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_THAT(ambiguous.err, HasSubstr("both.json"));
  EXPECT_THAT(ambiguous.err, HasSubstr("debian-6.12"));
  auto r = compare({both, both, "--kernel-a", "debian-6.1", "--kernel-b", "debian-6.12"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.out, HasSubstr("slower"));
  auto unknown = compare({both, both, "--kernel-a", "debian-5.10", "--kernel-b", "debian-6.12"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("debian-5.10"));
}

TEST_F(CompareCli, BadInputExitsTwo) {
  auto a = baseline();
  auto missing = compare({a, (dir_ / "nope.json").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("nope.json"));
  EXPECT_EQ(compare({a}).exit_code, 2);
  EXPECT_EQ(compare({a, a, "--a", a, "--b", a}).exit_code, 2);
  EXPECT_EQ(compare({"--a", a}).exit_code, 2);
  EXPECT_EQ(compare({a, a, "--fail-on", "sometimes"}).exit_code, 2);
  EXPECT_EQ(compare({a, a, "--alpha", "2"}).exit_code, 2);
  auto metric = compare({a, a, "--metric", "warp_speed"});
  EXPECT_EQ(metric.exit_code, 2);
  EXPECT_THAT(metric.err, HasSubstr("warp_speed"));
  auto not_a_report = write("not-a-report.json", json{{"hello", 1}});
  auto bad = compare({a, not_a_report});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("not-a-report.json"));
  EXPECT_THAT(bad.err, HasSubstr("/schema_version"));
  json broken = make_report("x", {cell("debian-6.12", "raw/xfs/madvise", 2, 3)});
  broken["cells"][0]["latency"]["revocation_ns"][2] = "slow";
  auto sample = compare({a, write("broken.json", broken)});
  EXPECT_EQ(sample.exit_code, 2);
  EXPECT_THAT(sample.err, HasSubstr("broken.json: /cells/0/latency/revocation_ns/2"));
}

TEST_F(CompareCli, JsonOutputNotWritableIsEnvironmentTrouble) {
  auto a = baseline();
  auto r = compare({a, a, "--json", "/nonexistent-dir/result.json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
}

}  // namespace
}  // namespace poisonlab

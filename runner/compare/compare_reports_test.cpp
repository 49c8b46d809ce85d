#include "compare/compare_reports.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "common/error.h"
#include "compare/compare_text.h"
#include "compare/test_reports.h"

namespace poisonlab {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using poisonlab::compare_fixtures::latencies;
using poisonlab::compare_fixtures::make_report;
using poisonlab::compare_fixtures::run_reports;
using poisonlab::compare_fixtures::TestCell;

TestCell cell(const std::string& kernel, const std::string& key, double median_ms, unsigned salt = 0) {
  TestCell c;
  c.kernel = kernel;
  c.key = key;
  c.revocation_ms = latencies(20, median_ms, salt);
  return c;
}

json compare(const json& a, const json& b, const CompareOptions& options = {}) {
  return compare_reports(std::vector<NamedReport>{{"a.json", a}}, std::vector<NamedReport>{{"b.json", b}}, options);
}

std::vector<json> findings(const json& result, const std::string& kind) {
  std::vector<json> out;
  for (const auto& f : result["findings"])
    if (f["kind"] == kind) out.push_back(f);
  return out;
}

TEST(CompareReports, SameLatenciesOnAnotherKernelIsNoChange) {
  auto a = make_report("r1", {cell("debian-6.1", "raw/xfs/madvise", 2.0, 1), cell("debian-6.1", "raw/ext4/madvise", 5, 2)});
  auto b = make_report("r2", {cell("debian-6.12", "raw/xfs/madvise", 2.0, 3), cell("debian-6.12", "raw/ext4/madvise", 5, 4)});
  auto r = compare(a, b);
  EXPECT_EQ(r["verdict"], "no change");
  EXPECT_EQ(r["summary"]["cells_compared"], 2);
  EXPECT_EQ(r["summary"]["latency_tests"], 2);
  EXPECT_EQ(r["cells"][0]["key"], "raw/xfs/madvise");
  EXPECT_EQ(r["cells"][0]["latency"]["revocation"]["call"], "no change");
  EXPECT_EQ(r["cells"][0]["latency"]["revocation"]["n_a"], 20);
  EXPECT_EQ(r["a"]["kernels"], json({"debian-6.1"}));
  EXPECT_EQ(r["b"]["kernels"], json({"debian-6.12"}));
  EXPECT_EQ(compare_exit_code(r, FailOn::kChange), 0);
}

TEST(CompareReports, SlowerIsARegressionFasterOnlyAChange) {
  auto a = make_report("r1", {cell("k1", "x", 2.0, 1), cell("k1", "y", 4.0, 2)});
  auto b = make_report("r2", {cell("k2", "x", 3.0, 3), cell("k2", "y", 2.0, 4)});
  auto r = compare(a, b);
  auto latency = findings(r, "latency");
  ASSERT_EQ(latency.size(), 2u);
  EXPECT_EQ(latency[0]["key"], "x");
  EXPECT_EQ(latency[0]["change"], "slower");
  EXPECT_TRUE(latency[0]["regression"]);
  EXPECT_EQ(latency[1]["change"], "faster");
  EXPECT_FALSE(latency[1]["regression"]);
  EXPECT_EQ(r["verdict"], "regression");
  EXPECT_EQ(compare_exit_code(r, FailOn::kRegression), kExitRegression);
  EXPECT_EQ(compare_exit_code(r, FailOn::kNever), 0);
  const json& x = r["cells"][0]["latency"]["revocation"];
  EXPECT_NEAR(x["ratio"]["value"].get<double>(), 1.5, 0.1);
  EXPECT_LT(x["ratio"]["ci95_low"].get<double>(), x["ratio"]["value"].get<double>());
  EXPECT_LT(x["q_value"].get<double>(), 0.05);

  auto faster_only = compare(make_report("r1", {cell("k1", "y", 4.0, 2)}), make_report("r2", {cell("k2", "y", 2.0, 4)}));
  EXPECT_EQ(faster_only["verdict"], "change");
  EXPECT_EQ(compare_exit_code(faster_only, FailOn::kRegression), 0);
  EXPECT_EQ(compare_exit_code(faster_only, FailOn::kChange), kExitRegression);
}

TEST(CompareReports, ThresholdOption) {
  auto a = make_report("r1", {cell("k1", "x", 2.0, 1)});
  auto b = make_report("r2", {cell("k2", "x", 2.5, 3)});  // 25 % slower
  EXPECT_EQ(compare(a, b)["verdict"], "regression");
  CompareOptions loose;
  loose.change.threshold = 0.30;
  EXPECT_EQ(compare(a, b, loose)["verdict"], "no change");
}

TEST(CompareReports, OraclePassToFailAndBack) {
  TestCell passing = cell("k1", "x", 2, 1), failing = cell("k2", "x", 2, 1);
  failing.oracles["expected_victims"] = "fail";
  failing.verdict = "fail";
  auto r = compare(make_report("a", {passing}), make_report("b", {failing}));
  auto oracle = findings(r, "oracle");
  ASSERT_EQ(oracle.size(), 1u);  // kernel_healthy did not change: not listed
  EXPECT_EQ(oracle[0]["oracle"], "expected_victims");
  EXPECT_EQ(oracle[0]["change"], "regression");
  EXPECT_EQ(oracle[0]["text"], "x: oracle expected_victims pass -> fail");
  EXPECT_EQ(findings(r, "verdict")[0]["text"], "x: verdict pass -> fail");
  EXPECT_EQ(r["verdict"], "regression");

  auto back = compare(make_report("b", {failing}), make_report("a", {passing}));
  EXPECT_EQ(findings(back, "oracle")[0]["change"], "improvement");
  EXPECT_EQ(back["verdict"], "change");
}

TEST(CompareReports, PassToSkipIsAChangeNotARegression) {
  TestCell a = cell("k1", "x", 2, 1), b = cell("k2", "x", 2, 1);
  b.oracles["expected_victims"] = "skip";
  auto r = compare(make_report("a", {a}), make_report("b", {b}));
  EXPECT_EQ(findings(r, "oracle")[0]["change"], "changed");
  EXPECT_EQ(r["verdict"], "change");
}

TEST(CompareReports, ErroredCellIsAVerdictRegressionWithoutOracleNoise) {
  TestCell a = cell("k1", "x", 2, 1), b = cell("k2", "x", 2, 1);
  b.verdict = "error";
  b.revocation_ms.clear();
  auto r = compare(make_report("a", {a}), make_report("b", {b}));
  EXPECT_EQ(findings(r, "verdict")[0]["change"], "regression");
  EXPECT_EQ(findings(r, "verdict")[0]["text"], "x: verdict pass -> error (hang)");
  EXPECT_TRUE(findings(r, "oracle").empty());
  EXPECT_EQ(r["cells"][0]["latency"]["revocation"]["call"], "not enough data");
  EXPECT_EQ(r["cells"][0]["latency"]["revocation"]["n_b"], 0);
}

TEST(CompareReports, NotifyPathChangeIsListed) {
  TestCell a = cell("k1", "x", 2, 1), b = cell("k2", "x", 2, 1);
  b.notify_classes = {{"generic-fallback", 4}};
  auto r = compare(make_report("a", {a}), make_report("b", {b}));
  auto notify = findings(r, "notify_path");
  ASSERT_EQ(notify.size(), 1u);
  EXPECT_EQ(notify[0]["text"], "x: notify path holder 4 -> generic-fallback 4");
  EXPECT_FALSE(notify[0]["regression"]);
  EXPECT_EQ(r["verdict"], "change");
}

TEST(CompareReports, MissingCellIsARegressionNewCellAChange) {
  auto a = make_report("a", {cell("k1", "x", 2, 1), cell("k1", "gone", 2, 2)});
  auto b = make_report("b", {cell("k2", "x", 2, 1), cell("k2", "new", 2, 2)});
  auto r = compare(a, b);
  ASSERT_EQ(r["cells"].size(), 3u);
  EXPECT_EQ(r["cells"][1]["present"], "a");
  EXPECT_EQ(r["cells"][2]["present"], "b");
  EXPECT_TRUE(findings(r, "missing_in_b")[0]["regression"]);
  EXPECT_FALSE(findings(r, "only_in_b")[0]["regression"]);
  EXPECT_EQ(r["verdict"], "regression");
}

TEST(CompareReports, SeveralRunsPerSidePool) {
  TestCell a1 = cell("k1", "x", 2, 1), a2 = cell("k1", "x", 2, 2), b1 = cell("k2", "x", 2, 3), b2 = cell("k2", "x", 2, 4);
  a2.revocation_ms.push_back(std::nullopt);
  b2.oracles["expected_victims"] = "fail";
  b2.verdict = "fail";
  b1.notify_classes = b2.notify_classes = {{"holder", 4}};
  auto r = compare_reports(std::vector<NamedReport>{{"a1", make_report("a1", {a1})}, {"a2", make_report("a2", {a2})}},
                           std::vector<NamedReport>{{"b1", make_report("b1", {b1})}, {"b2", make_report("b2", {b2})}}, {});
  const json& c = r["cells"][0];
  EXPECT_EQ(c["a"]["runs"], 2);
  EXPECT_EQ(c["a"]["reports"], json({"a1", "a2"}));
  EXPECT_EQ(c["latency"]["revocation"]["n_a"], 40);
  EXPECT_EQ(c["latency"]["revocation"]["missing_a"], 1);
  EXPECT_EQ(c["latency"]["revocation"]["n_b"], 40);
  EXPECT_EQ(findings(r, "oracle")[0]["text"], "x: oracle expected_victims pass 2/2 -> fail 1/2, pass 1/2");
  EXPECT_EQ(findings(r, "oracle")[0]["change"], "regression");
  EXPECT_TRUE(findings(r, "notify_path").empty());  // 4 per run on both sides
}

TEST(CompareReports, NotifyPathNotComparedWithoutTheTrace) {
  TestCell a = cell("k1", "x", 2, 1), b = cell("k2", "x", 2, 1);
  b.notify_classes.clear();
  auto b_report = make_report("b", {b});
  b_report["cells"][0]["notify_path"]["trace_enabled"] = false;
  auto r = compare(make_report("a", {a}), b_report);
  EXPECT_TRUE(r["cells"][0]["notify_path"].is_null());
  EXPECT_EQ(r["verdict"], "no change");
  b_report["cells"][0]["notify_path"]["trace_enabled"] = true;  // traced, nothing classified: a change
  EXPECT_EQ(findings(compare(make_report("a", {a}), b_report), "notify_path")[0]["text"],
            "x: notify path holder 4 -> none");
}

TEST(CompareReports, NotifyPathComparedPerRun) {
  TestCell a = cell("k1", "x", 2, 1), b1 = cell("k2", "x", 2, 1), b2 = b1;
  b1.notify_classes = b2.notify_classes = {{"holder", 2}};  // half the memory failures per run
  auto r = compare_reports(std::vector<NamedReport>{{"a", make_report("a", {a})}},
                           std::vector<NamedReport>{{"b1", make_report("b1", {b1})}, {"b2", make_report("b2", {b2})}}, {});
  ASSERT_EQ(findings(r, "notify_path").size(), 1u);
  EXPECT_EQ(r["cells"][0]["notify_path"]["b"]["holder"], 4);
}

json two_kernel_report() {
  return make_report("both", {cell("debian-6.1", "x", 2, 1), cell("debian-6.12", "x", 3, 2), cell("debian-6.1", "y", 2, 3),
                              cell("debian-6.12", "y", 2, 4)});
}

TEST(CompareReports, TwoKernelsInOneReportNeedAChoice) {
  try {
    compare(two_kernel_report(), two_kernel_report());
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_THAT(e.what(), HasSubstr("a.json"));
    EXPECT_THAT(e.what(), HasSubstr("debian-6.1 "));
    EXPECT_THAT(e.what(), HasSubstr("debian-6.12"));
    EXPECT_THAT(e.what(), HasSubstr("--kernel-a"));
  }
  CompareOptions options;
  options.kernel_a = "debian-6.1";
  options.kernel_b = "debian-6.12";
  auto r = compare(two_kernel_report(), two_kernel_report(), options);
  EXPECT_EQ(r["summary"]["cells_compared"], 2);
  EXPECT_EQ(r["cells"][0]["a"]["ids"], json({"debian-6.1/x"}));
  EXPECT_EQ(r["cells"][0]["b"]["ids"], json({"debian-6.12/x"}));
  EXPECT_EQ(r["cells"][0]["latency"]["revocation"]["call"], "slower");
  EXPECT_EQ(r["cells"][1]["latency"]["revocation"]["call"], "no change");
}

TEST(CompareReports, TwoKernelsAcrossReportsOfOneSide) {
  try {
    compare_reports(std::vector<NamedReport>{{"a1.json", make_report("a1", {cell("debian-6.1", "x", 2)})},
                                             {"a2.json", make_report("a2", {cell("debian-6.12", "x", 2)})}},
                    std::vector<NamedReport>{{"b.json", make_report("b", {cell("debian-6.12", "x", 2)})}}, {});
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("kernel debian-6.1 in a1.json and on debian-6.12 in a2.json"));
  }
}

TEST(CompareReports, UnknownKernelListsTheKernels) {
  CompareOptions options;
  options.kernel_a = "debian-9";
  try {
    compare(two_kernel_report(), two_kernel_report(), options);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("debian-9"));
    EXPECT_THAT(e.what(), HasSubstr("debian-6.1, debian-6.12"));
  }
}

TEST(CompareReports, PhaseMetrics) {
  TestCell a = cell("k1", "x", 2, 1), b = cell("k2", "x", 2, 2);
  a.phases_ms["kernel_handling"] = latencies(20, 1.0, 5);
  b.phases_ms["kernel_handling"] = latencies(20, 2.0, 6);
  a.phases_ms["memory_failure_to_notify"] = latencies(20, 0.1, 7);
  b.phases_ms["memory_failure_to_notify"] = latencies(19, 0.1, 8);
  b.phases_ms["memory_failure_to_notify"].push_back(std::nullopt);
  CompareOptions options;
  options.metrics = {"kernel_handling"};
  auto r = compare(make_report("a", {a}), make_report("b", {b}), options);
  EXPECT_EQ(r["cells"][0]["latency"].size(), 1u);
  EXPECT_EQ(r["cells"][0]["latency"]["kernel_handling"]["call"], "slower");

  options.metrics = {kAllMetrics};
  r = compare(make_report("a", {a}), make_report("b", {b}), options);
  EXPECT_EQ(r["options"]["metrics"], json({"revocation", "kernel_handling", "memory_failure_to_notify"}));
  EXPECT_EQ(r["summary"]["latency_tests"], 3);  // the BH family spans every metric
  EXPECT_EQ(r["cells"][0]["latency"]["memory_failure_to_notify"]["missing_b"], 1);
  EXPECT_EQ(r["cells"][0]["latency"]["memory_failure_to_notify"]["n_b"], 19);

  options.metrics = {"no_such_phase"};
  try {
    compare(make_report("a", {a}), make_report("b", {b}), options);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_THAT(e.what(), HasSubstr("no_such_phase"));
    EXPECT_THAT(e.what(), HasSubstr("kernel_handling"));
  }
}

TEST(CompareReports, BadSampleNamesFileAndPointer) {
  auto b = make_report("b", {cell("k2", "x", 2)});
  b["cells"][0]["latency"]["revocation_ns"][3] = "fast";
  try {
    compare(make_report("a", {cell("k1", "x", 2)}), b);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "b.json");
    EXPECT_EQ(e.pointer(), "/cells/0/latency/revocation_ns/3");
  }
  auto no_id = make_report("b", {cell("k2", "x", 2)});
  no_id["cells"][0].erase("id");
  EXPECT_THROW(compare(make_report("a", {cell("k1", "x", 2)}), no_id), InputError);
}

TEST(CompareReports, APhaseNameWithASlashIsEscapedInThePointer) {  // found by tests/fuzz
  auto b = make_report("b", {cell("k2", "x", 2)});
  b["cells"][0]["latency"]["phases"] = {{{"a/b~c_ns", 1000}}, {{"a/b~c_ns", "slow"}}};
  CompareOptions options;
  options.metrics = {kAllMetrics};
  try {
    compare(make_report("a", {cell("k1", "x", 2)}), b, options);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/cells/0/latency/phases/1/a~1b~0c_ns");
  }
}

TEST(CompareReports, TooFewTrialsAreNotCalled) {
  TestCell a = cell("k1", "x", 2, 1), b = cell("k2", "x", 20, 1);
  a.revocation_ms.resize(3);
  b.revocation_ms.resize(3);
  auto r = compare(make_report("a", {a}), make_report("b", {b}));
  EXPECT_EQ(r["cells"][0]["latency"]["revocation"]["call"], "not enough data");
  EXPECT_EQ(r["summary"]["latency_tests"], 0);
  EXPECT_EQ(r["verdict"], "no change");
}

std::vector<NamedReport> named_runs(const std::vector<json>& reports, const std::string& prefix) {
  std::vector<NamedReport> out;
  for (size_t i = 0; i < reports.size(); ++i) out.push_back({prefix + std::to_string(i + 1) + ".json", reports[i]});
  return out;
}

json compare_runs(const std::vector<double>& a_medians, const std::vector<double>& b_medians,
                  std::optional<ExperimentalUnit> unit = std::nullopt) {
  CompareOptions options;
  options.unit = unit;
  return compare_reports(named_runs(run_reports("k1", "x", a_medians, 20, 1), "a"),
                         named_runs(run_reports("k2", "x", b_medians, 20, 11), "b"), options);
}

TEST(ExperimentalUnitRun, FourRunsASideDefaultToOneMedianPerRun) {
  auto r = compare_runs({2, 2.1, 1.9, 2}, {3, 3.1, 2.9, 3});
  EXPECT_EQ(r["options"]["unit"], "run");
  EXPECT_TRUE(r["warnings"].empty());
  const json& c = r["cells"][0]["latency"]["revocation"];
  EXPECT_EQ(c["n_a"], 4);
  EXPECT_EQ(c["n_b"], 4);
  EXPECT_EQ(c["test_method"], "exact");
  EXPECT_NEAR(c["p_value"].get<double>(), 2.0 / 70, 1e-12);  // complete separation of 4 against 4
  EXPECT_EQ(c["call"], "slower");
  EXPECT_TRUE(c["consistent_across_runs"].is_null());
  EXPECT_NEAR(c["ratio"]["value"].get<double>(), 1.5, 0.1);
  EXPECT_EQ(r["verdict"], "regression");
}

TEST(ExperimentalUnitRun, PseudoReplicatedShiftIsNoChangeByRun) {
  // Run-to-run spread larger than the shift: pooled trials call it, runs do not.
  const std::vector<double> a{1, 1, 2.2, 2.2}, b{2, 2, 2, 3};
  auto by_trial = compare_runs(a, b, ExperimentalUnit::kTrial);
  const json& t = by_trial["cells"][0]["latency"]["revocation"];
  EXPECT_EQ(t["n_a"], 80);
  EXPECT_EQ(t["call"], "slower");
  EXPECT_EQ(t["consistent_across_runs"], false);  // B's 2 ms runs are below A's 2.2 ms runs
  auto by_run = compare_runs(a, b);
  EXPECT_EQ(by_run["cells"][0]["latency"]["revocation"]["call"], "no change");
  EXPECT_EQ(by_run["verdict"], "no change");
}

TEST(ExperimentalUnitRun, TooFewRunsCannotBeCalledAndSayWhy) {
  auto r = compare_runs({2, 2}, {3, 3}, ExperimentalUnit::kRun);
  EXPECT_EQ(r["cells"][0]["latency"]["revocation"]["n_a"], 2);
  EXPECT_EQ(r["cells"][0]["latency"]["revocation"]["call"], "not enough data");
  ASSERT_EQ(r["warnings"].size(), 1u);
  EXPECT_THAT(r["warnings"][0].get<std::string>(), HasSubstr("4 runs a side are needed"));
}

TEST(ExperimentalUnitRun, ARunWithoutSamplesIsLeftOut) {
  auto a = run_reports("k1", "x", {2, 2, 2, 2, 2}, 20, 1);
  for (auto& trial : a[4]["cells"][0]["latency"]["revocation_ns"]) trial = nullptr;
  auto r = compare_reports(named_runs(a, "a"), named_runs(run_reports("k2", "x", {2, 2, 2, 2}, 20, 9), "b"), {});
  const json& c = r["cells"][0]["latency"]["revocation"];
  EXPECT_EQ(c["n_a"], 4);
  EXPECT_EQ(c["missing_a"], 20);
}

TEST(ExperimentalUnitTrial, PooledRunsAreWarnedAboutAndInconsistentCallsDoNotGate) {
  auto consistent = compare_runs({2, 2.2}, {3, 3.3});
  EXPECT_EQ(consistent["options"]["unit"], "trial");
  ASSERT_EQ(consistent["warnings"].size(), 1u);
  const json& c = consistent["cells"][0]["latency"]["revocation"];
  EXPECT_EQ(c["call"], "slower");
  EXPECT_EQ(c["consistent_across_runs"], true);
  EXPECT_EQ(consistent["verdict"], "regression");

  auto mixed = compare_runs({1, 2.2}, {2, 3});
  const json& m = mixed["cells"][0]["latency"]["revocation"];
  ASSERT_EQ(m["call"], "slower");
  EXPECT_EQ(m["consistent_across_runs"], false);
  auto latency = findings(mixed, "latency");
  ASSERT_EQ(latency.size(), 1u);
  EXPECT_FALSE(latency[0]["regression"]);
  EXPECT_THAT(latency[0]["text"].get<std::string>(), HasSubstr("not consistent across runs"));
  EXPECT_EQ(mixed["summary"]["not_consistent_across_runs"], 1);
  EXPECT_EQ(mixed["verdict"], "change");
  EXPECT_EQ(compare_exit_code(mixed, FailOn::kRegression), 0);
  EXPECT_EQ(compare_exit_code(mixed, FailOn::kChange), kExitRegression);

  std::string text = format_comparison(mixed);
  EXPECT_THAT(text, HasSubstr("unit: trial"));
  EXPECT_THAT(text, HasSubstr("warning: trials from several runs were pooled (A 2 runs, B 2 runs)"));
  EXPECT_THAT(text, HasSubstr("  slower?\n"));
  EXPECT_THAT(text, HasSubstr("not consistent across runs"));
  EXPECT_THAT(text, HasSubstr("verdict: change, no regression: 1 slower? latency (not consistent across runs)"));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 100u) << line;
}

TEST(ExperimentalUnitTrial, SingleReportsNeitherWarnNorCheckConsistency) {
  auto r = compare_runs({2}, {3});
  EXPECT_EQ(r["options"]["unit"], "trial");
  EXPECT_TRUE(r["warnings"].empty());
  EXPECT_EQ(r["cells"][0]["latency"]["revocation"]["call"], "slower");
  EXPECT_TRUE(r["cells"][0]["latency"]["revocation"]["consistent_across_runs"].is_null());
  EXPECT_THAT(format_comparison(r), Not(HasSubstr("warning")));
}

TEST(CompareText, TableCorrectnessAndVerdict) {
  TestCell a = cell("debian-6.1", "dm-linear/xfs/madvise", 2, 1), b = cell("debian-6.12", "dm-linear/xfs/madvise", 3, 2);
  b.oracles["expected_victims"] = "fail";
  b.notify_classes = {{"generic-fallback", 4}};
  auto r = compare(make_report("run-a", {a, cell("debian-6.1", "gone", 1)}), make_report("run-b", {b}));
  std::string text = format_comparison(r);
  if (std::getenv("POISONLAB_PRINT_COMPARE")) std::cout << text;
  EXPECT_THAT(text, HasSubstr("A: a.json (run run-a); kernel debian-6.1; 2 cells"));
  EXPECT_THAT(text, HasSubstr("cell / metric"));
  EXPECT_THAT(text, HasSubstr("dm-linear/xfs/madvise\n  revocation"));
  EXPECT_THAT(text, HasSubstr("slower"));
  EXPECT_THAT(text, HasSubstr("regression   dm-linear/xfs/madvise: oracle expected_victims pass -> fail"));
  EXPECT_THAT(text, HasSubstr("notify path holder 4 -> generic-fallback 4"));
  EXPECT_THAT(text, HasSubstr("gone: in A, missing in B"));
  EXPECT_THAT(text, HasSubstr("verdict: REGRESSION: 1 slower latency, 1 oracle regression, 1 cell missing in B"));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("verdict:", 0) != 0 && line.find(": notify path") == std::string::npos) {
      EXPECT_LE(line.size(), 100u) << line;
    }
  }
}

TEST(CompareText, NoChange) {
  auto report = make_report("r", {cell("k", "x", 2, 1)});
  std::string text = format_comparison(compare(report, report));
  EXPECT_THAT(text, HasSubstr("verdict: no change (1 cells compared, 1 latency tests)"));
  EXPECT_THAT(text, Not(HasSubstr("REGRESSION")));
}

}  // namespace
}  // namespace poisonlab

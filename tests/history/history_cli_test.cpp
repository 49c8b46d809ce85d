// `poisonlab history` as a nightly job uses it: reports in, a trend out, and
// an exit status to gate on.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "common/fs_util.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "history/history_test_reports.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using poisonlab::CommandResult;
using poisonlab::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

using poisonlab::testing::Samples;
const Samples& kSteady = poisonlab::testing::kSteadyMs;
const Samples& kSlow = poisonlab::testing::kSlowMs;

CommandResult poisonlab_history(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), {POISONLAB_BINARY, "history"});
  poisonlab::RunOptions options;
  options.timeout = std::chrono::seconds(60);
  options.extra_env = std::move(env);
  return poisonlab::run_command(args, options);
}

class HistoryCli : public ::testing::Test {
 protected:
  fs::path night(int day, const Samples& madvise, const std::string& verdict = "pass") {
    return poisonlab::testing::write_test_report(dir_.path(), poisonlab::testing::nightly_run(day, madvise, verdict));
  }
  std::vector<std::string> steady_nights(int count) {
    std::vector<std::string> reports;
    for (int day = 1; day <= count; ++day) reports.push_back(night(day, kSteady).string());
    return reports;
  }
  CommandResult add(std::vector<std::string> reports) {
    reports.insert(reports.begin(), "add");
    reports.insert(reports.end(), {"--db", db_.string()});
    return poisonlab_history(reports);
  }

  TempDir dir_;
  fs::path db_ = dir_ / "results" / "history.sqlite";
};

TEST_F(HistoryCli, AddTwiceThenUpdate) {
  auto first = add(steady_nights(2));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_THAT(first.out, HasSubstr("run night-01 (ab-nightly, 3 cells, debian-6.1, debian-6.12): added"));
  EXPECT_THAT(first.out, HasSubstr("night-02"));
  EXPECT_TRUE(fs::exists(db_));

  auto again = add({night(1, kSteady).string()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("night-01 (ab-nightly, 3 cells, debian-6.1, debian-6.12): already in history"));

  // `poisonlab judge` writes the same run, judged again, beside the report.
  fs::path report = night(1, kSteady);
  json rejudged = json::parse(poisonlab::read_file(report));
  rejudged["cells"][1]["verdict"] = "fail";
  fs::path rejudged_path = report.parent_path() / "report.rejudged.json";
  poisonlab::write_file_atomic(rejudged_path, rejudged.dump());
  auto update = add({rejudged_path.string()});
  EXPECT_EQ(update.exit_code, 0) << update.err;
  EXPECT_THAT(update.out, HasSubstr("night-01 (ab-nightly, 3 cells, debian-6.1, debian-6.12): updated"));

  auto exported = poisonlab_history({"export", "--db", db_.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  json history = json::parse(exported.out);
  EXPECT_EQ(history["history_schema"], 1);
  ASSERT_EQ(history["runs"].size(), 2u);
  EXPECT_EQ(history["runs"][0]["report_path"], rejudged_path.string());
  EXPECT_EQ(history["runs"][0]["cells"][1]["verdict"], "fail");
  EXPECT_EQ(history["runs"][1]["cells"][1]["samples"]["revocation_ms"].size(), kSteady.size());
}

TEST_F(HistoryCli, TrendInDateOrderAsTableAndJson) {
  // added newest first: the trend still reads oldest first
  ASSERT_EQ(add({night(3, {3.0, 3.1, 2.9}).string(), night(1, {1.0}).string(), night(2, {2.0, 2.2}).string()})
                .exit_code,
            0);
  auto table = poisonlab_history(
      {"trend", "--db", db_.string(), "--variant", "debian-6.12", "--cell", "raw/xfs/madvise"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("revocation latency by run variant debian-6.12 cell raw/xfs/madvise"));
  EXPECT_LT(table.out.find("night-01"), table.out.find("night-02"));
  EXPECT_LT(table.out.find("night-02"), table.out.find("night-03"));
  EXPECT_THAT(table.out, HasSubstr("3.000"));
  EXPECT_THAT(table.out, Not(HasSubstr("debian-6.1 ")));

  auto as_json = poisonlab_history(
      {"trend", "--db", db_.string(), "--variant", "debian-6.12", "--cell", "raw/xfs/madvise", "--json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  json rows = json::parse(as_json.out)["rows"];
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["started_at"], "2025-03-01T02:00:00Z");
  EXPECT_EQ(rows[2]["stats"]["n"], 3);
  EXPECT_EQ(rows[2]["stats"]["p50"], 3.0);

  auto phase = poisonlab_history({"trend", "--db", db_.string(), "--metric", "kernel_handling", "--json"});
  ASSERT_EQ(phase.exit_code, 0) << phase.err;
  EXPECT_EQ(json::parse(phase.out)["rows"].size(), 9u);  // three nights of three cells

  auto unknown = poisonlab_history({"trend", "--db", db_.string(), "--metric", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("no samples of metric \"nope\""));
}

TEST_F(HistoryCli, RegressionsGateTheNightlyJob) {
  ASSERT_EQ(add(steady_nights(5)).exit_code, 0);
  ASSERT_EQ(add({night(6, kSteady).string()}).exit_code, 0);
  auto steady = poisonlab_history({"regressions", "--db", db_.string()});
  EXPECT_EQ(steady.exit_code, 0) << steady.out << steady.err;
  EXPECT_THAT(steady.out, HasSubstr("no regression in 3 cells checked"));

  ASSERT_EQ(add({night(7, kSlow).string()}).exit_code, 0);
  auto slow = poisonlab_history({"regressions", "--db", db_.string()});
  EXPECT_EQ(slow.exit_code, 3) << slow.out << slow.err;
  EXPECT_THAT(slow.out, HasSubstr("debian-6.12 / ab-nightly raw/xfs/madvise: latency"));
  EXPECT_THAT(slow.out, HasSubstr("against 5 earlier runs"));

  auto lenient = poisonlab_history({"regressions", "--db", db_.string(), "--threshold", "150", "--json"});
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
  json report = json::parse(lenient.out);
  EXPECT_EQ(report["regressions"], 0);
  EXPECT_EQ(report["threshold"], 1.5);

  auto narrow = poisonlab_history({"regressions", "--db", db_.string(), "--baseline", "1", "--json"});
  EXPECT_EQ(narrow.exit_code, 3);
  EXPECT_EQ(json::parse(narrow.out)["checks"][0]["baseline"].size(), 1u);
}

// A slowdown inside the baseline's run-to-run range (one baseline night was
// slower still) does not fail the job.
TEST_F(HistoryCli, SlowerInsideTheBaselineRunRangeDoesNotGate) {
  ASSERT_EQ(add(steady_nights(4)).exit_code, 0);
  ASSERT_EQ(add({night(5, {2.5, 2.6}).string(), night(6, kSlow).string()}).exit_code, 0);
  auto r = poisonlab_history({"regressions", "--db", db_.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("slower?"));
  EXPECT_THAT(r.out, HasSubstr("no regression in 3 cells checked"));
  auto j = poisonlab_history({"regressions", "--db", db_.string(), "--json"});
  EXPECT_EQ(j.exit_code, 0);
  EXPECT_EQ(json::parse(j.out)["checks"][1]["cells"][0]["latency"]["consistent_across_runs"], false);
}

TEST_F(HistoryCli, AFailingVerdictIsARegression) {
  ASSERT_EQ(add(steady_nights(3)).exit_code, 0);
  ASSERT_EQ(add({night(4, kSteady, "fail").string()}).exit_code, 0);
  auto r = poisonlab_history({"regressions", "--db", db_.string()});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("raw/xfs/madvise: verdict"));
}

TEST_F(HistoryCli, EnvironmentNamesTheDefaultStore) {
  fs::path elsewhere = dir_ / "nightly.sqlite";
  auto r = poisonlab_history({"add", night(1, kSteady).string()}, {{"POISONLAB_HISTORY", elsewhere.string()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("history: " + elsewhere.string()));
  EXPECT_TRUE(fs::exists(elsewhere));
  auto trend = poisonlab_history({"trend"}, {{"POISONLAB_HISTORY", elsewhere.string()}});
  EXPECT_EQ(trend.exit_code, 0) << trend.err;
  EXPECT_THAT(trend.out, HasSubstr("night-01"));
}

TEST_F(HistoryCli, ABadReportAddsNothing) {
  fs::path scenario = dir_.write("scenario.json", R"({"name": "t", "kernels": ["debian-6.12"]})");
  auto r = add({night(1, kSteady).string(), scenario.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(scenario.string() + ": /schema_version: expected a poisonlab report"));
  EXPECT_FALSE(fs::exists(db_));  // checked before the store was touched

  json report = json::parse(poisonlab::read_file(night(2, kSteady)));
  report["cells"][0]["latency"]["revocation_ns"][0] = "slow";
  fs::path damaged = dir_.write("damaged.json", report.dump());
  r = add({damaged.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(damaged.string() + ": /cells/0/latency/revocation_ns/0: expected a number"));
}

TEST_F(HistoryCli, BadOrMissingStore) {
  auto missing = poisonlab_history({"trend", "--db", db_.string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr(db_.string() + ": no history store there"));
  EXPECT_FALSE(fs::exists(db_));

  fs::path not_sqlite = dir_.write("notes.sqlite", "these are notes, not a database\n");
  for (const char* command : {"add", "trend", "regressions", "export"}) {
    std::vector<std::string> args = {command, "--db", not_sqlite.string()};
    if (std::string(command) == "add") args.push_back(night(1, kSteady).string());
    auto r = poisonlab_history(args);
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(not_sqlite.string() + ": ")) << command;
    EXPECT_THAT(r.err, HasSubstr("expected a poisonlab history store")) << command;
  }
  EXPECT_EQ(poisonlab::read_file(not_sqlite), "these are notes, not a database\n");
}

}  // namespace

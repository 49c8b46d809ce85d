#include "history/history_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/temp_dir.h"
#include "history/history_export.h"
#include "history/history_test_reports.h"

namespace poisonlab {

void PrintTo(AddOutcome outcome, std::ostream* out) { *out << describe(outcome); }

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using testing::TestCell;
using testing::TestRun;
using testing::write_test_report;

TestRun run_at(const std::string& id, const std::string& date, std::vector<TestCell> cells = {}) {
  if (cells.empty())
    cells = {{.kernel = "debian-6.1", .key = "raw/xfs/madvise", .revocation_ms = {1.0, 1.2, std::nullopt}},
             {.kernel = "debian-6.12", .key = "raw/xfs/madvise", .revocation_ms = {0.9, 1.1}},
             {.kernel = "debian-6.12", .key = "dm/xfs/mce", .revocation_ms = {3.0}, .verdict = "fail"}};
  std::vector<std::string> kernels;
  for (const auto& cell : cells)
    if (std::find(kernels.begin(), kernels.end(), cell.kernel) == kernels.end()) kernels.push_back(cell.kernel);
  return {.id = id, .started_at = "2025-03-" + date + "T02:00:00Z", .kernels = kernels, .cells = cells};
}

class HistoryStoreTest : public ::testing::Test {
 protected:
  RunRecord record(const TestRun& run) { return load_run_record(write_test_report(dir_.path(), run)); }
  HistoryStore writable() { return HistoryStore(db_, HistoryStore::Mode::read_write); }
  HistoryStore readable() { return HistoryStore(db_, HistoryStore::Mode::read_only); }
  size_t count(const std::string& table) {
    sqlite3* raw = nullptr;
    sqlite3_open_v2(db_.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(raw, ("SELECT count(*) FROM " + table).c_str(), -1, &statement, nullptr);
    sqlite3_step(statement);
    size_t n = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(raw);
    return n;
  }

  TempDir dir_;
  fs::path db_ = dir_ / "results" / "history.sqlite";
};

TEST_F(HistoryStoreTest, ReadsBackWhatItStored) {
  RunRecord run = record(run_at("r1", "01"));
  EXPECT_EQ(writable().add(run), AddOutcome::added);
  auto runs = readable().runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0], run);
  EXPECT_EQ(count("cells"), 3u);
  EXPECT_EQ(count("samples"), 2 * (2u + 2u + 1u));  // revocation and kernel_handling of each measured trial
  EXPECT_EQ(count("oracles"), 6u);
}

TEST_F(HistoryStoreTest, AddingTheSameReportTwiceAddsNothing) {
  RunRecord run = record(run_at("r1", "01"));
  EXPECT_EQ(writable().add(run), AddOutcome::added);
  EXPECT_EQ(writable().add(run), AddOutcome::already_present);
  EXPECT_EQ(writable().add(load_run_record(run.report_path)), AddOutcome::already_present);
  EXPECT_EQ(count("runs"), 1u);
  EXPECT_EQ(count("cells"), 3u);
  EXPECT_EQ(count("samples"), 10u);
}

TEST_F(HistoryStoreTest, SameRunWithOtherContentReplacesItsRows) {
  TestRun original = run_at("r1", "01");
  writable().add(record(original));
  TestRun rejudged = original;
  rejudged.cells.pop_back();           // one cell fewer
  rejudged.cells[0].verdict = "fail";  // and another verdict
  EXPECT_EQ(writable().add(record(rejudged)), AddOutcome::updated);
  auto runs = readable().runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0], record(rejudged));
  EXPECT_EQ(count("cells"), 2u);
  EXPECT_EQ(count("oracles"), 4u);
  EXPECT_EQ(count("samples"), 8u);  // no orphan rows of the dropped cell
}

TEST_F(HistoryStoreTest, AFailedAddChangesNothing) {
  writable().add(record(run_at("r1", "01")));
  RunRecord broken = record(run_at("r2", "02"));
  broken.cells[1].index = broken.cells[0].index;  // violates the cells primary key half way
  EXPECT_THROW(writable().add(broken), UserError);
  EXPECT_EQ(count("runs"), 1u);
  EXPECT_EQ(count("cells"), 3u);
  EXPECT_EQ(readable().runs()[0].run_id, "r1");
}

TEST_F(HistoryStoreTest, ExportListsRunsInDateOrderWithTheDocumentedShape) {
  auto store = writable();
  store.add(record(run_at("late", "09")));
  store.add(record(run_at("early", "02")));
  store.add(record(run_at("middle", "05")));
  json out = export_history(readable());
  EXPECT_EQ(out["history_schema"], 1);
  ASSERT_EQ(out["runs"].size(), 3u);
  EXPECT_EQ(out["runs"][0]["run_id"], "early");
  EXPECT_EQ(out["runs"][1]["run_id"], "middle");
  EXPECT_EQ(out["runs"][2]["run_id"], "late");
  const json& cell = out["runs"][0]["cells"][1];
  for (const char* field : {"variant", "key", "id", "release", "verdict", "status", "oracles", "evidence", "samples",
                            "notify_summary"})
    EXPECT_TRUE(cell.contains(field)) << field;
  EXPECT_EQ(cell["variant"], "debian-6.12");
  EXPECT_EQ(cell["evidence"]["index"], 1);
  EXPECT_EQ(cell["samples"]["revocation_ms"], json({0.9, 1.1}));
  EXPECT_EQ(out["runs"][0]["variants"], json({"debian-6.1", "debian-6.12"}));
}

TEST_F(HistoryStoreTest, CellsFilterAndOrderByDate) {
  auto store = writable();
  store.add(record(run_at("b", "03")));
  store.add(record(run_at("a", "01")));
  auto rows = readable().cells({.variant = "debian-6.12", .key = "raw/xfs/madvise"}, "revocation");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].run_id, "a");
  EXPECT_EQ(rows[1].run_id, "b");
  EXPECT_EQ(rows[0].samples_ms, (std::vector<double>{0.9, 1.1}));
  EXPECT_EQ(readable().cells({.run_id = "b"}, "kernel_handling").size(), 3u);
  EXPECT_EQ(readable().metrics(), (std::vector<std::string>{"kernel_handling", "revocation"}));
}

TEST_F(HistoryStoreTest, LatestRunsPerVariantAndScenario) {
  auto store = writable();
  for (const char* day : {"01", "02", "03", "04"}) store.add(record(run_at(std::string("r") + day, day)));
  TestRun other = run_at("other", "05", {{.kernel = "debian-6.1", .key = "raw/xfs/madvise", .revocation_ms = {1}}});
  other.scenario = "other-scenario";
  store.add(record(other));
  auto latest = readable().latest_runs(2);
  ASSERT_EQ(latest.size(), 5u);  // 6.1/ab-nightly x2, 6.1/other-scenario x1, 6.12/ab-nightly x2
  EXPECT_EQ(latest[0].run_id, "r04");
  EXPECT_EQ(latest[1].run_id, "r03");
  EXPECT_EQ(latest[2].scenario, "other-scenario");
  EXPECT_EQ(latest[3].variant, "debian-6.12");
  EXPECT_EQ(latest[3].run_id, "r04");
}

void expect_store_error(const fs::path& db, HistoryStore::Mode mode, const std::string& text, int exit_code) {
  try {
    HistoryStore store(db, mode);
    FAIL() << "opened " << db;
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr(db.string()));
    EXPECT_THAT(e.what(), HasSubstr(text));
    EXPECT_EQ(e.exit_code(), exit_code) << e.what();
  }
}

TEST_F(HistoryStoreTest, NotADatabaseIsBadInputAndLeftAlone) {
  fs::path file = dir_.write("report.json", R"({"schema_version": 1})");
  expect_store_error(file, HistoryStore::Mode::read_write, "file is not a database", kExitBadInput);
  expect_store_error(file, HistoryStore::Mode::read_only, "expected a poisonlab history store", kExitBadInput);
  EXPECT_EQ(read_file(file), R"({"schema_version": 1})");
}

void make_sqlite(const fs::path& file, const std::string& sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
}

TEST_F(HistoryStoreTest, OtherSchemaVersionsAndOtherDatabasesAreRefused) {
  fs::path newer = dir_ / "newer.sqlite";
  make_sqlite(newer, "CREATE TABLE runs (x); PRAGMA user_version = 7;");
  expect_store_error(newer, HistoryStore::Mode::read_write, "schema version 7; this poisonlab reads version 1",
                     kExitBadInput);
  fs::path foreign = dir_ / "foreign.sqlite";
  make_sqlite(foreign, "CREATE TABLE notes (text);");
  expect_store_error(foreign, HistoryStore::Mode::read_write, "not a poisonlab history store", kExitBadInput);
  fs::path empty = dir_.write("empty.sqlite", "");
  expect_store_error(empty, HistoryStore::Mode::read_only, "an empty history store", kExitBadInput);
}

TEST_F(HistoryStoreTest, MissingStoreIsNotCreatedByReaders) {
  expect_store_error(db_, HistoryStore::Mode::read_only, "no history store there", kExitFailure);
  EXPECT_FALSE(fs::exists(db_));
  EXPECT_FALSE(fs::exists(db_.parent_path()));
}

TEST_F(HistoryStoreTest, WriterCreatesMissingDirectories) {
  fs::path deep = dir_ / "a" / "b" / "history.sqlite";
  HistoryStore(deep, HistoryStore::Mode::read_write).add(record(run_at("r1", "01")));
  EXPECT_EQ(HistoryStore(deep, HistoryStore::Mode::read_only).runs().size(), 1u);
}

// Restores a directory's mode when the test ends, pass or fail.
struct ModeGuard {
  fs::path dir;
  ~ModeGuard() { fs::permissions(dir, fs::perms::owner_all); }
};

TEST_F(HistoryStoreTest, ReadOnlyDirectory) {
  if (geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  fs::path locked = dir_ / "locked";
  fs::create_directories(locked);
  HistoryStore(locked / "history.sqlite", HistoryStore::Mode::read_write).add(record(run_at("r1", "01")));
  ModeGuard guard{locked};
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
  // Reading needs no journal: trend and export work from a read-only place.
  EXPECT_EQ(HistoryStore(locked / "history.sqlite", HistoryStore::Mode::read_only).runs().size(), 1u);
  // Writing needs the rollback journal beside the file.
  HistoryStore store(locked / "history.sqlite", HistoryStore::Mode::read_write);
  try {
    store.add(record(run_at("r2", "02")));
    FAIL() << "added into a read-only directory";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr((locked / "history.sqlite").string()));
  }
  expect_store_error(locked / "new.sqlite", HistoryStore::Mode::read_write, "directory", kExitFailure);
  EXPECT_EQ(HistoryStore(locked / "history.sqlite", HistoryStore::Mode::read_only).runs().size(), 1u);
}

// /proc takes no new files, whoever asks (the test above needs a non-root user).
TEST(HistoryUnwritablePlace, AddSaysWhy) {
  expect_store_error("/proc/poisonlab-history.sqlite", HistoryStore::Mode::read_write, "may you write there",
                     kExitFailure);
  expect_store_error("/proc/poisonlab-history/history.sqlite", HistoryStore::Mode::read_write,
                     "cannot create its directory", kExitFailure);
}

TEST(HistoryDefaultPath, EnvironmentThenResults) {
  ::unsetenv("POISONLAB_HISTORY");
  EXPECT_EQ(default_history_path(), fs::path("results/history.sqlite"));
  ::setenv("POISONLAB_HISTORY", "/tmp/elsewhere.sqlite", 1);
  EXPECT_EQ(default_history_path(), fs::path("/tmp/elsewhere.sqlite"));
  ::unsetenv("POISONLAB_HISTORY");
}

}  // namespace
}  // namespace poisonlab

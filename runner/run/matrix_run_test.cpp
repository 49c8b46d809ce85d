#include "run/matrix_run.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/temp_dir.h"
#include "oracles/oracles.h"
#include "report/report.h"
#include "report/schema_test_util.h"

namespace poisonlab {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using schema_test::report_schema_errors;

// A run directory prepared as `poisonlab submit` does, then filled with cell
// files as Slurm array tasks (or a killed run) leave them: no VM involved.
class MatrixRunDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file_atomic(dir / "a.json", R"({"name": "alpha", "kernels": ["debian-6.12"], "injections": [
        {"method": "madvise", "offset_pages": 1, "pages": 1}, {"method": "hwpoison-pfn", "offset_pages": 1, "pages": 1}]})");
    write_file_atomic(dir / "m.json",
                      R"({"matrix": "night", "variants": ["debian-6.1", "debian-6.12"], "scenarios": ["a.json"]})");
    request.input = dir / "m.json";
    request.out_dir = dir / "run";
    request.variants_file = fs::path(POISONLAB_SOURCE_DIR) / "kernel-config" / "variants.json";
    request.command_line = "test";
    plan = prepare_matrix_run(request, run_dir);
  }
  // What a finished cell leaves: its file, written by a RunReport that
  // never touches report.json.
  void finish_cell(size_t slot, const std::string& status) {
    RunReport writer(run_dir / "alpha" / "report.json", json{{"id", "x"}}, RunReport::Writes::cell_files_only);
    const Cell& cell = plan.scenarios[0].plan.cells[slot];
    CellIdentity id{cell.id, cell.kernel, cell.stack, cell.method, cell.filesystem, cell.target};
    writer.add_cell(judge_failed_cell(id, status, "test", ""), slot);
  }
  json report() { return json::parse(read_file(run_dir / "alpha" / "report.json")); }

  TempDir dir{"matrix-run-test"};
  MatrixRunRequest request;
  fs::path run_dir;
  MatrixPlan plan;
};

TEST_F(MatrixRunDirTest, PrepareWritesThePlanAndAnEmptyReportPerScenario) {
  EXPECT_TRUE(fs::exists(run_dir / "matrix.json"));
  json r = report();
  EXPECT_EQ(r["cells"].size(), 0u);
  EXPECT_EQ(r["run"]["variants"], json({"debian-6.1", "debian-6.12"}));
  EXPECT_EQ(r["run"]["matrix"]["name"], "night");
  EXPECT_EQ(r["run"]["id"], plan.run_id + "/alpha");  // a run of its own for history and compare
  EXPECT_EQ(plan.units.size(), 4u);
  try {
    fs::path again;
    prepare_matrix_run(request, again);
    FAIL() << "a second run in the same directory";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("already holds a run"));
  }
}

TEST_F(MatrixRunDirTest, MergeJoinsCellFilesInPlanOrderAndListsTheMissing) {
  finish_cell(3, "hang");  // out of order, as parallel tasks finish
  finish_cell(0, "guest-panic");
  std::ostringstream log;
  EXPECT_EQ(merge_run_dir(run_dir, "poisonlab merge", log), kExitOracleFailed);
  json r = report();
  ASSERT_EQ(r["cells"].size(), 2u);
  EXPECT_EQ(r["cells"][0]["id"], plan.scenarios[0].plan.cells[0].id);
  EXPECT_EQ(r["cells"][0]["cell_file"], "report.cells/0000.json");
  EXPECT_EQ(r["cells"][1]["cell_file"], "report.cells/0003.json");
  EXPECT_EQ(r["run"]["status"], "incomplete");
  EXPECT_EQ(r["run"]["missing_cells"], json({plan.scenarios[0].plan.cells[1].id, plan.scenarios[0].plan.cells[2].id}));
  EXPECT_EQ(r["run"]["continued"][0]["how"], "merged");
  EXPECT_EQ(report_schema_errors(run_dir / "alpha" / "report.json"), "");

  finish_cell(1, "qemu-crash");
  finish_cell(2, "agent-crash");
  EXPECT_EQ(merge_run_dir(run_dir, "poisonlab merge", log), kExitOracleFailed);  // errors are not passes
  r = report();
  EXPECT_EQ(r["cells"].size(), 4u);
  EXPECT_EQ(r["run"]["status"], "failed");
  EXPECT_FALSE(r["run"].contains("missing_cells"));
  EXPECT_EQ(r["summary"]["errored"], 4);
  EXPECT_EQ(r["run"]["continued"].size(), 2u);  // merged twice, each time from what is on disk
  EXPECT_EQ(report_schema_errors(run_dir / "alpha" / "report.json"), "");
}

TEST_F(MatrixRunDirTest, ACellFileOfAnotherPlanIsRefused) {
  finish_cell(1, "hang");
  fs::rename(run_dir / "alpha" / "report.cells" / "0001.json", run_dir / "alpha" / "report.cells" / "0002.json");
  std::ostringstream log;
  try {
    merge_run_dir(run_dir, "poisonlab merge", log);
    FAIL() << "merged a misplaced cell";
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/id");
    EXPECT_THAT(e.what(), HasSubstr(plan.scenarios[0].plan.cells[2].id));
  }
}

TEST_F(MatrixRunDirTest, RunCellRefusesAnIndexBeyondThePlan) {
  std::ostringstream log;
  try {
    run_one_unit(run_dir, 4, request.variants_file, log);
    FAIL() << "ran unit 4 of 4";
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/units");
    EXPECT_THAT(e.what(), HasSubstr("below 4"));
  }
}

TEST_F(MatrixRunDirTest, DryRunPlanNamesEveryJobAndCell) {
  std::string text = format_plan(plan, 2);
  EXPECT_THAT(text, HasSubstr("night: 2 variant(s) x 1 scenario(s) = 4 cells in 2 VM jobs, 2 at once"));
  EXPECT_THAT(text, HasSubstr("job alpha on debian-6.1 (2 cells)\n    debian-6.1/raw/xfs/madvise\n"));
  unsigned jobs = default_jobs(plan);
  EXPECT_GE(jobs, 1u);
  EXPECT_LE(jobs, std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace poisonlab

// `poisonlab submit --slurm` end to end on a real single-node Slurm
// (slurm_cluster.sh, started once for the binary): shell array tasks through
// the pl_slurm library, then the small matrix with a VM per array task, a
// run whose task does not run (its cell is reported missing), and a run-cell
// that fails inside its task. Exit 77 (skipped) without Slurm or MUNGE.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs_util.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "report/schema_test_util.h"
#include "slurm/slurm_job.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

// The cluster, for every test of the binary; clients reach it through
// SLURM_CONF, which poisonlab, sbatch and the array tasks inherit.
class SlurmClusterEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    dir_ = std::make_unique<TempDir>("slurm-test");
    // With this process as the owner: if the test is killed, the cluster stops.
    auto r = run_command({"nice", "-n", "19", SLURM_CLUSTER_SCRIPT, "start", dir_->path().string(),
                          std::to_string(getpid())},
                         {.timeout = std::chrono::minutes(3), .merge_stderr = true});
    std::cout << r.out;
    ASSERT_TRUE(r.ok()) << "the Slurm fixture did not start; logs in " << dir_->path() << "/log";
    setenv("SLURM_CONF", (dir_->path() / "slurm.conf").c_str(), 1);
  }
  void TearDown() override {
    if (!dir_) return;
    run_command({SLURM_CLUSTER_SCRIPT, "stop", dir_->path().string()}, {.timeout = std::chrono::minutes(1)});
    dir_.reset();
  }

 private:
  std::unique_ptr<TempDir> dir_;  // the cluster's files, removed after it stops
};

fs::path fresh_run_dir(const std::string& name) {
  fs::path dir = fs::current_path() / "slurm-test-runs" / name;
  fs::remove_all(dir);
  return dir;
}

// scenarios/slurm-small.json unless POISONLAB_SLURM_MATRIX names another.
std::string small_matrix() {
  const char* other = getenv("POISONLAB_SLURM_MATRIX");
  return other ? other : std::string(POISONLAB_SOURCE_DIR) + "/scenarios/slurm-small.json";
}

json read_json(const fs::path& file) { return json::parse(read_file(file)); }

std::vector<std::string> submit_argv(const fs::path& out, std::vector<std::string> extra) {
  std::vector<std::string> argv = {POISONLAB_BINARY, "submit", "--slurm", small_matrix(), "--out", out.string(),
                                   "--wait", "--wait-timeout", "600"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

CommandResult run_logged(const std::vector<std::string>& argv, std::chrono::minutes timeout) {
  auto r = run_command(argv, {.timeout = timeout, .merge_stderr = true});
  std::cout << "$ " << join_command(argv) << "\n" << r.out << std::flush;
  return r;
}

std::string job_id_printed(const std::string& output) {
  std::smatch m;
  return std::regex_search(output, m, std::regex(R"(slurm job (\d+): \d+ array tasks)")) ? m[1].str() : "";
}

// The report of each scenario in the run directory's plan, checked against
// the schema; cells by id.
std::map<std::string, json> reported_cells(const fs::path& run_dir, std::multiset<std::string>& ids) {
  std::map<std::string, json> cells;
  json matrix = read_json(run_dir / "matrix.json");
  for (const auto& s : matrix["scenarios"]) {
    fs::path report = run_dir / s["dir"].get<std::string>() / "report.json";
    EXPECT_TRUE(fs::exists(report)) << report;
    if (!fs::exists(report)) continue;
    EXPECT_EQ(schema_test::report_schema_errors(report), "") << report;
    json doc = read_json(report);
    for (const auto& cell : doc["cells"]) {
      ids.insert(cell["id"].get<std::string>());
      cells[cell["id"].get<std::string>()] = cell;
    }
  }
  return cells;
}

// The e2e run's directory, for the tests that reuse its finished cells.
fs::path e2e_run_dir() { return fs::current_path() / "slurm-test-runs" / "small-matrix"; }

TEST(SlurmArray, ShellTasksEndWithTheStatesTheirScriptsGave) {
  fs::path run_dir = fresh_run_dir("shell-array");
  fs::create_directories(run_dir);
  ArrayJobSpec spec;
  spec.run_dir = run_dir;
  spec.tasks = 3;
  spec.max_parallel = 2;
  spec.job_name = "poisonlab-shell-test";
  spec.mem_mib = 64;
  spec.time_limit_min = 5;
  // $1 is --index, $2 the task id: task 1 fails with exit 4.
  spec.task_command = {"/bin/sh", "-c", "echo \"task $2 of $SLURM_ARRAY_JOB_ID\"; [ \"$2\" != 1 ] || exit 4", "sh"};
  SubmittedJob job = submit_array_job(spec, "2026-01-01T00:00:00Z");
  std::ostringstream log;
  ArrayOutcome outcome = wait_for_array(job, {std::chrono::seconds(120), std::chrono::seconds(1)}, log);
  std::cout << log.str();
  ASSERT_FALSE(outcome.timed_out);
  ASSERT_EQ(outcome.tasks.size(), 3u);
  EXPECT_EQ(outcome.tasks[0], (TaskState{0, "COMPLETED", 0, 0}));
  EXPECT_EQ(outcome.tasks[1], (TaskState{1, "FAILED", 4, 0}));
  EXPECT_EQ(outcome.tasks[2], (TaskState{2, "COMPLETED", 0, 0}));
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(read_file(task_log_path(run_dir, i)), fmt::format("task {} of {}\n", i, job.job_id));
  EXPECT_THAT(describe_failed_tasks(run_dir, outcome.tasks),
              HasSubstr("task 1: FAILED (exit 4), log " + task_log_path(run_dir, 1).string()));
  json record = read_json(job_record_path(run_dir));
  EXPECT_EQ(record["job_id"], job.job_id);
  EXPECT_EQ(record["tasks"][1]["state"], "FAILED");
}

TEST(SlurmSubmit, SmallMatrixEndToEnd) {
  fs::path run_dir = fresh_run_dir("small-matrix");
  auto started = std::chrono::steady_clock::now();
  auto r = run_logged(submit_argv(run_dir, {"--max-parallel", "2", "--time-limit", "20"}), std::chrono::minutes(12));
  std::cout << fmt::format("submit --wait took {:.0f} s\n",
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_TRUE(fs::exists(run_dir / "matrix.json"));
  json units = read_json(run_dir / "matrix.json")["units"];
  ASSERT_GE(units.size(), 2u);

  json record = read_json(job_record_path(run_dir));
  EXPECT_EQ(record["job_id"].get<std::string>(), job_id_printed(r.out));
  EXPECT_FALSE(record["job_id"].get<std::string>().empty());
  EXPECT_EQ(record["array_size"], units.size());
  EXPECT_THAT(read_file(record["script"].get<std::string>()),
              HasSubstr(fmt::format("#SBATCH --array=0-{}%2\n", units.size() - 1)));
  ASSERT_EQ(record["tasks"].size(), units.size());
  for (const auto& task : record["tasks"]) EXPECT_EQ(task["state"], "COMPLETED") << task;

  // One log per array task, each from run-cell of its own unit.
  size_t logs = 0;
  for (const auto& entry : fs::directory_iterator(run_dir / "slurm")) logs += entry.path().extension() == ".out";
  EXPECT_EQ(logs, units.size());
  for (const auto& unit : units) {
    size_t i = unit["index"].get<size_t>();
    EXPECT_THAT(read_file(task_log_path(run_dir, i)), HasSubstr(fmt::format("[unit {}] ", i)));
  }

  // Every planned cell exactly once in the merged report(s), each passed.
  std::multiset<std::string> ids;
  auto cells = reported_cells(run_dir, ids);
  EXPECT_EQ(ids.size(), units.size());
  for (const auto& unit : units) {
    std::string id = unit["cell"].get<std::string>();
    EXPECT_EQ(ids.count(id), 1u) << id;
    if (cells.contains(id)) {
      EXPECT_EQ(cells[id]["verdict"], "pass") << id;
    }
  }
}

// Bad input and a missing sbatch are refused before a run directory exists.
TEST(SlurmSubmit, RefusedBeforeAnythingIsWritten) {
  fs::path out = fresh_run_dir("refused");
  auto refused = [&](std::vector<std::string> argv, int exit_code, const std::string& message,
                     std::map<std::string, std::string> env = {}) {
    auto r = run_command(argv, {.merge_stderr = true, .extra_env = env});
    EXPECT_EQ(r.exit_code, exit_code) << r.out;
    EXPECT_THAT(r.out, HasSubstr(message));
    EXPECT_FALSE(fs::exists(out)) << join_command(argv);
  };
  refused({POISONLAB_BINARY, "submit", small_matrix(), "--out", out.string()}, 2,
          "Slurm is the only scheduler supported");
  refused(submit_argv(out, {"--sbatch-arg=--array=0-9"}), 2, "poisonlab sets --array, --output and --error itself");
  refused(submit_argv(out, {"--max-parallel", "0"}), 2, "--max-parallel 0: expected at least 1");
  refused(submit_argv(out, {"--variants", "no-such-kernel"}), 2, "no-such-kernel");
  refused(submit_argv(out, {}), 1, "missing tool 'sbatch'", {{"PATH", "/nonexistent"}});
}

// A task that never runs (cancelled while the job is held: it leaves the
// queue without a record) is named with its log, and the merge marks its
// cell missing. The other task's cell is taken
// from the end-to-end run, so its run-cell finds the result and no VM boots.
TEST(SlurmSubmit, TaskThatDidNotRunLeavesItsCellMissing) {
  fs::path done = e2e_run_dir();
  if (!fs::exists(done / "matrix.json")) GTEST_SKIP() << "needs SlurmSubmit.SmallMatrixEndToEnd's run";
  fs::path run_dir = fresh_run_dir("cancelled-task");
  fs::path out_file = fs::current_path() / "slurm-test-runs" / "cancelled-task.log";
  ChildProcess submit = ChildProcess::spawn(submit_argv(run_dir, {"--sbatch-arg=--hold"}),
                                            {.stdout_path = out_file, .stderr_to_stdout = true});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!fs::exists(job_record_path(run_dir)) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(fs::exists(job_record_path(run_dir))) << read_file(out_file);
  std::string job_id = read_json(job_record_path(run_dir))["job_id"];
  json first = read_json(run_dir / "matrix.json")["units"][0];
  json last = read_json(run_dir / "matrix.json")["units"].back();
  fs::path cells = fs::path(first["scenario"].get<std::string>()) / "report.cells";
  fs::create_directories(run_dir / cells);
  fs::copy_file(done / cells / "0000.json", run_dir / cells / "0000.json");
  size_t missing_index = last["index"].get<size_t>();
  std::string missing_task = fmt::format("{}_{}", job_id, missing_index);
  run_checked({"scancel", missing_task});
  run_checked({"scontrol", "release", job_id});
  std::optional<int> status = submit.wait_for(std::chrono::minutes(3));
  std::string output = read_file(out_file);
  std::cout << output;
  ASSERT_TRUE(status) << "submit --wait did not end";
  EXPECT_EQ(describe_wait_status(*status), "exit 3");
  EXPECT_THAT(output, HasSubstr(fmt::format("task {}: NOT_IN_QUEUE, log {}", missing_index,
                                            task_log_path(run_dir, missing_index).string())));
  std::multiset<std::string> ids;
  auto reported = reported_cells(run_dir, ids);
  EXPECT_EQ(reported[first["cell"].get<std::string>()]["verdict"], "pass");
  json report = read_json(run_dir / first["scenario"].get<std::string>() / "report.json");
  EXPECT_THAT(report["run"].value("missing_cells", json::array()).dump(), HasSubstr(last["cell"].get<std::string>()));
}

// run-cell itself failing in a task (an index past the plan): FAILED with
// its exit status, and its log says why. Tasks with a result already end at once.
TEST(SlurmSubmit, RunCellErrorIsAFailedTaskWithItsLog) {
  fs::path done = e2e_run_dir();
  if (!fs::exists(done / "matrix.json")) GTEST_SKIP() << "needs SlurmSubmit.SmallMatrixEndToEnd's run";
  size_t units = read_json(done / "matrix.json")["units"].size();
  fs::path job_dir = fresh_run_dir("run-cell-error");
  fs::create_directories(job_dir);
  ArrayJobSpec spec;
  spec.run_dir = job_dir;  // the job's script and logs; the cells are the e2e run's
  spec.tasks = units + 1;
  spec.job_name = "poisonlab-index-test";
  spec.mem_mib = 256;
  spec.task_command = {POISONLAB_BINARY, "run-cell", done.string()};
  SubmittedJob job = submit_array_job(spec, "2026-01-01T00:00:00Z");
  std::ostringstream log;
  ArrayOutcome outcome = wait_for_array(job, {std::chrono::seconds(180), std::chrono::seconds(1)}, log);
  ASSERT_FALSE(outcome.timed_out) << log.str();
  for (size_t i = 0; i < units; ++i) {
    EXPECT_EQ(outcome.tasks[i], (TaskState{i, "COMPLETED", 0, 0}));
    EXPECT_THAT(read_file(task_log_path(job_dir, i)), HasSubstr("already has its result: pass"));
  }
  EXPECT_EQ(outcome.tasks[units], (TaskState{units, "FAILED", 2, 0}));
  std::string failed = describe_failed_tasks(job_dir, outcome.tasks);
  std::cout << failed;
  EXPECT_THAT(failed, HasSubstr(fmt::format("task {}: FAILED (exit 2), log {}", units,
                                            task_log_path(job_dir, units).string())));
  EXPECT_THAT(failed, HasSubstr(fmt::format("a unit index below {}, got {}", units, units)));
}

}  // namespace
}  // namespace poisonlab

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  auto check = poisonlab::run_command({SLURM_CLUSTER_SCRIPT, "check"}, {.merge_stderr = true});
  if (check.exit_code == 77) {
    std::cout << "skipped: " << check.out;
    return 77;
  }
  if (geteuid() != 0) {
    // Starting slurmctld, slurmd and munged needs root (as mounting a tmpfs
    // does for the disk-full CLI test): skipped, not failed, elsewhere.
    std::cout << "skipped: slurm_test needs root to start a private Slurm (slurmd, munged)\n";
    return 77;
  }
  ::testing::AddGlobalTestEnvironment(new poisonlab::SlurmClusterEnvironment);
  return RUN_ALL_TESTS();
}

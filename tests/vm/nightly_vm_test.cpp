// Issue 7: the runner's own fault tolerance, with real VMs. A two-variant
// matrix runs with --jobs 2; the same matrix is stopped with SIGTERM,
// resumed, killed with SIGKILL, resumed again, and must end with the same
// report as the uninterrupted run. A scenario of provoked faults (guest
// panic, hang, agent crash, QEMU crash) must give each its verdict and let
// the run go on.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>

#include "vm_run.h"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

fs::path source(const std::string& rel) { return fs::path(POISONLAB_SOURCE_DIR) / rel; }

fs::path fresh_out(const std::string& name) {
  fs::path out = fs::current_path() / "vm-test-runs" / name;
  fs::remove_all(out);
  return out;
}

json read_json(const fs::path& file) { return json::parse(poisonlab::read_file(file)); }

size_t cell_files(const fs::path& cells_dir) {
  if (!fs::is_directory(cells_dir)) return 0;
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(cells_dir)) n += e.path().extension() == ".json";
  return n;
}

// Processes whose command line mentions dir (QEMU's -chardev, -drive paths).
std::vector<std::string> processes_using(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(dir.string()) != std::string::npos && cmdline.find("qemu") != std::string::npos)
      found.push_back(e.path().filename().string());
  }
  return found;
}

// QEMU dies with the runner (PR_SET_PDEATHSIG); give the kernel a moment.
void expect_no_qemu_left(const fs::path& dir) {
  for (int i = 0; i < 50 && !processes_using(dir).empty(); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(processes_using(dir), std::vector<std::string>{}) << "QEMU outlived the runner";
}

poisonlab::ChildProcess start_runner(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> argv = {POISONLAB_BINARY, "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  poisonlab::SpawnOptions options;
  options.stdout_path = log;
  options.stderr_to_stdout = true;
  options.append_output = true;
  return poisonlab::ChildProcess::spawn(argv, options);
}

void wait_for_cell_files(const fs::path& cells_dir, size_t count, poisonlab::ChildProcess& runner) {
  auto deadline = std::chrono::steady_clock::now() + 10min;
  while (cell_files(cells_dir) < count) {
    ASSERT_TRUE(runner.running()) << "the runner ended before cell " << count;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    runner.try_wait();
    std::this_thread::sleep_for(200ms);
  }
}

int exit_status(int wait_status) { return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status); }

void expect_valid(const fs::path& report) {
  EXPECT_EQ(poisonlab::schema_test::report_schema_errors(report), "") << report;
}

TEST(VmNightly, TwoVariantsWithTwoJobsThenStopKillAndResumeGiveTheSameReport) {
  const std::string matrix = source("scenarios/nightly-quick.json").string();

  // The uninterrupted run: two VMs at once.
  fs::path whole = fresh_out("nightly-whole");
  auto r = poisonlab::run_command({POISONLAB_BINARY, "run", matrix, "--jobs", "2", "--out", whole.string()},
                                  {.timeout = 15min, .merge_stderr = true});
  std::cout << r.out;
  ASSERT_EQ(r.exit_code, 0);
  // When the first cell ended, the other variant's job was running: parallel VMs.
  EXPECT_THAT(r.out, HasSubstr("[1/4]"));
  EXPECT_THAT(r.out, HasSubstr("1/4 cells, 1 running"));
  json reference = read_json(whole / "quick" / "report.json");
  expect_valid(whole / "quick" / "report.json");
  ASSERT_EQ(reference["cells"].size(), 4u);
  EXPECT_EQ(reference["run"]["status"], "passed");
  EXPECT_EQ(reference["run"]["jobs"], 2);
  EXPECT_EQ(reference["kernels"].size(), 2u);

  // SIGTERM during the run: a clean stop, a valid partial report, no QEMU left.
  fs::path out = fresh_out("nightly-interrupted");
  fs::path cells = out / "quick" / "report.cells";
  fs::path log = out.string() + ".log";
  fs::remove(log);
  auto runner = start_runner({matrix, "--jobs", "2", "--out", out.string()}, log);
  wait_for_cell_files(cells, 1, runner);
  runner.signal(SIGTERM);
  EXPECT_EQ(exit_status(runner.wait()), 128 + SIGTERM);
  expect_no_qemu_left(out);
  json partial = read_json(out / "quick" / "report.json");
  expect_valid(out / "quick" / "report.json");
  EXPECT_EQ(partial["run"]["status"], "interrupted");
  size_t done_at_stop = partial["cells"].size();
  EXPECT_GE(done_at_stop, 1u);
  EXPECT_EQ(partial["run"]["missing_cells"].size(), 4 - done_at_stop);
  std::string first_cell = poisonlab::read_file(cells / "0000.json");

  // Resume, then SIGKILL the runner once another cell is done.
  if (done_at_stop < 3) {
    auto resumed = start_runner({"--resume", out.string(), "--jobs", "2"}, log);
    wait_for_cell_files(cells, done_at_stop + 1, resumed);
    resumed.signal(SIGKILL);
    EXPECT_EQ(exit_status(resumed.wait()), 128 + SIGKILL);
    expect_no_qemu_left(out);
  }

  // Resume to the end.
  r = poisonlab::run_command({POISONLAB_BINARY, "run", "--resume", out.string()}, {.timeout = 15min, .merge_stderr = true});
  std::cout << r.out;
  ASSERT_EQ(r.exit_code, 0);
  json final_report = read_json(out / "quick" / "report.json");
  expect_valid(out / "quick" / "report.json");
  EXPECT_EQ(final_report["run"]["status"], "passed");
  EXPECT_FALSE(final_report["run"].contains("missing_cells"));
  EXPECT_GE(final_report["run"]["continued"].size(), 1u);
  ASSERT_EQ(final_report["cells"].size(), reference["cells"].size()) << "no duplicates, nothing lost";
  for (size_t i = 0; i < reference["cells"].size(); ++i) {
    EXPECT_EQ(final_report["cells"][i]["id"], reference["cells"][i]["id"]);
    EXPECT_EQ(final_report["cells"][i]["verdict"], reference["cells"][i]["verdict"]);
    EXPECT_EQ(final_report["cells"][i]["cell_file"], reference["cells"][i]["cell_file"]);
  }
  EXPECT_EQ(final_report["summary"], reference["summary"]);
  EXPECT_EQ(final_report["correctness_matrix"]["cells"].size(), reference["cells"].size());
  EXPECT_EQ(poisonlab::read_file(cells / "0000.json"), first_cell) << "a finished cell was run again";
}

TEST(VmRunnerFaults, EachProvokedFaultIsAVerdictWithEvidenceAndTheRunGoesOn) {
  fs::path out = fresh_out("runner-faults");
  auto r = poisonlab::run_command({POISONLAB_BINARY, "run", source("scenarios/runner-faults.json").string(), "--out",
                                   out.string()},
                                  {.timeout = 15min, .merge_stderr = true});
  std::cout << r.out;
  EXPECT_EQ(r.exit_code, 3);  // cells in error: not a pass, not a runner failure
  json report = read_json(out / "report.json");
  expect_valid(out / "report.json");
  const json& cells = report["cells"];
  ASSERT_EQ(cells.size(), 5u);
  const char* expected[] = {"guest-panic", "hang", "agent-crash", "qemu-crash", "completed"};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(cells[i]["status"], expected[i]) << cells[i]["id"];

  ASSERT_FALSE(cells[0]["kernel_problems"].empty());
  EXPECT_THAT(cells[0]["kernel_problems"][0]["title"].get<std::string>(), HasSubstr("sysrq triggered crash"));
  EXPECT_THAT(cells[1]["error"].get<std::string>(), HasSubstr("no agent message within timeouts.progress_s = 20 s"));
  EXPECT_THAT(cells[2]["console_tail"].dump(), HasSubstr("agent exited with status 134"));
  EXPECT_THAT(cells[3]["error"].get<std::string>(), HasSubstr("signal 9"));
  EXPECT_EQ(cells[4]["verdict"], "pass") << "the cell after four dead VMs runs on a fresh one";

  // Each fault took its VM down: five boots, each with its own serial log.
  std::set<std::string> serial_logs;
  for (const auto& cell : cells) serial_logs.insert(cell["serial_log"].get<std::string>());
  EXPECT_EQ(serial_logs.size(), 5u);
  expect_no_qemu_left(out);
}

}  // namespace

// submit_array_job and wait_for_array against stand-in sbatch, squeue and
// sacct scripts put first on PATH (the real Slurm runs in tests/slurm).
#include "slurm/slurm_job.h"

#include <stdlib.h>

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/temp_dir.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Puts `bin` first on PATH for the test's lifetime.
class FakeSlurm {
 public:
  FakeSlurm() : old_path_(getenv("PATH") ? getenv("PATH") : "") {
    fs::create_directories(dir_ / "bin");
    setenv("PATH", ((dir_ / "bin").string() + ":" + old_path_).c_str(), 1);
  }
  ~FakeSlurm() { setenv("PATH", old_path_.c_str(), 1); }
  void tool(const std::string& name, const std::string& body) {
    fs::path p = dir_.write("bin/" + name, "#!/bin/sh\n" + body);
    fs::permissions(p, fs::perms::owner_all);
  }
  // A squeue that prints answers[n] on its n-th call (the last one after).
  void squeue_answers(const std::vector<std::string>& answers) {
    for (size_t i = 0; i < answers.size(); ++i) dir_.write("answers/" + std::to_string(i), answers[i]);
    tool("squeue", "d=" + dir_.path().string() + "\nn=$(cat $d/calls 2>/dev/null || echo 0)\n"
                   "echo $((n + 1)) > $d/calls\n"
                   "last=" + std::to_string(answers.size() - 1) + "\n[ $n -gt $last ] && n=$last\n"
                   "case \"$(cat $d/answers/$n)\" in INVALID) echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1;; esac\n"
                   "cat $d/answers/$n\n");
  }
  int squeue_calls() const { return std::stoi(read_file(dir_ / "calls")); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_{"fake-slurm"};
  std::string old_path_;
};

ArrayJobSpec spec_in(const fs::path& run_dir, size_t tasks) {
  ArrayJobSpec spec;
  spec.run_dir = run_dir;
  spec.tasks = tasks;
  spec.job_name = "poisonlab-test";
  spec.mem_mib = 512;
  spec.task_command = {"/bin/true"};
  return spec;
}

WaitOptions quick() { return {std::chrono::seconds(20), std::chrono::milliseconds(10)}; }

TEST(SlurmJob, JobIdFromParsableOutput) {
  EXPECT_EQ(parse_sbatch_job_id("123\n"), "123");
  EXPECT_EQ(parse_sbatch_job_id("4567;cluster\n"), "4567");
  EXPECT_THROW(parse_sbatch_job_id("sbatch: error: Batch job submission failed\n"), UserError);
  EXPECT_THROW(parse_sbatch_job_id(""), UserError);
}

TEST(SlurmJob, SubmitWritesScriptAndRecordAndRunsSbatchInTheRunDir) {
  FakeSlurm slurm;
  TempDir run;
  fs::path args = slurm.dir() / "sbatch-args";
  slurm.tool("sbatch", "pwd > " + args.string() + "; echo \"$@\" >> " + args.string() + "; echo '88;lab'\n");
  SubmittedJob job = submit_array_job(spec_in(run.path(), 3), "2026-01-01T00:00:00Z");
  EXPECT_EQ(job.job_id, "88");
  EXPECT_EQ(job.script, run / "slurm" / "job.sh");
  EXPECT_THAT(read_file(job.script), HasSubstr("#SBATCH --array=0-2\n"));
  EXPECT_EQ(read_file(args), run.path().string() + "\n--parsable " + job.script.string() + "\n");
  auto record = nlohmann::json::parse(read_file(run / "slurm" / "job.json"));
  EXPECT_EQ(record["job_id"], "88");
  EXPECT_EQ(record["array_size"], 3);
  EXPECT_EQ(record["submitted_at"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(record["script"], job.script.string());
  EXPECT_EQ(record["sbatch_command"].back(), job.script.string());
  EXPECT_FALSE(record.contains("tasks"));
}

TEST(SlurmJob, RefusedSubmissionIsAnErrorWithSbatchsMessage) {
  FakeSlurm slurm;
  TempDir run;
  slurm.tool("sbatch", "echo 'sbatch: error: Requested node configuration is not available' >&2; exit 1\n");
  try {
    submit_array_job(spec_in(run.path(), 2), "t");
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Requested node configuration is not available"));
  }
  EXPECT_FALSE(fs::exists(run / "slurm" / "job.json"));
}

TEST(SlurmJob, WaitFollowsTasksUntilAllEndAndRecordsThem) {
  FakeSlurm slurm;
  TempDir run;
  slurm.squeue_answers({"9|0|PENDING|0|\n9|1|PENDING|0|\n",
                        "9|0|RUNNING|0|\n9|1|PENDING|0|\n",
                        "9|0|COMPLETED|0|\n9|1|RUNNING|0|\n",
                        "9|0|COMPLETED|0|\n9|1|FAILED|768|\n"});
  SubmittedJob job{"9", 2, run.path(), run / "slurm" / "job.sh", "t", {"sbatch"}};
  fs::create_directories(run / "slurm");
  std::ostringstream log;
  ArrayOutcome outcome = wait_for_array(job, quick(), log);
  EXPECT_FALSE(outcome.timed_out);
  EXPECT_FALSE(outcome.all_succeeded());
  ASSERT_EQ(outcome.tasks.size(), 2u);
  EXPECT_EQ(outcome.tasks[0], (TaskState{0, "COMPLETED", 0, 0}));
  EXPECT_EQ(outcome.tasks[1], (TaskState{1, "FAILED", 3, 0}));
  EXPECT_EQ(slurm.squeue_calls(), 4);
  EXPECT_THAT(log.str(), HasSubstr("slurm job 9: 2 PENDING\n"));
  EXPECT_THAT(log.str(), HasSubstr("slurm job 9: 1 COMPLETED, 1 FAILED\n"));
  auto record = nlohmann::json::parse(read_file(run / "slurm" / "job.json"));
  EXPECT_EQ(record["tasks"][1]["state"], "FAILED");
  EXPECT_EQ(record["tasks"][1]["exit_code"], 3);
  EXPECT_EQ(record["tasks"][1]["log"], (run / "slurm" / "cell-1.out").string());
}

TEST(SlurmJob, PurgedJobFallsBackToAccountingThenUnknown) {
  FakeSlurm slurm;
  TempDir run;
  fs::create_directories(run / "slurm");
  slurm.squeue_answers({"5|0|RUNNING|0|\n5|1|RUNNING|0|\n5|2|RUNNING|0|\n", "INVALID"});
  slurm.tool("sacct", "echo '5_0|COMPLETED|0:0'; echo '5_0.batch|COMPLETED|0:0'; echo '5_1|TIMEOUT|0:15'\n");
  SubmittedJob job{"5", 3, run.path(), run / "slurm" / "job.sh", "t", {"sbatch"}};
  std::ostringstream log;
  ArrayOutcome outcome = wait_for_array(job, quick(), log);
  EXPECT_EQ(outcome.tasks[0].state, "COMPLETED");
  EXPECT_EQ(outcome.tasks[1], (TaskState{1, "TIMEOUT", 0, 15}));
  EXPECT_EQ(outcome.tasks[2].state, kLeftQueue);
}

// squeue -r lists a held array's pending tasks one by one; `scancel JOB_1`
// on a pending task removes it without a record of its own.
TEST(SlurmJob, TaskCancelledWhilePendingLeavesTheQueue) {
  FakeSlurm slurm;
  TempDir run;
  fs::create_directories(run / "slurm");
  slurm.squeue_answers({"7|0|PENDING|0|\n7|1|PENDING|0|\n", "7|0|PENDING|0|\n", "7|0|RUNNING|0|\n",
                        "7|0|COMPLETED|0|\n"});
  SubmittedJob job{"7", 2, run.path(), run / "slurm" / "job.sh", "t", {"sbatch"}};
  std::ostringstream log;
  ArrayOutcome outcome = wait_for_array(job, quick(), log);
  EXPECT_FALSE(outcome.timed_out);
  EXPECT_EQ(outcome.tasks[0].state, "COMPLETED");
  EXPECT_EQ(outcome.tasks[1].state, kLeftQueue);
}

TEST(SlurmJob, WaitTimesOutWithTheStatesSoFar) {
  FakeSlurm slurm;
  TempDir run;
  fs::create_directories(run / "slurm");
  slurm.squeue_answers({"6|0|RUNNING|0|\n"});
  SubmittedJob job{"6", 1, run.path(), run / "slurm" / "job.sh", "t", {"sbatch"}};
  std::ostringstream log;
  ArrayOutcome outcome = wait_for_array(job, {std::chrono::seconds(0), std::chrono::milliseconds(10)}, log);
  EXPECT_TRUE(outcome.timed_out);
  EXPECT_EQ(outcome.tasks[0].state, "RUNNING");
}

TEST(SlurmJob, FailedTasksNamedWithTheirLogTail) {
  TempDir run;
  run.write("slurm/cell-1.out", "booting\npoisonlab: error: kernel gone\n");
  std::string text = describe_failed_tasks(run.path(), {{0, "COMPLETED", 0, 0}, {1, "FAILED", 1, 0}, {2, kLeftQueue}});
  EXPECT_EQ(text, "task 1: FAILED (exit 1), log " + (run / "slurm" / "cell-1.out").string() +
                      "\n    booting\n    poisonlab: error: kernel gone\n"
                      "task 2: NOT_IN_QUEUE, log " + (run / "slurm" / "cell-2.out").string() + " (not written)\n");
}

}  // namespace
}  // namespace poisonlab

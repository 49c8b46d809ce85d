#include "slurm/sbatch_script.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/process.h"
#include "common/temp_dir.h"

namespace poisonlab {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ArrayJobSpec sample_spec() {
  ArrayJobSpec spec;
  spec.run_dir = "/runs/nightly";
  spec.tasks = 4;
  spec.job_name = "poisonlab-nightly";
  spec.cpus_per_task = 2;
  spec.mem_mib = 3584;
  spec.task_command = {"/opt/poisonlab/poisonlab", "--variants", "/opt/poisonlab/variants.json", "run-cell",
                       "/runs/nightly"};
  return spec;
}

TEST(SbatchScript, OneArrayTaskPerCellWithItsOwnLog) {
  std::string script = sbatch_script(sample_spec());
  EXPECT_TRUE(script.starts_with("#!/bin/sh\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --array=0-3\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --job-name=poisonlab-nightly\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --output=/runs/nightly/slurm/cell-%a.out\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --cpus-per-task=2\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --mem=3584M\n"));
  EXPECT_THAT(script, Not(HasSubstr("--time")));
  EXPECT_THAT(script, Not(HasSubstr("--partition")));
  EXPECT_THAT(script, HasSubstr("\nexec '/opt/poisonlab/poisonlab' '--variants' '/opt/poisonlab/variants.json' "
                                "'run-cell' '/runs/nightly' --index \"$SLURM_ARRAY_TASK_ID\"\n"));
}

TEST(SbatchScript, OptionalLimitsAndExtraArgumentsComeBeforeTheCommand) {
  ArrayJobSpec spec = sample_spec();
  spec.tasks = 1;
  spec.max_parallel = 2;
  spec.time_limit_min = 45;
  spec.partition = "debug";
  spec.extra_sbatch_args = {"--qos=nightly", "--account lab"};
  std::string script = sbatch_script(spec);
  EXPECT_THAT(script, HasSubstr("#SBATCH --array=0%2\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --time=45\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --partition=debug\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --qos=nightly\n#SBATCH --account lab\nexec "));
}

TEST(SbatchScript, RejectsWhatWouldBreakTheLayout) {
  auto rejects = [](auto change, const std::string& message) {
    ArrayJobSpec spec = sample_spec();
    change(spec);
    try {
      sbatch_script(spec);
      ADD_FAILURE() << "accepted, expected: " << message;
    } catch (const UserError& e) {
      EXPECT_EQ(e.exit_code(), kExitBadInput);
      EXPECT_THAT(e.what(), HasSubstr(message));
    }
  };
  rejects([](ArrayJobSpec& s) { s.run_dir = "runs/relative"; }, "expected an absolute path");
  rejects([](ArrayJobSpec& s) { s.run_dir = "/runs/with space"; }, "without spaces");
  rejects([](ArrayJobSpec& s) { s.tasks = 0; }, "no cells");
  rejects([](ArrayJobSpec& s) { s.max_parallel = 0; }, "--max-parallel 0");
  rejects([](ArrayJobSpec& s) { s.time_limit_min = 0; }, "--time-limit 0");
  rejects([](ArrayJobSpec& s) { s.cpus_per_task = 0; }, "cpus per task 0");
  rejects([](ArrayJobSpec& s) { s.partition = "a b"; }, "--partition 'a b'");
  rejects([](ArrayJobSpec& s) { s.extra_sbatch_args = {"qos=x"}; }, "starting with '-'");
  rejects([](ArrayJobSpec& s) { s.extra_sbatch_args = {"--qos=x\nrm -rf /"}; }, "on one line");
  rejects([](ArrayJobSpec& s) { s.extra_sbatch_args = {"--array=0-99"}; }, "sets --array");
  rejects([](ArrayJobSpec& s) { s.extra_sbatch_args = {"-o/tmp/x"}; }, "sets --array, --output");
  rejects([](ArrayJobSpec& s) { s.extra_sbatch_args = {"--output=/tmp/x"}; }, "sets --array, --output");
}

TEST(SbatchScript, TaskLogsLiveInTheRunDirectory) {
  EXPECT_EQ(task_log_path("/runs/n", 7), std::filesystem::path("/runs/n/slurm/cell-7.out"));
}

// The quoting survives a real shell: every argument arrives as it was.
TEST(SbatchScript, QuotedArgumentsReachTheProgramUnchanged) {
  TempDir dir;
  std::vector<std::string> args = {"plain", "it's", "$HOME", "a b", "`x`", "back\\slash"};
  std::string line = "printf '%s\\n'";
  for (const auto& a : args) line += " " + shell_quote(a);
  auto r = run_checked({"sh", "-c", line});
  std::string expected;
  for (const auto& a : args) expected += a + "\n";
  EXPECT_EQ(r.out, expected);
}

}  // namespace
}  // namespace poisonlab

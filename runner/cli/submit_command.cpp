// `poisonlab submit --slurm MATRIX`: prepares a run directory and submits
// one Slurm array task per cell (`poisonlab run-cell DIR --index I`); with
// --wait, follows the tasks and merges the cell files into the report(s).
#include <algorithm>
#include <cctype>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/error.h"
#include "common/fs_util.h"
#include "common/process.h"
#include "kernel/kernel.h"
#include "run/matrix_run.h"
#include "run/run_metadata.h"
#include "slurm/slurm_job.h"

namespace poisonlab {

namespace {

namespace fs = std::filesystem;

struct SubmitRequest {
  bool slurm = false;
  fs::path matrix;
  std::vector<std::string> variants;
  std::optional<fs::path> out_dir;
  std::optional<std::string> partition;
  std::optional<int> time_limit_min;
  std::optional<int> max_parallel;
  std::vector<std::string> sbatch_args;
  bool wait = false;
  int wait_timeout_s = 24 * 3600;
};

// The user's part of the job (limits, partition, extra arguments) checked
// before a run directory is made for it.
ArrayJobSpec user_job_settings(const SubmitRequest& r) {
  ArrayJobSpec spec;
  spec.run_dir = fs::absolute(r.out_dir.value_or("results")).lexically_normal();
  spec.tasks = 1;
  spec.job_name = "poisonlab";
  spec.mem_mib = 1;
  spec.task_command = {"poisonlab"};
  spec.max_parallel = r.max_parallel;
  spec.time_limit_min = r.time_limit_min;
  spec.partition = r.partition;
  spec.extra_sbatch_args = r.sbatch_args;
  validate_array_job(spec);
  return spec;
}

// One task's resources: the largest VM of the plan.
void size_tasks(const MatrixPlan& plan, ArrayJobSpec& spec) {
  for (const auto& s : plan.scenarios) {
    spec.cpus_per_task = std::max(spec.cpus_per_task, s.scenario.vm.cpus);
    spec.mem_mib = std::max(spec.mem_mib, s.scenario.vm.memory_mib + kQemuOverheadMib);
  }
}

std::string job_name(const MatrixPlan& plan) {
  std::string name = "poisonlab-" + (plan.run_id.empty() ? plan.name : plan.run_id);
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return name;
}

// The command line as the kernel has it: recorded in the reports.
std::string own_command_line() {
  std::string line = read_file("/proc/self/cmdline");
  while (!line.empty() && line.back() == '\0') line.pop_back();
  std::replace(line.begin(), line.end(), '\0', ' ');
  return line;
}

fs::path registry_file(const CLI::App& app) {
  const CLI::Option* option = app.get_option("--registry");
  return fs::absolute(option->count() ? option->as<fs::path>() : default_variant_registry());
}

void print_tasks(const fs::path& run_dir, const ArrayOutcome& outcome) {
  for (const auto& task : outcome.tasks)
    std::cout << fmt::format("  task {}: {}\n", task.index, describe_task(task));
  std::string failed = describe_failed_tasks(run_dir, outcome.tasks);
  if (!failed.empty()) std::cout << "tasks that did not succeed:\n" << failed;
}

int wait_and_merge(const SubmittedJob& job, const SubmitRequest& r, const std::string& command_line) {
  ArrayOutcome outcome = wait_for_array(job, {std::chrono::seconds(r.wait_timeout_s)}, std::cout);
  print_tasks(job.run_dir, outcome);
  if (outcome.timed_out)
    throw UserError(fmt::format("slurm job {} still has unfinished tasks after {} s; it keeps running "
                                "(scancel {} stops it). When it ends: poisonlab merge {}",
                                job.job_id, r.wait_timeout_s, job.job_id, job.run_dir.string()));
  return merge_run_dir(job.run_dir, command_line, std::cout);
}

int submit(const SubmitRequest& r, const fs::path& registry) {
  if (!r.slurm)
    throw UserError("submit: Slurm is the only scheduler supported: use submit --slurm MATRIX", kExitBadInput);
  ArrayJobSpec spec = user_job_settings(r);
  require_program("sbatch", "slurm-client");
  MatrixRunRequest run{.input = r.matrix, .variants = r.variants, .out_dir = r.out_dir,
                       .variants_file = registry, .command_line = own_command_line()};
  fs::path run_dir;
  MatrixPlan plan = prepare_matrix_run(run, run_dir);
  spec.run_dir = fs::absolute(run_dir).lexically_normal();
  spec.tasks = plan.units.size();
  spec.job_name = job_name(plan);
  spec.mem_mib = 0;
  size_tasks(plan, spec);
  spec.task_command = {fs::read_symlink("/proc/self/exe").string(), "--registry", registry.string(), "run-cell",
                       spec.run_dir.string()};
  SubmittedJob job = submit_array_job(spec, utc_timestamp());
  std::cout << fmt::format("run directory: {}\nslurm job {}: {} array tasks ({} CPUs, {} MiB each)\n"
                           "  script {}\n  logs {}\n",
                           spec.run_dir.string(), job.job_id, job.tasks, spec.cpus_per_task, spec.mem_mib,
                           job.script.string(), (slurm_dir(spec.run_dir) / "cell-%a.out").string());
  if (r.wait) return wait_and_merge(job, r, "poisonlab merge " + spec.run_dir.string());  // merge names the reports
  std::cout << fmt::format("when the job has ended: poisonlab merge {}\n", spec.run_dir.string());
  for (const auto& s : plan.scenarios)
    std::cout << "report: " << (spec.run_dir / s.dir / "report.json").lexically_normal().string() << "\n";
  return kExitOk;
}

}  // namespace

void add_submit_command(CLI::App& app, int& exit_code) {
  static SubmitRequest request;
  auto* cmd = app.add_subcommand("submit", "Run a matrix on a cluster scheduler: one Slurm array task per cell");
  cmd->add_flag("--slurm", request.slurm, "Submit to Slurm with sbatch (the only scheduler supported)");
  cmd->add_option("matrix", request.matrix, "Matrix or scenario JSON file")->required();
  cmd->add_option("--variants,--kernel", request.variants, "Kernel variants (a,b,c) instead of the file's")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--out", request.out_dir, "Run directory (default results/<run-id>); on storage every node sees");
  cmd->add_option("--partition", request.partition, "Slurm partition (default: the cluster's default)");
  cmd->add_option("--time-limit", request.time_limit_min, "Time limit per task in minutes (default: the partition's)");
  cmd->add_option("--max-parallel", request.max_parallel, "Array tasks running at once (sbatch --array=...%N)");
  cmd->add_option("--sbatch-arg", request.sbatch_args,
                  "Extra sbatch option, one per use, written as --sbatch-arg=--qos=high (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--wait", request.wait, "Wait for every task, then merge the cells into the report(s)");
  cmd->add_option("--wait-timeout", request.wait_timeout_s, "Seconds --wait waits at most (default 86400)")
      ->check(CLI::PositiveNumber)
      ->needs(cmd->get_option("--wait"));
  cmd->callback([&app, &exit_code] { exit_code = submit(request, registry_file(app)); });
}

}  // namespace poisonlab

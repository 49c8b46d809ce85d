#include "slurm/sbatch_script.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "common/error.h"

namespace poisonlab {

namespace fs = std::filesystem;

namespace {

void bad(const std::string& what) { throw UserError("slurm job: " + what, kExitBadInput); }

// #SBATCH lines are split on whitespace by sbatch: a path used there must not
// contain any, nor anything a shell would read specially.
bool safe_in_directive(std::string_view text) {
  return !text.empty() && text.find_first_of(" \t\n\r'\"\\$`") == std::string_view::npos;
}

// Options this script sets itself; letting them through would break the
// one-task-per-cell layout.
bool takes_over_layout(std::string_view arg) {
  constexpr std::array<std::string_view, 4> long_names = {"--array", "--output", "--error", "--wrap"};
  for (auto name : long_names)
    if (arg == name || arg.starts_with(std::string(name) + "=")) return true;
  constexpr std::array<std::string_view, 3> short_names = {"-a", "-o", "-e"};
  for (auto name : short_names)
    if (arg.starts_with(name)) return true;
  return false;
}

void validate_extra_args(const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg.empty() || arg[0] != '-' || arg.find_first_of("\n\r") != std::string::npos)
      bad(fmt::format("--sbatch-arg '{}': expected one sbatch option starting with '-' on one line", arg));
    if (takes_over_layout(arg))
      bad(fmt::format("--sbatch-arg '{}': poisonlab sets --array, --output and --error itself "
                      "(use --max-parallel for the array limit)", arg));
  }
}

std::string array_range(const ArrayJobSpec& spec) {
  std::string range = spec.tasks == 1 ? "0" : fmt::format("0-{}", spec.tasks - 1);
  if (spec.max_parallel) range += fmt::format("%{}", *spec.max_parallel);
  return range;
}

}  // namespace

fs::path slurm_dir(const fs::path& run_dir) { return run_dir / "slurm"; }

fs::path task_log_path(const fs::path& run_dir, size_t index) {
  return slurm_dir(run_dir) / fmt::format("cell-{}.out", index);
}

void validate_array_job(const ArrayJobSpec& spec) {
  if (!spec.run_dir.is_absolute() || !safe_in_directive(spec.run_dir.string()))
    bad(fmt::format("run directory '{}': expected an absolute path without spaces, quotes, '$' or '\\'",
                    spec.run_dir.string()));
  if (spec.tasks == 0) bad("the matrix has no cells: nothing to submit");
  if (spec.max_parallel && *spec.max_parallel < 1)
    bad(fmt::format("--max-parallel {}: expected at least 1", *spec.max_parallel));
  if (spec.cpus_per_task < 1) bad(fmt::format("cpus per task {}: expected at least 1", spec.cpus_per_task));
  if (spec.mem_mib < 1) bad(fmt::format("memory per task {} MiB: expected at least 1", spec.mem_mib));
  if (spec.time_limit_min && *spec.time_limit_min < 1)
    bad(fmt::format("--time-limit {}: expected at least 1 minute", *spec.time_limit_min));
  if (spec.partition && !safe_in_directive(*spec.partition))
    bad(fmt::format("--partition '{}': expected a partition name", *spec.partition));
  if (!safe_in_directive(spec.job_name)) bad(fmt::format("job name '{}': expected one word", spec.job_name));
  if (spec.task_command.empty()) bad("no task command");
  validate_extra_args(spec.extra_sbatch_args);
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string sbatch_script(const ArrayJobSpec& spec) {
  validate_array_job(spec);
  std::string s = "#!/bin/sh\n# Written by poisonlab submit --slurm: one array task per matrix cell.\n";
  auto directive = [&](const std::string& option) { s += "#SBATCH " + option + "\n"; };
  directive("--job-name=" + spec.job_name);
  directive("--array=" + array_range(spec));
  directive("--output=" + (slurm_dir(spec.run_dir) / "cell-%a.out").string());
  directive("--ntasks=1");
  directive(fmt::format("--cpus-per-task={}", spec.cpus_per_task));
  directive(fmt::format("--mem={}M", spec.mem_mib));
  if (spec.time_limit_min) directive(fmt::format("--time={}", *spec.time_limit_min));
  if (spec.partition) directive("--partition=" + *spec.partition);
  for (const auto& arg : spec.extra_sbatch_args) directive(arg);
  s += "exec";
  for (const auto& arg : spec.task_command) s += " " + shell_quote(arg);
  s += " --index \"$SLURM_ARRAY_TASK_ID\"\n";
  return s;
}

}  // namespace poisonlab

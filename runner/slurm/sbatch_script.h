#pragma once
// The batch script of a matrix run on Slurm: one array task per matrix cell,
// each running `poisonlab run-cell DIR --index $SLURM_ARRAY_TASK_ID`, with
// the cell's log at DIR/slurm/cell-<index>.out.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace poisonlab {

struct ArrayJobSpec {
  std::filesystem::path run_dir;            // absolute
  size_t tasks = 0;                         // array indices 0 .. tasks-1
  std::optional<int> max_parallel;         // "%limit": tasks running at once
  std::string job_name;
  int cpus_per_task = 1;
  int mem_mib = 0;                          // per task
  std::optional<int> time_limit_min;       // per task
  std::optional<std::string> partition;
  std::vector<std::string> extra_sbatch_args;  // each becomes one #SBATCH line
  // The task's command up to the index: the script appends
  // `--index "$SLURM_ARRAY_TASK_ID"`.
  std::vector<std::string> task_command;
};

// Where the script, the job record and the task logs go.
std::filesystem::path slurm_dir(const std::filesystem::path& run_dir);
std::filesystem::path task_log_path(const std::filesystem::path& run_dir, size_t index);

// Throws UserError (exit 2) naming what is wrong: a relative or unsafe
// run_dir, no tasks, values out of range, extra arguments that are not
// options or that would take over what the script sets (--array, --output,
// --error, --wrap).
void validate_array_job(const ArrayJobSpec& spec);

// The script text (validates first).
std::string sbatch_script(const ArrayJobSpec& spec);

// 'text' quoted for sh.
std::string shell_quote(const std::string& text);

}  // namespace poisonlab

#pragma once
// Submitting a matrix run's array job to Slurm and waiting for its tasks.
// Both leave a record in DIR/slurm/job.json: what was submitted, and after
// a wait, how each task ended.
#include <chrono>
#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "slurm/array_tasks.h"
#include "slurm/sbatch_script.h"

namespace poisonlab {

struct SubmittedJob {
  std::string job_id;
  size_t tasks = 0;
  std::filesystem::path run_dir;
  std::filesystem::path script;
  std::string submitted_at;
  std::vector<std::string> sbatch_command;
};

// The job id from `sbatch --parsable` output ("123" or "123;cluster").
// Throws UserError when there is none.
std::string parse_sbatch_job_id(std::string_view output);

std::filesystem::path job_record_path(const std::filesystem::path& run_dir);
// DIR/slurm/job.json: the job, and the tasks' final states when known.
nlohmann::json job_record_json(const SubmittedJob& job, const std::vector<TaskState>& tasks = {});

// Writes DIR/slurm/job.sh and submits it with `sbatch --parsable` (from
// DIR, so the tasks start there); records DIR/slurm/job.json. A missing
// sbatch or a refused job is a UserError with sbatch's message.
SubmittedJob submit_array_job(const ArrayJobSpec& spec, const std::string& submitted_at);

struct WaitOptions {
  std::chrono::seconds timeout{std::chrono::hours(24)};
  std::chrono::milliseconds poll_interval{std::chrono::seconds(5)};
};

struct ArrayOutcome {
  std::vector<TaskState> tasks;  // index order
  bool timed_out = false;        // some tasks were still queued or running
  bool all_succeeded() const;
};

// Polls squeue until every task is in a final state, logging each change of
// the counts. A task that leaves the queue without a recorded end (the
// controller purged the job, or the task was cancelled while pending) gets
// its state from sacct if accounting is on, else kLeftQueue.
// Records the states in job.json.
ArrayOutcome wait_for_array(const SubmittedJob& job, const WaitOptions& options, std::ostream& log);

// One line per task that did not succeed, naming its log file, and the
// log's last lines.
std::string describe_failed_tasks(const std::filesystem::path& run_dir, const std::vector<TaskState>& tasks,
                                  size_t log_lines = 5);

}  // namespace poisonlab

#include "slurm/slurm_job.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/process.h"

namespace poisonlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSlurmPackage = "slurm-client";
// ArrayJobID, ArrayTaskID, State and the wait status, '|'-separated, unpadded.
constexpr const char* kSqueueFormat = "ArrayJobID:|,ArrayTaskID:|,State:|,exit_code:|";

RunOptions query_options() {
  RunOptions options;
  options.timeout = std::chrono::minutes(1);
  return options;
}

// squeue's answer for a job the controller has purged (or never had).
bool job_unknown_to_controller(const CommandResult& r) {
  return r.out.find("Invalid job id") != std::string::npos || r.err.find("Invalid job id") != std::string::npos;
}

// What sacct knows, when accounting storage is enabled; empty otherwise.
std::vector<TaskState> accounting_states(const std::string& job_id) {
  auto sacct = find_program("sacct");
  if (!sacct) return {};
  auto r = run_command({sacct->string(), "-j", job_id, "--parsable2", "-n", "-o", "JobID,State,ExitCode"},
                       query_options());
  return r.ok() ? parse_sacct_tasks(r.out, job_id) : std::vector<TaskState>{};
}

// Tasks that left the queue: their end from accounting if it knows it, else kLeftQueue.
void settle_left_tasks(const SubmittedJob& job, ArrayProgress& progress, const std::vector<size_t>& gone) {
  progress.update(accounting_states(job.job_id));
  progress.mark_left_queue(gone);
}

void record_states(const SubmittedJob& job, const std::vector<TaskState>& tasks) {
  write_file_atomic(job_record_path(job.run_dir), job_record_json(job, tasks).dump(2) + "\n");
}

}  // namespace

std::string parse_sbatch_job_id(std::string_view output) {
  std::string_view line = output.substr(0, output.find('\n'));
  std::string_view id = line.substr(0, line.find(';'));
  bool numeric = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!numeric) throw UserError(fmt::format("sbatch --parsable printed '{}': expected a job id", line));
  return std::string(id);
}

fs::path job_record_path(const fs::path& run_dir) { return slurm_dir(run_dir) / "job.json"; }

json job_record_json(const SubmittedJob& job, const std::vector<TaskState>& tasks) {
  json record = {{"scheduler", "slurm"},
                 {"job_id", job.job_id},
                 {"array_size", job.tasks},
                 {"script", job.script.string()},
                 {"log_pattern", (slurm_dir(job.run_dir) / "cell-%a.out").string()},
                 {"submitted_at", job.submitted_at},
                 {"sbatch_command", job.sbatch_command}};
  if (!tasks.empty()) {
    json states = json::array();
    for (const auto& t : tasks) {
      json entry = {{"index", t.index}, {"state", t.state}, {"log", task_log_path(job.run_dir, t.index).string()}};
      if (t.exit_code) entry["exit_code"] = *t.exit_code;
      if (t.signal) entry["signal"] = t.signal;
      states.push_back(entry);
    }
    record["tasks"] = states;
  }
  return record;
}

SubmittedJob submit_array_job(const ArrayJobSpec& spec, const std::string& submitted_at) {
  std::string script_text = sbatch_script(spec);  // validates before anything is written
  fs::path sbatch = require_program("sbatch", kSlurmPackage);
  fs::create_directories(slurm_dir(spec.run_dir));
  SubmittedJob job{"", spec.tasks, spec.run_dir, slurm_dir(spec.run_dir) / "job.sh", submitted_at,
                   {sbatch.string(), "--parsable", (slurm_dir(spec.run_dir) / "job.sh").string()}};
  write_file_atomic(job.script, script_text);
  fs::permissions(job.script, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
  RunOptions options = query_options();
  options.cwd = spec.run_dir;
  CommandResult r = run_command(job.sbatch_command, options);
  if (!r.ok())
    throw UserError(fmt::format("sbatch refused the job ({}): {}\nscript: {}",
                                r.timed_out ? "timed out" : "exit " + std::to_string(r.exit_code),
                                r.err.empty() ? r.out : r.err, job.script.string()));
  job.job_id = parse_sbatch_job_id(r.out);
  write_file_atomic(job_record_path(spec.run_dir), job_record_json(job).dump(2) + "\n");
  return job;
}

bool ArrayOutcome::all_succeeded() const {
  return !timed_out && std::all_of(tasks.begin(), tasks.end(), task_succeeded);
}

ArrayOutcome wait_for_array(const SubmittedJob& job, const WaitOptions& options, std::ostream& log) {
  fs::path squeue = require_program("squeue", kSlurmPackage);
  ArrayProgress progress(job.tasks);
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::string last_summary;
  ArrayOutcome outcome;
  while (true) {
    CommandResult r = run_command({squeue.string(), "-j", job.job_id, "-h", "-r", "-t", "all", "-O", kSqueueFormat},
                                  query_options());
    std::vector<TaskState> seen = r.ok() ? parse_squeue_tasks(r.out, job.job_id) : std::vector<TaskState>{};
    if ((r.ok() && seen.empty()) || job_unknown_to_controller(r)) {
      settle_left_tasks(job, progress, progress.unfinished());  // the controller forgot the whole job
    } else if (r.ok()) {
      progress.update_from_listing(seen);
      if (auto gone = progress.left_queue(); !gone.empty()) settle_left_tasks(job, progress, gone);
    } else {
      log << fmt::format("squeue failed ({}), retrying: {}", r.exit_code, r.err.empty() ? r.out : r.err);
    }
    if (std::string summary = progress.summary(); summary != last_summary) {
      log << fmt::format("slurm job {}: {}\n", job.job_id, summary);
      last_summary = summary;
    }
    if (progress.all_final()) break;
    if (std::chrono::steady_clock::now() + options.poll_interval > deadline) {
      outcome.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(options.poll_interval);
  }
  outcome.tasks = progress.tasks();
  record_states(job, outcome.tasks);
  return outcome;
}

std::string describe_failed_tasks(const fs::path& run_dir, const std::vector<TaskState>& tasks, size_t log_lines) {
  std::string s;
  for (const auto& task : tasks) {
    if (task_succeeded(task)) continue;
    fs::path log = task_log_path(run_dir, task.index);
    s += fmt::format("task {}: {}, log {}{}\n", task.index, describe_task(task), log.string(),
                     fs::exists(log) ? "" : " (not written)");
    std::string tail = tail_file(log, log_lines);
    if (!tail.empty()) {
      for (std::string_view rest = tail; !rest.empty();) {
        size_t nl = rest.find('\n');
        s += "    " + std::string(rest.substr(0, nl)) + "\n";
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
      }
    }
  }
  return s;
}

}  // namespace poisonlab

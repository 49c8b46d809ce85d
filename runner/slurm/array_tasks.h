#pragma once
// The states of a Slurm array job's tasks, read from squeue or sacct output,
// and what a waiter knows about them so far.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poisonlab {

struct TaskState {
  size_t index = 0;
  std::string state;               // Slurm's name: PENDING, RUNNING, COMPLETED, FAILED, ...
  std::optional<int> exit_code;    // when the task's script exited
  int signal = 0;                  // when a signal ended it
  bool operator==(const TaskState&) const = default;
};

// A state no task leaves again (COMPLETED, FAILED, CANCELLED, TIMEOUT, ...;
// and kLeftQueue below).
bool is_final_state(std::string_view state);
// COMPLETED with exit code 0.
bool task_succeeded(const TaskState& task);
// "COMPLETED", "FAILED (exit 5)", "CANCELLED (signal 9)".
std::string describe_task(const TaskState& task);

// Array task ids as Slurm prints them: "3", "[0-3]", "[0,2-5%2]".
// Throws UserError on anything else.
std::vector<size_t> parse_task_ids(std::string_view text);

// Lines of `squeue -j JOB -h -r -t all -O ArrayJobID:|,ArrayTaskID:|,State:|,exit_code:|`
// (exit_code is a wait status). Lines of other jobs are ignored.
std::vector<TaskState> parse_squeue_tasks(std::string_view text, const std::string& job_id);
// Lines of `sacct -j JOB --parsable2 -n -o JobID,State,ExitCode`: JOB_I
// (or JOB_[range] for pending tasks), State ("CANCELLED by 0" counts as
// CANCELLED), ExitCode "code:signal". Job steps (JOB_I.batch) are skipped.
std::vector<TaskState> parse_sacct_tasks(std::string_view text, const std::string& job_id);

// The state a task gets when it leaves the queue with no recorded end: a
// pending task cancelled before it started has no record of its own, and a
// controller purges old records (MinJobAge) when accounting is off.
inline constexpr const char* kLeftQueue = "NOT_IN_QUEUE";

// The latest known state of every task of an array of `tasks` tasks.
class ArrayProgress {
 public:
  explicit ArrayProgress(size_t tasks) : tasks_(tasks) {}
  // Records states (from squeue or sacct). A task already final keeps its
  // state (a stale record does not turn it back); indices out of range are ignored.
  void update(const std::vector<TaskState>& seen);
  // Records a full listing of the job's tasks (squeue). A task without a
  // final state missing from two listings in a row has left the queue.
  void update_from_listing(const std::vector<TaskState>& listing);
  std::vector<size_t> left_queue() const;
  std::vector<size_t> unfinished() const;
  // Gives these tasks, if still unfinished, the state kLeftQueue.
  void mark_left_queue(const std::vector<size_t>& indices);
  bool all_final() const;
  size_t final_count() const;
  // One per task in index order; a task never seen is "UNSEEN".
  std::vector<TaskState> tasks() const;
  // "2 COMPLETED, 1 RUNNING, 1 PENDING".
  std::string summary() const;

 private:
  bool is_final(size_t index) const;
  size_t tasks_;
  std::map<size_t, TaskState> known_;
  std::map<size_t, int> missing_listings_;
};

}  // namespace poisonlab

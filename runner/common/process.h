#pragma once
// Child processes with RAII: a ChildProcess that goes out of scope is killed
// and reaped, and children die with the runner (PR_SET_PDEATHSIG), so no
// QEMU or helper outlives a crashed or interrupted run.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace poisonlab {

struct SpawnOptions {
  std::optional<std::filesystem::path> stdout_path;  // default: inherit
  std::optional<std::filesystem::path> stderr_path;  // default: inherit
  bool stderr_to_stdout = false;
  bool append_output = false;  // open stdout_path/stderr_path with O_APPEND, not O_TRUNC (several writers share a log)
  std::optional<std::filesystem::path> cwd;
  std::map<std::string, std::string> extra_env;
  bool die_with_parent = true;
};

class ChildProcess {
 public:
  // Throws UserError naming the program if it cannot be started.
  static ChildProcess spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !status_; }
  // Non-blocking; returns the wait status once the child has exited.
  std::optional<int> try_wait();
  // Blocks up to timeout; nullopt if still running.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  int wait();
  void signal(int signo);
  // SIGTERM, wait up to grace, then SIGKILL; returns the wait status.
  int terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct CommandResult {
  int exit_code = -1;     // -1 when killed by a signal or timed out
  int term_signal = 0;
  bool timed_out = false;
  std::string out;        // stdout (and stderr when merged)
  std::string err;
  bool ok() const { return exit_code == 0; }
};

struct RunOptions {
  std::chrono::milliseconds timeout = std::chrono::minutes(10);
  bool merge_stderr = false;
  std::optional<std::filesystem::path> cwd;
  std::optional<std::string> input;  // written to stdin
  std::map<std::string, std::string> extra_env;
};

// Runs argv to completion, capturing its output.
CommandResult run_command(const std::vector<std::string>& argv, const RunOptions& options = {});

// Like run_command but throws UserError with the command line, exit status
// and the tail of its output when it fails.
CommandResult run_checked(const std::vector<std::string>& argv, const RunOptions& options = {});

// The absolute path of a program in PATH, or nullopt.
std::optional<std::filesystem::path> find_program(const std::string& name);
// Like find_program, but throws UserError "missing tool NAME (Debian package
// PACKAGE; run ./setup.sh)".
std::filesystem::path require_program(const std::string& name, const std::string& package);

// Describes a wait status: "exit 3", "signal 9 (Killed)".
std::string describe_wait_status(int status);
std::string join_command(const std::vector<std::string>& argv);

}  // namespace poisonlab

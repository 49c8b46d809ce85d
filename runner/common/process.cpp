#include "common/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/error.h"
#include "common/unique_fd.h"

namespace poisonlab {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void child_fail(const char* what, const std::string& program) {
  // Only async-signal-safe calls after fork.
  std::string msg = std::string("poisonlab: ") + what + " " + program + ": " + strerror(errno) + "\n";
  ssize_t ignored = ::write(2, msg.data(), msg.size());
  (void)ignored;
  _exit(127);
}

void redirect(const std::filesystem::path& path, int target_fd, bool append) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_CLOEXEC, 0644);
  if (fd < 0) child_fail("cannot open", path.string());
  ::dup2(fd, target_fd);
}

}  // namespace

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) throw UserError("internal: empty command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw UserError(std::string("fork failed: ") + strerror(errno));
  if (pid == 0) {
    if (options.die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
    }
    setpgid(0, 0);  // own process group: terminal ^C goes to the runner only
    if (options.cwd && chdir(options.cwd->c_str()) != 0) child_fail("cannot chdir to", options.cwd->string());
    for (const auto& [k, v] : options.extra_env) setenv(k.c_str(), v.c_str(), 1);
    if (options.stdout_path) redirect(*options.stdout_path, 1, options.append_output);
    if (options.stderr_to_stdout) dup2(1, 2);
    else if (options.stderr_path) redirect(*options.stderr_path, 2, options.append_output);
    execvp(args[0], args.data());
    child_fail("cannot run", argv[0]);
  }
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(std::exchange(other.status_, std::nullopt)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (running()) terminate(std::chrono::milliseconds(0));
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (running()) terminate(std::chrono::milliseconds(0));
}

std::optional<int> ChildProcess::try_wait() {
  if (status_ || pid_ <= 0) return status_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) status_ = status;
  return status_;
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto step = std::chrono::milliseconds(1);
  while (!try_wait()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(step);
    step = std::min(step * 2, std::chrono::milliseconds(50));
  }
  return status_;
}

int ChildProcess::wait() {
  if (status_ || pid_ <= 0) return status_.value_or(0);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = status;
  return status;
}

void ChildProcess::signal(int signo) {
  if (running()) ::kill(pid_, signo);
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (!running()) return status_.value_or(0);
  if (grace.count() > 0) {
    ::kill(pid_, SIGTERM);
    if (auto s = wait_for(grace)) return *s;
  }
  ::kill(pid_, SIGKILL);
  return wait();
}

CommandResult run_command(const std::vector<std::string>& argv, const RunOptions& options) {
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC) || pipe2(in_pipe, O_CLOEXEC))
    throw UserError(std::string("pipe failed: ") + strerror(errno));
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]), err_r(err_pipe[0]), err_w(err_pipe[1]);
  UniqueFd in_r(in_pipe[0]), in_w(in_pipe[1]);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw UserError(std::string("fork failed: ") + strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (options.cwd && chdir(options.cwd->c_str()) != 0) child_fail("cannot chdir to", options.cwd->string());
    for (const auto& [k, v] : options.extra_env) setenv(k.c_str(), v.c_str(), 1);
    dup2(in_r.get(), 0);
    dup2(out_w.get(), 1);
    dup2(options.merge_stderr ? out_w.get() : err_w.get(), 2);
    execvp(args[0], args.data());
    child_fail("cannot run", argv[0]);
  }
  out_w.reset();
  err_w.reset();
  in_r.reset();
  if (options.input) {
    // Inputs here are small (device tables, sysfs values): one write.
    ssize_t ignored = ::write(in_w.get(), options.input->data(), options.input->size());
    (void)ignored;
  }
  in_w.reset();

  CommandResult result;
  auto deadline = Clock::now() + options.timeout;
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  int open_fds = 2;
  char buf[8192];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    int n = poll(fds, 2, static_cast<int>(std::min<long>(left, 1000)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r <= 0) {
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(r));
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && !result.timed_out) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  return result;
}

std::string join_command(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    bool quote = a.empty() || a.find_first_of(" \t'\"$") != std::string::npos;
    s += quote ? "'" + a + "'" : a;
  }
  return s;
}

static std::string tail_lines(const std::string& text, size_t n) {
  size_t pos = text.size();
  while (n-- > 0 && pos > 0) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return text.substr(pos);
}

CommandResult run_checked(const std::vector<std::string>& argv, const RunOptions& options) {
  CommandResult r = run_command(argv, options);
  if (!r.ok()) {
    std::string why = r.timed_out ? "timed out" :
                      r.term_signal ? "killed by signal " + std::to_string(r.term_signal) :
                      "exit status " + std::to_string(r.exit_code);
    throw UserError("command failed (" + why + "): " + join_command(argv) + "\n" +
                    tail_lines(r.out + r.err, 15));
  }
  return r;
}

std::optional<std::filesystem::path> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) == 0) return std::filesystem::path(name);
    return std::nullopt;
  }
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  dirs += ":/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

std::filesystem::path require_program(const std::string& name, const std::string& package) {
  if (auto p = find_program(name)) return *p;
  throw UserError("missing tool '" + name + "' (Debian package " + package + "; run ./setup.sh)");
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

}  // namespace poisonlab

#pragma once
// What a matrix run shows while it goes: cells done / total, running,
// failures and an ETA. On a terminal the status stays on the last line,
// redrawn under the log lines; to a pipe or log file every finished cell is
// one plain line with the same counts. Parallel jobs write through a
// JobLog each, whose whole lines reach the output one at a time, prefixed.
#include <chrono>
#include <mutex>
#include <ostream>
#include <set>
#include <sstream>
#include <string>

namespace poisonlab {

class ProgressBoard {
 public:
  using Clock = std::chrono::steady_clock;
  // already_done: cells a resumed run found finished (not counted in the ETA).
  ProgressBoard(std::ostream& out, size_t total, size_t already_done, bool interactive);

  void line(const std::string& text);
  void cell_started(const std::string& id);
  // verdict: "pass", "fail" or "error".
  void cell_finished(const std::string& id, const std::string& verdict, const std::string& description);
  // Clears the status line (interactive) before the summary is printed.
  void close();

  // "7/12 cells, 2 running, 1 failed, ETA 3 min"
  std::string status(Clock::time_point now) const;
  size_t failures() const;

 private:
  void redraw_locked();

  mutable std::mutex mutex_;
  std::ostream& out_;
  size_t total_, done_, done_before_;
  size_t failed_ = 0;
  std::set<std::string> running_;
  bool interactive_;
  Clock::time_point started_ = Clock::now();
};

// "ETA 14 min" from the cells this process finished so far.
std::string format_eta(size_t finished_here, size_t remaining, double elapsed_s);

// A std::ostream for one job: every complete line goes to the board as
// "[prefix] line".
class JobLog : public std::ostream {
 public:
  JobLog(ProgressBoard& board, std::string prefix);
  ~JobLog() override;

 private:
  class Buffer : public std::stringbuf {
   public:
    Buffer(ProgressBoard& board, std::string prefix)
        : std::stringbuf(std::ios::out | std::ios::ate), board_(board), prefix_(std::move(prefix)) {}
    int sync() override;
    void flush_lines(bool all);

   private:
    ProgressBoard& board_;
    std::string prefix_;
  };
  Buffer buffer_;
};

}  // namespace poisonlab

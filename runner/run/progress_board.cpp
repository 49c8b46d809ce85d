#include "run/progress_board.h"

#include <cmath>

#include <fmt/format.h>

namespace poisonlab {

ProgressBoard::ProgressBoard(std::ostream& out, size_t total, size_t already_done, bool interactive)
    : out_(out), total_(total), done_(already_done), done_before_(already_done), interactive_(interactive) {}

std::string format_eta(size_t finished_here, size_t remaining, double elapsed_s) {
  if (remaining == 0) return "ETA 0 s";
  if (finished_here == 0 || elapsed_s <= 0) return "ETA ?";
  double left_s = elapsed_s / static_cast<double>(finished_here) * static_cast<double>(remaining);
  if (left_s < 90) return fmt::format("ETA {:.0f} s", left_s);
  if (left_s < 90 * 60) return fmt::format("ETA {:.0f} min", left_s / 60);
  return fmt::format("ETA {:.1f} h", left_s / 3600);
}

std::string ProgressBoard::status(Clock::time_point now) const {
  double elapsed = std::chrono::duration<double>(now - started_).count();
  return fmt::format("{}/{} cells, {} running, {} failed, {}", done_, total_, running_.size(), failed_,
                     format_eta(done_ - done_before_, total_ - done_, elapsed));
}

size_t ProgressBoard::failures() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

void ProgressBoard::redraw_locked() {
  if (interactive_) out_ << "\r\033[K" << status(Clock::now()) << std::flush;
}

void ProgressBoard::line(const std::string& text) {
  std::lock_guard lock(mutex_);
  if (interactive_) out_ << "\r\033[K";
  out_ << text << "\n";
  redraw_locked();
}

void ProgressBoard::cell_started(const std::string& id) {
  std::lock_guard lock(mutex_);
  running_.insert(id);
  redraw_locked();
}

void ProgressBoard::cell_finished(const std::string& id, const std::string& verdict, const std::string& description) {
  std::lock_guard lock(mutex_);
  running_.erase(id);
  ++done_;
  if (verdict != "pass") ++failed_;
  if (interactive_) {
    out_ << "\r\033[K" << description << "\n";
    redraw_locked();
  } else {
    out_ << fmt::format("[{}/{}] {} -- {}\n", done_, total_, description, status(Clock::now()));
  }
}

void ProgressBoard::close() {
  std::lock_guard lock(mutex_);
  if (interactive_) out_ << "\r\033[K" << std::flush;
  interactive_ = false;
}

JobLog::JobLog(ProgressBoard& board, std::string prefix)
    : std::ostream(nullptr), buffer_(board, std::move(prefix)) {
  rdbuf(&buffer_);
  setf(std::ios::unitbuf);  // every << reaches sync(): whole lines leave at once
}

JobLog::~JobLog() { buffer_.flush_lines(true); }

int JobLog::Buffer::sync() {
  flush_lines(false);
  return 0;
}

void JobLog::Buffer::flush_lines(bool all) {
  std::string text = str();
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    board_.line(prefix_ + text.substr(start, end - start));
  std::string rest = text.substr(start);
  if (all && !rest.empty()) {
    board_.line(prefix_ + rest);
    rest.clear();
  }
  str(rest);  // opened with ate: writing goes on after the kept rest
}

}  // namespace poisonlab

#pragma once
// Watches a VM's serial console while a cell runs. A kernel oops can kill
// the agent's working thread while its heartbeat thread goes on sending
// progress, so the no-progress watchdog never fires; the console shows it.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "observe/kernel_log.h"

namespace poisonlab {

// The log's current size: where a cell's part of the console begins.
uint64_t serial_log_size(const std::filesystem::path& serial_log);
// What the console printed from offset on, at most its last max_bytes (cut
// at a line start). A cell that took the VM down is judged on this: a fixed
// tail of the log can miss an oops followed by a long call trace, or hold an
// earlier cell's reports.
std::string console_since(const std::filesystem::path& serial_log, uint64_t offset, size_t max_bytes = 256 * 1024);

class SerialWatch {
 public:
  // Starts at the log's current end: earlier reports are not this cell's.
  explicit SerialWatch(std::filesystem::path serial_log);
  // The first fatal kernel report (BUG, Oops, general protection fault,
  // Kernel panic) in what the console printed since the last call, if any.
  std::optional<KernelLogFinding> poll();

 private:
  std::filesystem::path path_;
  uint64_t offset_ = 0;
  std::string partial_;  // a line not yet ended
};

}  // namespace poisonlab

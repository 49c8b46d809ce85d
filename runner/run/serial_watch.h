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

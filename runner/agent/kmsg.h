#pragma once
// The kernel log from /dev/kmsg, read from a mark onwards, formatted like
// dmesg ("[   12.345678] text"); and the pfns the memory-failure code prints.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <algorithm>

#include "common/unique_fd.h"

namespace poisonlab::agent {

// "6,339,5140900,-,caller=T1;text" -> "[    5.140900] text"; nullopt for
// a continuation (" KEY=value") or malformed record.
std::optional<std::string> format_kmsg_record(std::string_view record);

class KmsgReader {
 public:
  // Opens /dev/kmsg and sets the mark at its end: only later lines are read.
  KmsgReader();
  // Lines logged since the previous call (or the mark). Records lost to
  // ring-buffer overrun are reported as one "<kmsg: N records lost>" line.
  std::vector<std::string> read_new();

 private:
  UniqueFd fd_;
};

// Every line read during a cell, with per-trial and per-step windows.
class KmsgLog {
 public:
  std::vector<std::string> read_new() {
    auto lines = reader_.read_new();
    all_.insert(all_.end(), lines.begin(), lines.end());
    return lines;
  }
  size_t mark() {
    read_new();
    return all_.size();
  }
  std::vector<std::string> since(size_t mark) {
    read_new();
    return {all_.begin() + static_cast<long>(std::min(mark, all_.size())), all_.end()};
  }
  const std::vector<std::string>& all() const { return all_; }

 private:
  KmsgReader reader_;
  std::vector<std::string> all_;
};

// What one memory-failure line of the kernel log says.
struct KernelPfnLine {
  enum class Kind { kMadviseInject, kHwpoisonInject, kRecoveryAction };
  Kind kind{};
  uint64_t pfn = 0;
  std::optional<uint64_t> vaddr;  // madvise: the injector's virtual address
  std::string page_type;          // recovery action: "dax page"
  std::string result;             // recovery action: "Recovered", "Failed", ...
};

// Recognises, anywhere in a dmesg-formatted line:
//   "Injecting memory failure for pfn 0x.. at process virtual address 0x.."
//   "Injecting memory failure at pfn 0x.."
//   "Memory failure: 0x..: recovery action for <type>: <result>"
std::optional<KernelPfnLine> parse_kernel_pfn_line(std::string_view line);

}  // namespace poisonlab::agent

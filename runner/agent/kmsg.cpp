#include "agent/kmsg.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>

#include "common/error.h"

namespace poisonlab::agent {

std::optional<std::string> format_kmsg_record(std::string_view record) {
  if (record.empty() || record[0] == ' ') return std::nullopt;
  size_t semi = record.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  std::string_view header = record.substr(0, semi);
  std::string_view text = record.substr(semi + 1);
  // Only the first line belongs to the message; continuation lines carry
  // the dictionary.
  if (size_t nl = text.find('\n'); nl != std::string_view::npos) text = text.substr(0, nl);
  size_t c1 = header.find(',');
  size_t c2 = c1 == std::string_view::npos ? c1 : header.find(',', c1 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  size_t c3 = header.find(',', c2 + 1);
  std::string usec_text(header.substr(c2 + 1, c3 == std::string_view::npos ? std::string_view::npos : c3 - c2 - 1));
  uint64_t usec = 0;
  try {
    size_t used = 0;
    usec = std::stoull(usec_text, &used);
    if (used != usec_text.size()) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  char stamp[40];
  snprintf(stamp, sizeof stamp, "[%5llu.%06llu] ", static_cast<unsigned long long>(usec / 1000000),
           static_cast<unsigned long long>(usec % 1000000));
  return std::string(stamp) + std::string(text);
}

KmsgReader::KmsgReader() : fd_(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
  if (!fd_) throw UserError(std::string("cannot open /dev/kmsg: ") + strerror(errno));
  if (::lseek(fd_.get(), 0, SEEK_END) < 0)
    throw UserError(std::string("cannot seek /dev/kmsg: ") + strerror(errno));
}

std::vector<std::string> KmsgReader::read_new() {
  std::vector<std::string> lines;
  char buf[8192];  // a kmsg record is at most ~1 KiB plus its dictionary
  size_t lost = 0;
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) {  // overrun: the next read resumes at the oldest record
      ++lost;
      continue;
    }
    if (n <= 0) break;  // EAGAIN: no more records
    if (auto line = format_kmsg_record(std::string_view(buf, static_cast<size_t>(n))))
      lines.push_back(std::move(*line));
  }
  if (lost) lines.push_back("<kmsg: " + std::to_string(lost) + " records lost>");
  return lines;
}

std::optional<KernelPfnLine> parse_kernel_pfn_line(std::string_view line) {
  static const std::regex madvise_re(
      R"(Injecting memory failure for pfn (0x[0-9a-fA-F]+) at process virtual address (0x[0-9a-fA-F]+))");
  static const std::regex hwpoison_re(R"(Injecting memory failure at pfn (0x[0-9a-fA-F]+))");
  static const std::regex action_re(
      R"(Memory failure: (0x[0-9a-fA-F]+): recovery action for ([^:]+): (\S+))");
  std::string s(line);
  std::smatch m;
  KernelPfnLine out;
  if (std::regex_search(s, m, madvise_re)) {
    out.kind = KernelPfnLine::Kind::kMadviseInject;
    out.pfn = std::stoull(m[1].str(), nullptr, 16);
    out.vaddr = std::stoull(m[2].str(), nullptr, 16);
    return out;
  }
  if (std::regex_search(s, m, hwpoison_re)) {
    out.kind = KernelPfnLine::Kind::kHwpoisonInject;
    out.pfn = std::stoull(m[1].str(), nullptr, 16);
    return out;
  }
  if (std::regex_search(s, m, action_re)) {
    out.kind = KernelPfnLine::Kind::kRecoveryAction;
    out.pfn = std::stoull(m[1].str(), nullptr, 16);
    out.page_type = m[2].str();
    out.result = m[3].str();
    return out;
  }
  return std::nullopt;
}

}  // namespace poisonlab::agent

#include "agent/sysfs.h"

#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/error.h"
#include "common/unique_fd.h"

namespace poisonlab::agent {

std::optional<std::string> read_attr(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t'))
    text.pop_back();
  return text;
}

std::string read_attr_checked(const std::filesystem::path& path) {
  auto text = read_attr(path);
  if (!text) throw UserError("cannot read " + path.string() + ": " + strerror(errno));
  return *text;
}

uint64_t parse_u64(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) throw std::invalid_argument("empty number");
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  size_t used = 0;
  std::string s(text);
  uint64_t value = std::stoull(s, &used, base);
  if (used != s.size()) throw std::invalid_argument("not a number: " + s);
  return value;
}

uint64_t read_u64_attr(const std::filesystem::path& path) {
  std::string text = read_attr_checked(path);
  try {
    return parse_u64(text);
  } catch (const std::exception&) {
    throw UserError(path.string() + ": expected a number, got '" + text + "'");
  }
}

int write_attr(const std::filesystem::path& path, std::string_view value, bool truncate) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | (truncate ? O_TRUNC : 0)));
  if (!fd) return errno;
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) return errno;
  return 0;
}

void write_attr_checked(const std::filesystem::path& path, std::string_view value) {
  if (int err = write_attr(path, value))
    throw UserError("cannot write '" + std::string(value) + "' to " + path.string() + ": " + strerror(err));
}

void wait_for_path(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!std::filesystem::exists(path)) {
    if (std::chrono::steady_clock::now() > deadline) throw UserError(path.string() + " did not appear");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace poisonlab::agent

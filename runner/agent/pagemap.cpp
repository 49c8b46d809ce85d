#include "agent/pagemap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace poisonlab::agent {

PagemapEntry decode_pagemap(uint64_t raw) {
  PagemapEntry e;
  e.raw = raw;
  e.present = (raw >> 63) & 1;
  e.swapped = (raw >> 62) & 1;
  e.file_or_shared_anon = (raw >> 61) & 1;
  e.exclusive = (raw >> 56) & 1;
  uint64_t pfn = raw & ((1ull << 55) - 1);
  if (e.present && pfn != 0) e.pfn = pfn;
  return e;
}

std::vector<uint64_t> read_pagemap(pid_t pid, uint64_t vaddr, size_t pages, unsigned page_shift) {
  std::string path = "/proc/" + std::to_string(pid) + "/pagemap";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw UserError("cannot open " + path + ": " + strerror(errno));
  std::vector<uint64_t> entries(pages);
  off_t where = static_cast<off_t>((vaddr >> page_shift) * sizeof(uint64_t));
  size_t want = pages * sizeof(uint64_t);
  ssize_t n = ::pread(fd.get(), entries.data(), want, where);
  if (n < 0) throw UserError("cannot read " + path + ": " + strerror(errno));
  if (static_cast<size_t>(n) != want) throw UserError("short read from " + path);
  return entries;
}

}  // namespace poisonlab::agent

#pragma once
// /proc/PID/pagemap: one 64-bit entry per virtual page.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>


namespace poisonlab::agent {

struct PagemapEntry {
  uint64_t raw = 0;
  bool present = false;
  bool swapped = false;
  bool file_or_shared_anon = false;
  bool exclusive = false;
  // Bits 0-54 when present; nullopt when not present or when the kernel
  // hid it (reads 0 without CAP_SYS_ADMIN).
  std::optional<uint64_t> pfn;
};

PagemapEntry decode_pagemap(uint64_t raw);
// Raw entries of `pages` pages from vaddr; throws UserError naming the file.
std::vector<uint64_t> read_pagemap(pid_t pid, uint64_t vaddr, size_t pages, unsigned page_shift = 12);

}  // namespace poisonlab::agent

#pragma once
// Which pfn the kernel says it poisoned for each file page, read from the
// kernel log lines of a trial (pure).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace poisonlab::agent {

// The madvise injector's mapping.
struct MappingWindow {
  uint64_t map_addr = 0;
  uint64_t map_offset_pages = 0;
  uint64_t map_pages = 0;
  uint64_t page_size = 4096;
};

// "Injecting memory failure for pfn P at process virtual address V": V in
// the injector's mapping names the file page. file_page -> P.
std::map<uint64_t, uint64_t> madvise_pfns_by_file_page(const std::vector<std::string>& lines, const MappingWindow& w);
// The pfn of the first "Injecting memory failure at pfn P" line (the
// hwpoison-inject write of one step).
std::optional<uint64_t> hwpoison_inject_pfn(const std::vector<std::string>& lines);
// pfn -> "<type>: <result>" of the first "Memory failure: P: recovery
// action for <type>: <result>" line for that pfn, in one pass (a 1024-page
// range has thousands of lines: parse them once, not once per page).
std::map<uint64_t, std::string> recovery_actions(const std::vector<std::string>& lines);

}  // namespace poisonlab::agent

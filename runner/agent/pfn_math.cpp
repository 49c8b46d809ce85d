#include "agent/pfn_math.h"

#include <sstream>
#include <stdexcept>

namespace poisonlab::agent {

std::optional<uint64_t> device_offset_of(const std::vector<Extent>& extents, uint64_t file_offset) {
  for (const auto& e : extents) {
    if (file_offset < e.logical || file_offset - e.logical >= e.length) continue;
    if (e.flags & kUnusableExtentFlags) return std::nullopt;
    return e.physical + (file_offset - e.logical);
  }
  return std::nullopt;
}

std::vector<LinearSegment> parse_linear_table(std::string_view table) {
  std::vector<LinearSegment> segments;
  std::istringstream lines{std::string(table)};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream words(line);
    LinearSegment s;
    std::string target, extra;
    if (!(words >> s.start_sector >> s.length_sectors >> target >> s.device >> s.offset_sectors) ||
        target != "linear" || (words >> extra))
      throw std::invalid_argument("not a dm linear table line: '" + line + "'");
    segments.push_back(s);
  }
  return segments;
}

std::optional<uint64_t> map_through_linear(const std::vector<LinearSegment>& table, uint64_t dm_offset) {
  uint64_t sector = dm_offset / kSectorSize;
  for (const auto& s : table) {
    if (sector < s.start_sector || sector - s.start_sector >= s.length_sectors) continue;
    return dm_offset - s.start_sector * kSectorSize + s.offset_sectors * kSectorSize;
  }
  return std::nullopt;
}

uint64_t physical_address_of(const PmemLayout& layout, uint64_t pmem_offset) {
  return layout.data_start + pmem_offset;
}

uint64_t pfn_of(const PmemLayout& layout, uint64_t pmem_offset, unsigned page_shift) {
  return physical_address_of(layout, pmem_offset) >> page_shift;
}

}  // namespace poisonlab::agent

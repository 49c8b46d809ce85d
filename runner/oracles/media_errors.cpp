#include "oracles/media_errors.h"

#include <sstream>

namespace poisonlab::oracles {

std::optional<SectorRange> parse_badblocks_line(std::string_view line) {
  std::istringstream in{std::string(line)};
  long long first = -1, count = -1;
  std::string rest;
  if (!(in >> first >> count) || (in >> rest) || first < 0 || count <= 0) return std::nullopt;
  return SectorRange{static_cast<uint64_t>(first), static_cast<uint64_t>(count)};
}

std::vector<std::string> bad_ranges_over(const Badblocks& badblocks, const std::string& disk, uint64_t sector,
                                         uint64_t sectors) {
  std::vector<std::string> out;
  auto it = badblocks.find(disk);
  if (it == badblocks.end()) return out;
  for (const std::string& line : it->second) {
    auto range = parse_badblocks_line(line);
    if (range && range->overlaps(sector, sectors)) out.push_back(line);
  }
  return out;
}

bool any_media_error(const Badblocks& badblocks) {
  for (const auto& [disk, lines] : badblocks)
    for (const std::string& line : lines)
      if (parse_badblocks_line(line)) return true;
  return false;
}

}  // namespace poisonlab::oracles

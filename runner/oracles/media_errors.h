#pragma once
// Media errors recorded in a pmem disk's badblocks list: "sector count"
// lines, 512-byte sectors relative to that disk (kernel-facts.md).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oracles/observation_model.h"

namespace poisonlab::oracles {

struct SectorRange {
  uint64_t first = 0;
  uint64_t count = 0;
  bool overlaps(uint64_t sector, uint64_t sectors) const { return sector < first + count && first < sector + sectors; }
};

// "232 16" -> {232, 16}; nullopt for anything else.
std::optional<SectorRange> parse_badblocks_line(std::string_view line);

// The recorded ranges of disk that overlap [sector, sector + sectors), as
// their original lines. Lines that do not parse are ignored.
std::vector<std::string> bad_ranges_over(const Badblocks& badblocks, const std::string& disk, uint64_t sector,
                                         uint64_t sectors);

// Whether any disk has a media error recorded.
bool any_media_error(const Badblocks& badblocks);

}  // namespace poisonlab::oracles

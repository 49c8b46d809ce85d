#include "address/extents.h"

#include <algorithm>

namespace poisonlab::address {

namespace {
bool covers(const Extent& e, uint64_t file_offset) {
  return file_offset >= e.logical && file_offset - e.logical < e.length;
}
}  // namespace

std::optional<uint64_t> device_offset_of(const std::vector<Extent>& extents, uint64_t file_offset) {
  for (const auto& e : extents) {
    if (!covers(e, file_offset)) continue;
    if (e.flags & kUnusableExtentFlags) return std::nullopt;
    return e.physical + (file_offset - e.logical);
  }
  return std::nullopt;
}

std::vector<FileByte> owners_of(const std::vector<FileMap>& files, uint64_t device_offset) {
  std::vector<FileByte> owners;
  for (const auto& f : files)
    for (const auto& e : f.extents) {
      if (e.flags & kUnusableExtentFlags) continue;
      if (device_offset >= e.physical && device_offset - e.physical < e.length)
        owners.push_back({f.file, e.logical + (device_offset - e.physical)});
    }
  return owners;
}

bool crosses_extent_boundary(const std::vector<Extent>& extents, uint64_t file_offset, uint64_t length) {
  size_t overlapping = 0;
  uint64_t covered = 0;
  for (const auto& e : extents) {
    uint64_t lo = std::max(e.logical, file_offset), hi = std::min(e.logical + e.length, file_offset + length);
    if (lo >= hi) continue;
    ++overlapping;
    covered += hi - lo;
  }
  return overlapping > 1 || (length > 0 && covered < length);
}

void to_json(nlohmann::json& j, const Extent& e) {
  j = {{"logical", e.logical}, {"physical", e.physical}, {"length", e.length}, {"flags", e.flags}};
}

void from_json(const nlohmann::json& j, Extent& e) {
  e.logical = j.at("logical").get<uint64_t>();
  e.physical = j.at("physical").get<uint64_t>();
  e.length = j.at("length").get<uint64_t>();
  e.flags = j.value("flags", uint32_t{0});
}

}  // namespace poisonlab::address

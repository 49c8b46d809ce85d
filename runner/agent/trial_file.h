#pragma once
// The victim file of one trial: created fresh, filled, fsynced, then its
// block map read with FIEMAP.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/pfn_math.h"

namespace poisonlab::agent {

struct TrialFile {
  std::filesystem::path path;
  uint64_t size = 0;
  std::vector<Extent> extents;
  std::optional<bool> dax;  // statx STATX_ATTR_DAX
  nlohmann::json to_json() const;
};

// Creates path (must not exist), writes pages*page_size bytes of a pattern,
// fsyncs and reads its extents. Throws UserError naming the file.
TrialFile create_trial_file(const std::filesystem::path& path, uint64_t pages, uint64_t page_size);
// All extents of an open file (FS_IOC_FIEMAP with FIEMAP_FLAG_SYNC).
std::vector<Extent> read_fiemap(int fd, const std::filesystem::path& path_for_errors);

}  // namespace poisonlab::agent

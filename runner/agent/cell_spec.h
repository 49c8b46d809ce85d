#pragma once
// The CellSpec of a run-cell message (PROTOCOL.md), validated.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab::agent {

struct CellSpec {
  std::string stack_type = "raw";  // "raw" | "dm-linear"
  uint64_t dm_offset_sectors = 0;
  std::string fs_type = "xfs";
  std::vector<std::string> mkfs_options{"-m", "rmapbt=1"};
  std::vector<std::string> mount_options{"dax=always"};
  std::string ns_mode = "fsdax";
  std::string ns_map = "mem";
  std::string ns_align = "2M";
  uint64_t file_pages = 16;
  int early_kill = 2;
  int late_kill = 1;
  int neighbour = 1;
  std::string method = "madvise";  // "madvise" | "hwpoison-pfn"
  uint64_t offset_pages = 4;
  uint64_t pages = 4;
  std::string pacing = "per-page";  // "per-page" | "burst"
  uint64_t settle_ms = 1000;
  int trials = 1;
  bool trace = true;
  bool reaccess = true;
};

// Throws InputError(source, JSON pointer, expectation) on bad input; source
// names where the JSON came from (a file, "run-cell message").
CellSpec parse_cell_spec(const nlohmann::json& cell, const std::string& source);

}  // namespace poisonlab::agent

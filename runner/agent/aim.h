#pragma once
// Aiming a trial's poison: the trial's files are laid out as the target
// needs (a split victim file for an extent boundary, a wide fallocated span
// across a dm-linear seam, ...), then the target is resolved into poison
// units, one 4 KiB page each, located on every layer of the stack (file
// page, file system device, pmem disk, physical address, pfn).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/cell_spec.h"
#include "agent/stack.h"
#include "agent/trial_file.h"
#include "agent/victims.h"

namespace poisonlab::agent {

struct PoisonUnit {
  std::string file;                   // the victim file it was aimed at ("victim", "victim-1"), for file targets
  std::optional<uint64_t> file_page;  // page of that file, for file targets
  std::optional<uint64_t> fs_offset;  // on the file system's device; nullopt when unmapped there
  size_t disk = 0;                    // index into the stack's disks
  std::string disk_name;              // "pmem0"
  uint64_t disk_offset = 0;
  uint64_t phys = 0;
  uint64_t pfn = 0;
  nlohmann::json to_json() const;
};

// The id of victim file k of a trial: "victim", "victim-1", ...
std::string victim_file_id(uint64_t k);

struct TrialFiles {
  std::vector<TrialFile> files;  // the victim first
  TrialFile& victim() { return files.front(); }
  const TrialFile& victim() const { return files.front(); }
  std::vector<address::FileMap> maps() const;
  nlohmann::json to_json() const;
};

struct Aim {
  TrialFiles files;
  VictimLayout layout;
  std::vector<PoisonUnit> units;
  nlohmann::json target;  // how the target was resolved (structure, daddr, boundary, ...)
};

// Creates the trial's files under the mount point (names t<index>-*) and
// resolves the target. Throws UserError when the target cannot be reached
// (no free space, the span does not cover the seam, ...).
Aim aim_trial(const CellSpec& spec, const Stack& stack, int index, std::vector<std::string>& errors);

// A unit for a byte offset on the file system's device / a physical
// address; nullopt when the stack does not map it.
std::optional<PoisonUnit> unit_at_fs_offset(const address::StackMap& map, uint64_t fs_offset);
std::optional<PoisonUnit> unit_at_phys(const address::StackMap& map, uint64_t phys);

// The victim-file page where a straddled boundary lies (the first page after
// it), from the file's extents and the stack (pure). nullopt if the file
// does not cross such a boundary with a page on each side.
std::optional<uint64_t> boundary_page(const std::string& straddle, const TrialFile& victim,
                                      const address::StackMap& map);

}  // namespace poisonlab::agent

#pragma once
// The storage stack under a file system, as addresses: the file system's
// device (a pmem disk, or a dm device over pmem disks) down to physical
// addresses and page frames, and back. The agent uses it to aim poison, the
// oracles to work out from an injected pfn which file bytes it backs.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "address/dm_table.h"

namespace poisonlab::address {

inline constexpr uint64_t kPageSize = 4096;

// Physical layout of an fsdax namespace (bytes).
struct PmemLayout {
  uint64_t region_start = 0;     // regionX/resource
  uint64_t namespace_start = 0;  // namespaceX.Y/resource
  uint64_t data_start = 0;       // pfnX.Y/resource: byte 0 of the pmem disk
  uint64_t namespace_offset() const { return namespace_start - region_start; }
  uint64_t data_offset() const { return data_start - namespace_start; }
  bool operator==(const PmemLayout&) const = default;
};

struct PmemDisk {
  std::string name;    // "pmem0"
  std::string majmin;  // "259:0"
  uint64_t size_bytes = 0;
  PmemLayout layout;
  bool operator==(const PmemDisk&) const = default;
};

struct DiskPiece {
  size_t disk = 0;  // index into the stack's disks
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t fs_offset = 0;
  uint64_t phys = 0;  // physical address of the piece's first byte
};

class StackMap {
 public:
  StackMap() = default;
  // Without a dm table the file system sits directly on disks[0].
  StackMap(std::vector<PmemDisk> disks, std::optional<DmTable> dm);
  // From an observation's "stack" object: "disks" and "dm_table" (text or null).
  static StackMap from_json(const nlohmann::json& stack);

  const std::vector<PmemDisk>& disks() const { return disks_; }
  const std::optional<DmTable>& dm() const { return dm_; }
  uint64_t fs_device_bytes() const;

  // A byte range of the file system's device as pieces on the disks.
  std::vector<DiskPiece> to_disks(uint64_t fs_offset, uint64_t length) const;
  std::optional<DiskPiece> locate(uint64_t fs_offset) const;  // one byte
  // A physical address to its disk and disk offset; nullopt outside every disk.
  std::optional<DiskPiece> disk_of_phys(uint64_t phys) const;
  // Back up: a disk byte, or a physical address, to the file system's device.
  std::optional<uint64_t> fs_offset_of(size_t disk, uint64_t disk_offset) const;
  std::optional<uint64_t> fs_offset_of_phys(uint64_t phys) const;
  std::optional<size_t> disk_index(std::string_view name_or_majmin) const;

 private:
  std::vector<PmemDisk> disks_;
  std::optional<DmTable> dm_;
};

void to_json(nlohmann::json& j, const PmemDisk& d);

}  // namespace poisonlab::address

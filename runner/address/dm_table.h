#pragma once
// A device-mapper table as `dmsetup table` prints it, for the targets
// poisonlab builds: linear (one line: an offset into one device; several
// lines: a concatenation) and striped. Maps byte ranges of the dm device
// onto its legs and back, with the arithmetic of drivers/md/dm-linear.c and
// dm-stripe.c.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poisonlab::address {

inline constexpr uint64_t kSectorSize = 512;

struct DmLeg {
  std::string device;  // as the table names it: "259:0" or "/dev/pmem0"
  uint64_t offset_sectors = 0;
  bool operator==(const DmLeg&) const = default;
};

struct DmTarget {
  uint64_t start_sector = 0;
  uint64_t length_sectors = 0;
  std::string type;  // "linear" | "striped"
  std::vector<DmLeg> legs;
  uint64_t chunk_sectors = 0;  // striped only
  bool operator==(const DmTarget&) const = default;
};

// A piece of a dm byte range on one leg device.
struct DevicePiece {
  std::string device;
  uint64_t offset = 0;  // bytes on the device
  uint64_t length = 0;
  uint64_t dm_offset = 0;  // where the piece starts on the dm device
  bool operator==(const DevicePiece&) const = default;
};

class DmTable {
 public:
  DmTable() = default;
  explicit DmTable(std::vector<DmTarget> targets);
  // Throws std::invalid_argument naming the line for anything that is not a
  // linear or striped target, or targets that leave gaps.
  static DmTable parse(std::string_view text);

  const std::vector<DmTarget>& targets() const { return targets_; }
  uint64_t size_bytes() const;
  // The byte range [dm_offset, dm_offset + length) as pieces on the legs,
  // in dm order; parts past the end of the table are left out.
  std::vector<DevicePiece> map(uint64_t dm_offset, uint64_t length) const;
  // The dm byte whose data lies at device_offset of device; nullopt when no
  // target maps it.
  std::optional<uint64_t> reverse(std::string_view device, uint64_t device_offset) const;
  // Byte offsets where one target ends and the next begins (concatenation seams).
  std::vector<uint64_t> seams() const;
  // The first stripe chunk boundary at or after dm_offset inside a striped
  // target (a boundary between two chunks, not the target's start).
  std::optional<uint64_t> next_chunk_boundary(uint64_t dm_offset) const;
  std::string text() const;

 private:
  std::vector<DmTarget> targets_;
};

}  // namespace poisonlab::address

#pragma once
// Pure address arithmetic from a file page to a physical page frame:
//   file offset --FIEMAP extents--> fs_device byte offset
//               --dm-linear table--> pmem disk byte offset
//               --nd resources-->    physical address -> pfn
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poisonlab::agent {

inline constexpr uint64_t kSectorSize = 512;

// One FIEMAP extent (bytes).
struct Extent {
  uint64_t logical = 0;
  uint64_t physical = 0;
  uint64_t length = 0;
  uint32_t flags = 0;
};

// Extent flags whose physical offset does not name the data's location.
inline constexpr uint32_t kUnusableExtentFlags =
    0x00000002 /*UNKNOWN*/ | 0x00000004 /*DELALLOC*/ | 0x00000008 /*ENCODED*/ |
    0x00000080 /*DATA_ENCRYPTED*/ | 0x00000200 /*NOT_ALIGNED*/ | 0x00000400 /*DATA_INLINE*/ |
    0x00000800 /*DATA_TAIL*/;

// Byte offset on the file system's device of a byte of the file; nullopt
// when no extent covers it or the covering extent has no usable location.
std::optional<uint64_t> device_offset_of(const std::vector<Extent>& extents, uint64_t file_offset);

// One line of a device-mapper "linear" table: "start len linear dev offset"
// (sectors).
struct LinearSegment {
  uint64_t start_sector = 0;
  uint64_t length_sectors = 0;
  std::string device;  // "259:0" or "/dev/pmem0"
  uint64_t offset_sectors = 0;
};

// Parses `dmsetup table` output; throws std::invalid_argument naming the
// line when a line is not a linear target.
std::vector<LinearSegment> parse_linear_table(std::string_view table);
// Byte offset on the underlying device of a byte of the dm device; nullopt
// when no segment covers it.
std::optional<uint64_t> map_through_linear(const std::vector<LinearSegment>& table, uint64_t dm_offset);

// Physical layout of an fsdax namespace, all physical addresses (bytes).
struct PmemLayout {
  uint64_t region_start = 0;     // regionX/resource
  uint64_t namespace_start = 0;  // namespaceX.Y/resource
  uint64_t data_start = 0;       // pfnX.Y/resource: byte 0 of the pmem disk
  uint64_t namespace_offset() const { return namespace_start - region_start; }
  uint64_t data_offset() const { return data_start - namespace_start; }
};

uint64_t physical_address_of(const PmemLayout& layout, uint64_t pmem_offset);
uint64_t pfn_of(const PmemLayout& layout, uint64_t pmem_offset, unsigned page_shift = 12);

}  // namespace poisonlab::agent

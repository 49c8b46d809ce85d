#pragma once
// File extents (FIEMAP) both ways: a file byte to its byte on the file
// system's device, and a device byte to every file byte it backs (several
// with reflink: shared extents appear in each sharer's map).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab::address {

// One FIEMAP extent (bytes).
struct Extent {
  uint64_t logical = 0;
  uint64_t physical = 0;
  uint64_t length = 0;
  uint32_t flags = 0;
  bool operator==(const Extent&) const = default;
};

// Extent flags whose physical offset does not name the data's location
// (linux/fiemap.h). UNWRITTEN (0x800) extents do have a location.
inline constexpr uint32_t kUnusableExtentFlags =
    0x00000002 /*UNKNOWN*/ | 0x00000004 /*DELALLOC*/ | 0x00000008 /*ENCODED*/ | 0x00000080 /*DATA_ENCRYPTED*/ |
    0x00000100 /*NOT_ALIGNED*/ | 0x00000200 /*DATA_INLINE*/ | 0x00000400 /*DATA_TAIL*/;
inline constexpr uint32_t kExtentUnwritten = 0x00000800;
inline constexpr uint32_t kExtentShared = 0x00002000;

// Byte offset on the file system's device of a byte of the file; nullopt
// when no extent covers it or the covering extent has no usable location.
std::optional<uint64_t> device_offset_of(const std::vector<Extent>& extents, uint64_t file_offset);

// The extents of one file, named.
struct FileMap {
  std::string file;  // an id ("victim", "sharer-0", ...)
  std::vector<Extent> extents;
};

struct FileByte {
  std::string file;
  uint64_t offset = 0;
  bool operator==(const FileByte&) const = default;
};

// Every (file, offset) whose data lies at device_offset, in files order.
std::vector<FileByte> owners_of(const std::vector<FileMap>& files, uint64_t device_offset);

// Whether [file_offset, file_offset + length) meets more than one extent
// record (or a hole).
bool crosses_extent_boundary(const std::vector<Extent>& extents, uint64_t file_offset, uint64_t length);

void to_json(nlohmann::json& j, const Extent& e);
void from_json(const nlohmann::json& j, Extent& e);

}  // namespace poisonlab::address

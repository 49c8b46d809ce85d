#pragma once
// The files of one trial, created fresh (a block that may already be
// poisoned is never reused): a victim file whose pages hold a known pattern
// (each page starts with its own index), laid out as the target needs, and
// reflinked sharers of it. Each file's block map is read with FIEMAP.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "address/extents.h"

namespace poisonlab::agent {

inline constexpr uint64_t kPageSize = 4096;

struct TrialFile {
  std::string id;    // "victim", "sharer-0", "filler"
  std::string role;  // "victim" | "sharer" | "filler"
  std::filesystem::path path;
  uint64_t ino = 0;
  uint64_t size = 0;
  std::vector<address::Extent> extents;
  std::optional<bool> dax;  // statx STATX_ATTR_DAX
  address::FileMap map() const { return {id, extents}; }
  // Re-reads size, inode and extents (after writes or fallocate).
  void refresh();
  nlohmann::json to_json() const;
};

// All extents of an open file (FS_IOC_FIEMAP with FIEMAP_FLAG_SYNC).
std::vector<address::Extent> read_fiemap(int fd, const std::filesystem::path& path_for_errors);

// The page pattern: page p starts with p (8 bytes), the rest is one letter.
void fill_pattern_page(std::vector<char>& page, uint64_t p);
// Writes the pattern into pages [first, first + count) of an existing file
// and fsyncs it. Throws UserError naming the file.
void write_pattern(const std::filesystem::path& path, uint64_t first, uint64_t count);

// A new file of `pages` pattern pages written front to back (contiguous on
// a fresh file system). Throws UserError naming the file (also if it exists).
TrialFile create_pattern_file(const std::filesystem::path& path, std::string id, uint64_t pages);
// A new file of `pages` pattern pages whose block map should break at
// `split_page`: the pages from it on are written first, then one page of
// `filler`, then the pages before it. The caller checks the extents.
TrialFile create_split_file(const std::filesystem::path& path, uint64_t pages, uint64_t split_page,
                            const std::filesystem::path& filler);
// A new file of `bytes` bytes preallocated with fallocate (unwritten
// extents): a wide span of the device, written later where it is mapped.
TrialFile create_span_file(const std::filesystem::path& path, std::string id, uint64_t bytes);
// A reflink copy (FICLONE) sharing every extent of src.
TrialFile clone_file(const TrialFile& src, const std::filesystem::path& path, std::string id);
// Opens an existing file read-only and describes it.
TrialFile describe_file(const std::filesystem::path& path, std::string id, std::string role);

// FNV-1a 64 of a page read with pread; nullopt with errno on a failed or
// short read.
struct PageRead {
  std::optional<uint64_t> checksum;
  ssize_t bytes = 0;
  int err = 0;
  bool pattern_ok = false;  // the page holds the pattern of its index
};
PageRead read_page(int fd, uint64_t page);

}  // namespace poisonlab::agent

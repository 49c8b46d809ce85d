#pragma once
// FS_IOC_GETFSMAP: who owns each byte range of a file system's device, and a
// free range in it far from the file system's own metadata.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace poisonlab::agent {

// One struct fsmap record; byte units throughout.
struct FsmapRecord {
  uint32_t device = 0;  // dev_t in the kernel's 32-bit encoding (FMH_OF_DEV_T)
  uint64_t physical = 0;
  uint64_t length = 0;
  uint64_t owner = 0;   // inode number, or a special owner (FMR_OF_SPECIAL_OWNER)
  uint64_t offset = 0;
  uint32_t flags = 0;

  bool special_owner() const;
  bool free() const;
  // "free", "fs-static", "log", "inode-btree", ... for special owners (XFS
  // and ext4 codes), "special 0x..." for one we do not know, else
  // "inode <number>".
  std::string owner_name() const;
};

// The ioctl failed; error_number lets callers record EOPNOTSUPP, ENOTTY or
// EPERM as a fact about the file system rather than a crash.
class FsmapError : public UserError {
 public:
  FsmapError(const std::string& what, int error_number) : UserError(what), error_number_(error_number) {}
  int error_number() const { return error_number_; }

 private:
  int error_number_;
};

// Every record of the data device (the one st_dev names) of the file system
// holding any_path_on_fs, in device order. Throws FsmapError naming the path
// and errno when it cannot be opened or the ioctl fails. Without
// CAP_SYS_ADMIN, XFS reports only free space and "unknown" owners.
std::vector<FsmapRecord> read_fsmap(const std::filesystem::path& any_path_on_fs);

// Byte offset of `bytes` bytes aligned to `align` (0 or 1: none) lying wholly
// inside one free record, as near the middle of the largest free record as
// alignment allows; nullopt if no free record can hold it.
std::optional<uint64_t> find_free_range(const std::vector<FsmapRecord>& records, uint64_t bytes, uint64_t align);

}  // namespace poisonlab::agent

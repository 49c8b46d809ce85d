#pragma once
// Where XFS metadata lives on the device, asked of xfs_db in read-only mode
// (`xfs_db -r`), so poison can be aimed at a header, an inode chunk or a
// btree block instead of file data.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poisonlab::agent {

struct XfsMetadataLocation {
  std::string structure;
  uint64_t daddr = 0;         // 512-byte sectors on the device
  uint64_t length_bytes = 0;
  std::vector<std::string> commands;  // the xfs_db command line
  std::string output;                 // what it printed
};

// structure is "ag-header" (the AGF sector of AG ag), "btree-block" (the root
// block of AG ag's free-space-by-block btree, one fs block) or "inode-chunk"
// (the fs block holding inode `inode`; ag is ignored). Works on a mounted
// file system too, but then reads the device as last written back, so a
// btree root that moved since is reported where it was. Throws UserError
// naming the device: xfs_db missing (install xfsprogs), exit status not 0,
// an xfs_db complaint ("bad allocation group number ...", which it reports
// with exit status 0) or output that does not parse; bad structure names and
// a missing inode are UserError with kExitBadInput.
XfsMetadataLocation locate_xfs_metadata(const std::filesystem::path& device, std::string_view structure, uint32_t ag,
                                        std::optional<uint64_t> inode);

// Runs `xfs_db -r -c C1 -c C2 ... device` and returns its stdout and stderr.
// Every line must be a "current daddr is N" or "field = value" answer: xfs_db
// reports failed commands only in its output, with exit status 0, so
// anything else throws. allow_verifier_warnings lets "Metadata CRC error
// detected ..." / "Metadata corruption detected ..." through (a block never
// written back yet).
std::string run_xfs_db(const std::filesystem::path& device, const std::vector<std::string>& commands,
                       bool allow_verifier_warnings = false);

// N of the last "current daddr is N" line (xfs_db's `daddr` command).
std::optional<uint64_t> parse_current_daddr(std::string_view output);
// The value of the first "field = value" line (xfs_db's `print field`).
std::optional<std::string> parse_print_value(std::string_view output, std::string_view field);

}  // namespace poisonlab::agent

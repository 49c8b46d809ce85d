#pragma once
// The CellSpec of a run-cell message (PROTOCOL.md), validated.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/fio_spec.h"

namespace poisonlab::agent {

// Where the poison goes. Spaces: "file" (pages of the trial's victim file,
// from offset_pages, or across a boundary named by straddle), "device"
// (from sector on the file system's device), "physical" (from address),
// "metadata" (an XFS structure located with xfs_db), "free" (free space
// found with GETFSMAP), "namespace" (the whole device: unbind).
struct TargetSpec {
  std::string space = "file";
  uint64_t offset_pages = 0;
  std::string straddle;  // "" | "extent-boundary" | "stripe-chunk" | "concat-seam"
  uint64_t sector = 0;
  uint64_t address = 0;
  std::string structure;  // "ag-header" | "inode-chunk" | "btree-block"
  uint32_t ag = 0;
};

// perf around each injection (agent/perf_session.h); both off when the
// CellSpec has no "perf".
struct PerfOptions {
  bool stat = false;
  bool record = false;
  uint64_t record_min_pages = 64;
  uint64_t record_min_early_kill = 0;
  uint64_t frequency = 999;
};

struct CellSpec {
  std::string stack_type = "raw";  // "raw" | "dm-linear" | "dm-concat" | "dm-stripe"
  uint64_t dm_offset_sectors = 0;  // dm-linear
  uint64_t chunk_sectors = 128;    // dm-stripe
  std::string fs_type = "xfs";     // "xfs" | "ext4"
  std::vector<std::string> mkfs_options{"-m", "rmapbt=1"};
  std::vector<std::string> mount_options{"dax=always"};
  std::string pmem = "nvdimm";  // "nvdimm" | "cxl" (issue 5: a CXL pmem region instead of NVDIMMs)
  std::string ns_mode = "fsdax";
  std::string ns_map = "mem";
  std::string ns_align = "2M";
  uint64_t file_pages = 16;
  uint64_t files = 1;  // victim files; a file target's pages are spread evenly over them
  int sharers = 0;  // reflink clones of the victim file, each with its own early-kill mapper
  int early_kill = 2;
  int late_kill = 1;
  int neighbour = 1;
  std::string method = "madvise";  // madvise | hwpoison-pfn | hard-offline | mce | badblocks | unbind | cxl-*-poison
                                   // | ndctl-inject-error | einj (issue 7: real hardware)
  TargetSpec target;
  uint64_t pages = 4;
  std::string pacing = "per-page";  // "per-page" | "burst" | "rate"
  uint64_t rate_per_s = 0;          // pacing "rate": pages per second
  uint64_t settle_ms = 1000;
  std::string mce_mode = "ao";  // mce: "ao" (action optional) | "ar" (action required)
  int trials = 1;
  bool trace = true;
  bool reaccess = true;
  bool fsck = true;          // xfs_repair -n / e2fsck -fn after unmounting
  bool soft_offline = true;  // try MADV_SOFT_OFFLINE on a DAX page in the first trial
  bool probe_benchmark = false;  // run poisonlab-probe-bench on the mount after the trials
  PerfOptions perf;
  std::optional<FioSpec> fio;  // fio jobs through every trial (none when absent)

  bool file_target() const { return target.space == "file"; }
  bool cxl() const { return pmem == "cxl"; }
  // Poison put in a CXL device's poison list (QMP cxl-inject-poison or debugfs inject_poison).
  bool cxl_poison_method() const { return method == "cxl-qmp-poison" || method == "cxl-debugfs-poison"; }
  // The poisoned pages of each victim file (file targets).
  uint64_t pages_per_file() const { return pages / files; }
  size_t disks_needed() const { return stack_type == "dm-concat" || stack_type == "dm-stripe" ? 2 : 1; }
};

// Throws InputError(source, JSON pointer, expectation) on bad input; source
// names where the JSON came from (a file, "run-cell message").
CellSpec parse_cell_spec(const nlohmann::json& cell, const std::string& source);

}  // namespace poisonlab::agent

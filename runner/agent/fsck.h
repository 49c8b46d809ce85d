#pragma once
// The file system checked read-only after a cell unmounted it:
// `xfs_repair -n` (after a mount/unmount to replay a dirty log, which
// xfs_repair -n refuses to judge) or `e2fsck -fn`.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab::agent {

struct FsckRun {
  std::vector<std::string> argv;
  int exit_code = -1;
  bool timed_out = false;
  std::string output_tail;  // last lines of stdout+stderr
  nlohmann::json to_json() const;
};

struct FsckResult {
  std::vector<FsckRun> runs;            // in order; the last one is the verdict
  std::optional<std::string> log_replay;  // "ok" or why the replay mount failed
  bool clean = false;
  std::optional<std::string> skipped;  // why no check ran (the device is gone)
  nlohmann::json to_json() const;
};

// Whether an fsck exit code means "no problems": xfs_repair -n 0, e2fsck 0.
bool fsck_clean(const std::string& fs_type, int exit_code);
// xfs_repair -n says 2 when the log is dirty.
bool xfs_log_dirty(int exit_code, const std::string& output);

FsckResult check_filesystem(const std::string& fs_type, const std::filesystem::path& device,
                            const std::filesystem::path& scratch_mount_point);

}  // namespace poisonlab::agent

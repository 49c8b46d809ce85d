#include "agent/fsck.h"

#include <sys/mount.h>

#include "common/process.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;
constexpr auto kFsckTimeout = std::chrono::minutes(3);

std::string tail_lines(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; pos > 0 && n <= lines; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

FsckRun run_fsck(const std::vector<std::string>& argv) {
  FsckRun run;
  run.argv = argv;
  auto r = run_command(argv, {.timeout = kFsckTimeout, .merge_stderr = true});
  run.exit_code = r.exit_code;
  run.timed_out = r.timed_out;
  run.output_tail = tail_lines(r.out, 40);
  return run;
}

}  // namespace

json FsckRun::to_json() const {
  return {{"argv", argv}, {"exit_code", exit_code}, {"timed_out", timed_out}, {"output_tail", output_tail}};
}

json FsckResult::to_json() const {
  json r = json::array();
  for (const auto& run : runs) r.push_back(run.to_json());
  return {{"runs", r},
          {"log_replay", log_replay ? json(*log_replay) : json(nullptr)},
          {"clean", skipped ? json(nullptr) : json(clean)},
          {"skipped", skipped ? json(*skipped) : json(nullptr)}};
}

bool fsck_clean(const std::string&, int exit_code) { return exit_code == 0; }

bool xfs_log_dirty(int exit_code, const std::string& output) {
  // xfsprogs 6.1: exit 2 "...log which needs to be replayed", or exit 1
  // "ALERT: The filesystem has valuable metadata changes in a log which is
  // being ignored because the -n option was used".
  return exit_code == 2 || output.find("log which needs to be replayed") != std::string::npos ||
         output.find("metadata changes in a log") != std::string::npos;
}

FsckResult check_filesystem(const std::string& fs_type, const std::filesystem::path& device,
                            const std::filesystem::path& scratch_mount_point) {
  FsckResult result;
  if (!std::filesystem::exists(device)) {
    result.skipped = device.string() + " is gone";
    return result;
  }
  if (fs_type == "ext4") {
    result.runs.push_back(run_fsck({"e2fsck", "-fn", device.string()}));
  } else {
    result.runs.push_back(run_fsck({"xfs_repair", "-n", device.string()}));
    if (xfs_log_dirty(result.runs.back().exit_code, result.runs.back().output_tail)) {
      auto m = run_command({"mount", "-t", "xfs", device.string(), scratch_mount_point.string()},
                           {.timeout = kFsckTimeout, .merge_stderr = true});
      result.log_replay = m.ok() ? "ok" : "mount failed: " + tail_lines(m.out, 5);
      if (m.ok()) {
        ::umount2(scratch_mount_point.c_str(), 0);
        result.runs.push_back(run_fsck({"xfs_repair", "-n", device.string()}));
      }
    }
  }
  result.clean = !result.runs.back().timed_out && fsck_clean(fs_type, result.runs.back().exit_code);
  return result;
}

}  // namespace poisonlab::agent

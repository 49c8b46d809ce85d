#pragma once
// The run stage: scenario -> plan -> kernel -> target -> agent cells ->
// oracles -> report. One VM per kernel variant runs all of its cells.
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace poisonlab {

struct RunRequest {
  std::filesystem::path scenario;
  std::optional<std::filesystem::path> out_dir;    // default results/<run-id>
  std::vector<std::string> kernels;                 // overrides the scenario's kernels
  std::optional<std::filesystem::path> kernel_image;
  std::optional<std::filesystem::path> modules_dir;
  std::filesystem::path variants_file;
  std::string command_line;
};

struct RunOutcome {
  std::filesystem::path report_path;
  int exit_code = 0;  // 0 all cells passed, kExitOracleFailed otherwise
};

RunOutcome run_scenario(const RunRequest& request, std::ostream& log);

}  // namespace poisonlab

#include "agent/probe_bench.h"

#include <fmt/format.h>

#include "common/fs_util.h"
#include "common/process.h"

namespace poisonlab::agent {

nlohmann::json run_probe_benchmark(const std::filesystem::path& dir) {
  // Built beside the agent (bench/CMakeLists.txt), so the guest sees it in
  // the agent's folder; without Google Benchmark it was never built.
  std::filesystem::path binary = executable_dir() / "poisonlab-probe-bench";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(binary, ec))
    return {{"error", binary.string() + " is missing (built only with Google Benchmark, libbenchmark-dev)"}};
  CommandResult r = run_command({binary.string(), "--dir=" + dir.string(), "--benchmark_format=json"},
                                {.timeout = std::chrono::minutes(5)});
  if (!r.ok())
    return {{"error", fmt::format("{} exited {}{}: {}", binary.filename().string(), r.exit_code,
                                  r.timed_out ? " (timed out)" : "", r.err.substr(0, 2000))}};
  try {
    return nlohmann::json::parse(r.out);
  } catch (const nlohmann::json::parse_error& e) {
    return {{"error", std::string("unparsable benchmark output: ") + e.what()}};
  }
}

}  // namespace poisonlab::agent

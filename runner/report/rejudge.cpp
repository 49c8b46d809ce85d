#include "report/rejudge.h"

#include "oracles/oracles.h"
#include "report/report.h"
#include "report/speed_targets.h"
#include "version.h"

namespace poisonlab {
using nlohmann::json;

namespace {

CellIdentity identity_of(const json& cell) {
  auto field = [&](const char* key) { return cell.value(key, std::string()); };
  return {field("id"), field("kernel"), field("stack"), field("method"), field("filesystem"), field("target")};
}

json rejudged_cell(const json& stored, const std::filesystem::path& report_dir) {
  json cell = with_observation(stored, report_dir);
  if (!cell.contains("observation") || !cell["observation"].is_object() || !cell.contains("spec")) return cell;
  json judged = judge_cell(identity_of(cell), cell["spec"], cell["observation"]);
  for (const char* kept : {"serial_log"})
    if (cell.contains(kept)) judged[kept] = cell[kept];
  return judged;
}

}  // namespace

json rejudge_report(const json& report, const std::filesystem::path& report_dir, const std::filesystem::path& out,
                    const std::string& command_line) {
  json run = report.value("run", json::object());
  run["rejudged"] = {{"poisonlab_version", kVersion}, {"git_sha", kGitSha}, {"command_line", command_line}};
  RunReport rejudged(out, run);
  for (const auto& kernel : report.value("kernels", json::array())) rejudged.add_kernel(kernel);
  for (const auto& cell : report.value("cells", json::array())) rejudged.add_cell(rejudged_cell(cell, report_dir));
  // The speed targets follow the cells (trials, fits), with the run's own
  // measured wall time and memory.
  const json& old_targets = run.value("speed_targets", json());
  if (old_targets.is_object()) {
    RunCost cost{old_targets["trials_per_hour"].value("run_wall_s", 0.0),
                 static_cast<uint64_t>(old_targets["runner_max_rss_mib"].value("value", 0.0) * 1024)};
    rejudged.finish({{"speed_targets", speed_targets(rejudged.json(), cost)}});
  } else {
    rejudged.finish(json::object());
  }
  return rejudged.json();
}

}  // namespace poisonlab

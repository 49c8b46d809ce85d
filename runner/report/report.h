#pragma once
// The run report (reports/README.md documents it). RunReport rewrites the
// whole file atomically after every change, so whatever was measured before
// a crash or a killed run is on disk as a complete, valid JSON document.
#include <filesystem>

#include <nlohmann/json.hpp>

namespace poisonlab {

inline constexpr int kReportSchemaVersion = 1;

class RunReport {
 public:
  // Writes the initial report (no kernels, no cells) at once.
  RunReport(std::filesystem::path path, nlohmann::json run_metadata);

  // Kernel artifacts and boots, as the run stage gives them; returns the
  // entry's index for update_kernel (boots are added as they happen).
  size_t add_kernel(nlohmann::json kernel_info);
  void update_kernel(size_t index, nlohmann::json kernel_info);
  // A judged cell from the oracle stage; latency statistics are added here.
  void add_cell(nlohmann::json judged_cell);
  // Merges extra (e.g. finished_at, status) into "run".
  void finish(nlohmann::json extra);

  const nlohmann::json& json() const { return report_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void write() const;

  std::filesystem::path path_;
  nlohmann::json report_;
};

// The judged cell with "latency": {"revocation_ns": [...],
// "revocation_ms_stats": {...summary in milliseconds..., "missing": n}};
// null samples (trials with no measurement) are counted as missing. With
// "phases", also "phase_ms_stats": {phase: the same statistics over the
// trials} for each "<phase>_ns" of the per-trial phases.
nlohmann::json with_latency_stats(nlohmann::json judged_cell);
// {"cells", "passed", "failed", "errored", "oracles": {"pass", "fail", "skip"}}
// counted from an array of judged cells. A cell whose verdict is neither
// "pass" nor "fail" counts as errored.
nlohmann::json count_verdicts(const nlohmann::json& cells);
// Reads a report written by RunReport; InputError if it is not one.
nlohmann::json load_report(const std::filesystem::path& path);

}  // namespace poisonlab

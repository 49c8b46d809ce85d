#pragma once
// The run report (reports/README.md documents it). RunReport rewrites the
// whole file atomically after every change, so whatever was measured before
// a crash or a killed run is on disk as a complete, valid JSON document.
// Each judged cell is also written whole, once, to <stem>.cells/NNNN.json
// beside the report (report.cells/0000.json); a cell whose record is large keeps only a pointer to that file
// in place of its observation, so neither the report nor the runner's
// memory grows with the size of what a cell observed.
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

// Thread-safe: every mutator takes a lock; json() is for after the run.
// The version this build writes (report_version.h lists the versions).
inline constexpr int kReportSchemaVersion = 2;
// A cell record above this many bytes keeps its observation in its cell file.
inline constexpr size_t kInlineCellBytes = 4u << 20;

class RunReport {
 public:
  // Writes the initial report (no kernels, no cells) at once. run.variants
  // is kept if the run metadata names them and grows with the kernels and
  // cells added.
  // cell_files_only: write each cell's file but never report.json (a Slurm
  // array task: many processes add cells, `poisonlab merge` writes it).
  enum class Writes { report_and_cells, cell_files_only };
  RunReport(std::filesystem::path path, nlohmann::json run_metadata, size_t inline_cell_bytes = kInlineCellBytes,
            Writes writes = Writes::report_and_cells);
  RunReport(std::filesystem::path path, nlohmann::json run_metadata, Writes writes)
      : RunReport(std::move(path), std::move(run_metadata), kInlineCellBytes, writes) {}

  // Kernel artifacts and boots, as the run stage gives them; returns the
  // entry's index for update_kernel (boots are added as they happen).
  size_t add_kernel(nlohmann::json kernel_info);
  void update_kernel(size_t index, nlohmann::json kernel_info);
  // A judged cell from the oracle stage; latency statistics are added here.
  // slot numbers its cell file (a matrix run: the cell's index in its
  // scenario's plan, so files keep their names whatever order parallel jobs
  // finish in); cells[] stays in slot order. Default: the next number.
  void add_cell(nlohmann::json judged_cell, std::optional<size_t> slot = std::nullopt);
  // A cell record read back from its cell file (a resumed or merged run):
  // added as add_cell left it, without writing the file again.
  void add_recorded_cell(nlohmann::json cell_record, size_t slot);
  // The cell file of a slot, relative to the report's folder.
  std::string cell_file(size_t slot) const;
  // Merges extra (e.g. finished_at, status) into "run".
  void finish(nlohmann::json extra);

  const nlohmann::json& json() const { return report_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void write() const;
  void insert_cell(nlohmann::json cell, size_t slot, size_t record_bytes);

  // Parallel VM jobs of one run add to the same report.
  mutable std::mutex mutex_;
  Writes writes_;
  std::filesystem::path path_;
  nlohmann::json report_;
  std::vector<size_t> slots_;  // slots_[i] is the slot of cells[i]
  size_t inline_cell_bytes_;
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
// What identifies a cell across kernels and runs: its "key" when the report
// has one, else its id without the leading kernel label
// ("debian-6.12/dm-linear/xfs/madvise" -> "dm-linear/xfs/madvise").
std::string cell_key(const nlohmann::json& cell);
// Reads a report written by RunReport, upgraded to kReportSchemaVersion
// when an older build wrote it (report_version.h); InputError if it is not
// one or a newer build wrote it.
nlohmann::json load_report(const std::filesystem::path& path);
// The cell with its observation: as it is when inline, else read back from
// the cell file named by observation.in_file (relative to report_dir).
// InputError when that file is missing or not the same cell.
nlohmann::json with_observation(const nlohmann::json& cell, const std::filesystem::path& report_dir);

}  // namespace poisonlab

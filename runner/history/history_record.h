#pragma once
// What the history keeps of one run report: the run's identity and its
// sweep series, and per cell the verdicts, the per-trial latency samples
// and links back to the evidence. Built from a report (load_report), stored
// by HistoryStore, read back the same, and exported as JSON in the shape
// reports/history.md documents.
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/latency_samples.h"

namespace poisonlab {

// Metrics are named as compare names them (kRevocationMetric, or a phase's
// "<phase>_ns" key without "_ns").

struct CellRecord {
  size_t index = 0;                    // position in the report's cells[]
  std::string variant;                 // the cell's "kernel" label (the kernel variant)
  std::string key;                     // cell_key(cell): the id without the kernel label
  std::string id;
  std::optional<std::string> release;  // the kernel's release, as booted when known
  std::string verdict;                 // "pass" | "fail" | "error"
  std::string status;                  // "completed", "hang", ...
  std::vector<std::pair<std::string, std::string>> oracles;  // (name, verdict) in report order
  std::optional<std::string> cell_file;  // absolute path of the cell's own file
  // metric -> per-trial samples in ms, in trial order, trials without one skipped.
  std::map<std::string, std::vector<double>> samples_ms;
  nlohmann::json notify_summary;       // notify_path.summary: {class: count}, or null

  bool operator==(const CellRecord&) const = default;
};

struct RunRecord {
  std::string run_id;
  std::string scenario;                // run.scenario.name
  std::string started_at;              // run.started_at, "YYYY-MM-DDTHH:MM:SSZ"
  std::optional<std::string> finished_at, status, git_sha;
  std::string report_path;             // absolute
  std::vector<std::string> variants;   // kernels[].variant in run order, then any other cell label
  nlohmann::json series = nlohmann::json::array();  // the report's series[], each with its "variant"
  std::vector<CellRecord> cells;

  bool operator==(const RunRecord&) const = default;
};

// The record of a report that load_report accepted; report_path is where it
// was read (made absolute). InputError, naming the file and the field, when
// a field the history needs is missing or of the wrong type.
RunRecord record_from_report(const nlohmann::json& report, const std::filesystem::path& report_path);
// load_report + record_from_report.
RunRecord load_run_record(const std::filesystem::path& report_path);

// The export shape of one run (reports/history.md, "Export").
nlohmann::json to_json(const RunRecord& run);
nlohmann::json to_json(const CellRecord& cell, const std::string& report_path);
// The string, or null.
nlohmann::json string_or_null(const std::optional<std::string>& value);
// sha256 of the record's canonical JSON: two adds of the same content give
// the same digest; a rejudged report (same run id) gives another.
std::string record_digest(const RunRecord& run);

}  // namespace poisonlab

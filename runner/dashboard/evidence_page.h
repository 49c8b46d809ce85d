#pragma once
// The evidence page of one matrix cell (evidence/<n>.html): the cell's
// oracles with their verdicts, summaries and evidence JSON, what ended it,
// and links to the report and the cell's own file. Everything from the
// report is HTML-escaped.
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "dashboard/site_data.h"

namespace poisonlab {

// The cell as its report holds it, read back for its oracles' summaries and
// evidence.
struct CellEvidence {
  nlohmann::json cell;   // null when it could not be read
  std::string source;    // the file it was read from
  std::string problem;   // why it could not be read, or ""
};

// Reads cells back: the cell's own file (report.cells/NNNN.json, which
// holds even a large cell's evidence) without its raw observation, else
// the report's cells[index]; reports are parsed once each.
class CellReader {
 public:
  CellEvidence read(const nlohmann::json& export_cell);

 private:
  const nlohmann::json* report(const std::string& path, std::string& problem);
  std::map<std::string, nlohmann::json> reports_;
};

// Evidence JSON longer than this is cut in the page (the cell file has it whole).
inline constexpr size_t kMaxEvidenceChars = 256 * 1024;

// The page, for a file in page_dir (links are relative to it).
std::string evidence_page_html(const EvidenceRef& ref, const CellEvidence& full, const std::filesystem::path& page_dir);

}  // namespace poisonlab

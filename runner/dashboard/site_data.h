#pragma once
// The dashboard's data: what the static site (reports/dashboard) draws,
// computed from the history export (history/history_export.h). Shape in
// reports/dashboard/README.md, "Site data"; every view works from the
// latest run of each (cell key, variant), except the trends, which take
// every run.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/latency_change.h"

namespace poisonlab {

inline constexpr int kSiteSchema = 1;

struct SiteOptions {
  // The A/B view's variants; without, the first two variants of the
  // history (in the order they first appear).
  std::optional<std::pair<std::string, std::string>> ab;
  ChangeOptions change;
  std::string generated_at;  // shown in the header (UTC, ISO 8601)
  // Where the site goes: links to the reports are made relative to it.
  std::filesystem::path out_dir = ".";
};

// A matrix cell whose evidence page the writer makes: evidence/<index>.html.
struct EvidenceRef {
  nlohmann::json run;   // the export's run, without its cells and series
  nlohmann::json cell;  // the export's cell
};

struct SiteData {
  nlohmann::json data;                 // what data.js holds
  std::vector<EvidenceRef> evidence;   // evidence[n] is the page matrix links name evidence/<n>.html
};

// UserError (exit 2) when options.ab names a variant the history lacks, or
// the export is not history_schema 1.
SiteData build_site_data(const nlohmann::json& history_export, const SiteOptions& options);

// "evidence/<n>.html": the page of evidence[n], relative to the site.
std::string evidence_href(size_t index);

}  // namespace poisonlab

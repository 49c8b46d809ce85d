#include "dashboard/site_data.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "dashboard/html.h"
#include "dashboard/site_index.h"
#include "dashboard/site_views.h"
#include "report/report.h"

namespace poisonlab {

using nlohmann::json;

std::string evidence_href(size_t index) { return fmt::format("evidence/{}.html", index); }

namespace {

json run_summary(const json& run, const std::filesystem::path& out_dir) {
  const json counts = count_verdicts(run["cells"]);
  const json verdicts = {{"pass", counts["passed"]}, {"fail", counts["failed"]}, {"error", counts["errored"]}};
  const std::string report = run.value("report_path", "");
  return {{"run_id", run["run_id"]},
          {"scenario", run["scenario"]},
          {"started_at", run["started_at"]},
          {"finished_at", run.value("finished_at", json())},
          {"status", run.value("status", json())},
          {"git_sha", run.value("git_sha", json())},
          {"variants", run.value("variants", json::array())},
          {"cells", run["cells"].size()},
          {"verdicts", verdicts},
          {"report_href", report.empty() ? json() : json(relative_href(report, out_dir))}};
}

json oracle_counts(const json& oracles) {
  json counts = {{"pass", 0}, {"fail", 0}, {"skip", 0}};
  json failed = json::array();
  for (const auto& [name, verdict] : oracles.items()) {
    std::string v = verdict.is_string() ? verdict.get<std::string>() : "";
    if (counts.contains(v)) counts[v] = counts[v].get<int>() + 1;
    if (v == "fail") failed.push_back(name);
  }
  return {{"counts", counts}, {"failed", failed}};
}

// The matrix and, in the same order, the cells whose evidence pages are
// written (cell n links to evidence/<n>.html).
json matrix_view(const SiteIndex& index, std::vector<EvidenceRef>& evidence) {
  json cells = json::array();
  for (const std::string& key : index.keys)
    for (const std::string& variant : index.variants) {
      const RunCell* latest = index.latest(key, variant);
      if (!latest) continue;
      const json& cell = *latest->cell;
      json oracles = oracle_counts(cell.value("oracles", json::object()));
      cells.push_back({{"key", key},
                       {"variant", variant},
                       {"run_id", latest->run->at("run_id")},
                       {"id", cell.value("id", "")},
                       {"verdict", cell.value("verdict", "error")},
                       {"status", cell.value("status", "")},
                       {"oracles", oracles["counts"]},
                       {"failed_oracles", oracles["failed"]},
                       {"evidence_href", evidence_href(evidence.size())}});
      json run = *latest->run;
      run.erase("cells");
      run.erase("series");
      evidence.push_back({std::move(run), cell});
    }
  return {{"keys", index.keys}, {"variants", index.variants}, {"cells", cells}};
}

// The --ab variants, checked against the history.
std::optional<std::pair<std::string, std::string>> ab_variants(const SiteIndex& index, const SiteOptions& options) {
  if (!options.ab) return std::nullopt;
  for (const std::string& variant : {options.ab->first, options.ab->second})
    if (std::find(index.variants.begin(), index.variants.end(), variant) == index.variants.end())
      throw UserError(fmt::format("--ab: no variant '{}' in the history (variants: {})", variant,
                                  index.variants.empty() ? std::string("none") : fmt::format("{}", fmt::join(index.variants, ", "))),
                      kExitBadInput);
  if (options.ab->first == options.ab->second)
    throw UserError("--ab: A and B must be two different variants", kExitBadInput);
  return options.ab;
}

}  // namespace

SiteData build_site_data(const json& history_export, const SiteOptions& options) {
  SiteIndex index(history_export);
  auto ab = ab_variants(index, options);
  SiteData site;
  json runs = json::array();
  for (const json& run : index.runs()) runs.push_back(run_summary(run, options.out_dir));
  site.data = {{"site_schema", kSiteSchema},
               {"generated_at", options.generated_at},
               {"variants", index.variants},
               {"runs", runs},
               {"matrix", matrix_view(index, site.evidence)},
               {"cdfs", cdf_view(index)},
               {"sweeps", sweep_view(index)},
               {"phases", phase_view(index)},
               {"trends", trend_view(index)},
               {"ab", ab_view(index, options.change, ab)}};
  return site;
}

}  // namespace poisonlab

#include "dashboard/evidence_page.h"

#include <fstream>

#include <fmt/format.h>

#include "common/error.h"
#include "dashboard/html.h"
#include "report/report.h"

namespace poisonlab {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A cell file without the raw observation (hundreds of MB for a large
// range), which the page does not show.
json parse_without_observation(std::ifstream& in) {
  json::parser_callback_t drop_observation = [](int depth, json::parse_event_t event, json& parsed) {
    return !(event == json::parse_event_t::key && depth == 1 && parsed == "observation");
  };
  return json::parse(in, drop_observation);
}

bool same_cell(const json& full, const json& export_cell) {
  return full.is_object() && full.value("id", "") == export_cell.value("id", "");
}

std::string text_of(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.is_null() ? "" : value.dump();
}

std::string pretty(const json& value) {
  std::string text = value.dump(2, ' ', false, json::error_handler_t::replace);
  if (text.size() <= kMaxEvidenceChars) return text;
  return text.substr(0, kMaxEvidenceChars) +
         fmt::format("\n... cut at {} of {} characters: the cell file holds it whole", kMaxEvidenceChars, text.size());
}

}  // namespace

const json* CellReader::report(const std::string& path, std::string& problem) {
  auto it = reports_.find(path);
  if (it == reports_.end()) {
    try {
      it = reports_.emplace(path, load_report(path)).first;
    } catch (const std::exception& e) {
      problem = e.what();
      reports_.emplace(path, json());
      return nullptr;
    }
  }
  return it->second.is_null() ? nullptr : &it->second;
}

CellEvidence CellReader::read(const json& export_cell) {
  const json& evidence = export_cell.value("evidence", json::object());
  const std::string cell_file = text_of(evidence.value("cell_file", json()));
  std::string problems;
  if (!cell_file.empty()) {
    std::ifstream in(cell_file, std::ios::binary);
    try {
      if (!in) throw std::runtime_error("cannot be opened");
      json full = parse_without_observation(in);
      if (same_cell(full, export_cell)) return {std::move(full), cell_file, ""};
      problems = cell_file + ": not the record of " + export_cell.value("id", "?") + "; ";
    } catch (const std::exception& e) {
      problems = cell_file + ": " + e.what() + "; ";
    }
  }
  const std::string report_path = text_of(evidence.value("report", json()));
  std::string problem;
  if (const json* report = this->report(report_path, problem)) {
    size_t index = evidence.value("index", size_t{0});
    const json& cells = (*report)["cells"];
    if (index < cells.size() && same_cell(cells[index], export_cell)) return {cells[index], report_path, ""};
    problem = fmt::format("{}: /cells/{} is not {}", report_path, index, export_cell.value("id", "?"));
  }
  return {nullptr, "", problems + problem};
}

namespace {

std::string verdict_class(const std::string& verdict) {
  return verdict == "pass" || verdict == "fail" || verdict == "skip" ? verdict : "error";
}

std::string link_or_missing(const std::string& path, const fs::path& page_dir, const std::string& css_class,
                            const std::string& label) {
  if (path.empty()) return "-";
  std::error_code ec;
  if (!fs::exists(path, ec))
    return fmt::format("{} (not found at <span class=\"mono\">{}</span>)", html_escape(label), html_escape(path));
  return fmt::format("<a class=\"{}\" href=\"{}\">{}</a>", css_class, html_escape(relative_href(path, page_dir)),
                     html_escape(label));
}

// (name, verdict, summary, evidence) of each oracle: from the cell read
// back when there is one, else the history's verdicts alone.
struct OracleRow {
  std::string name, verdict, summary;
  json evidence;
};

std::vector<OracleRow> oracle_rows(const json& export_cell, const CellEvidence& full) {
  std::vector<OracleRow> rows;
  if (full.cell.is_object() && full.cell.value("oracles", json()).is_array()) {
    for (const json& oracle : full.cell["oracles"])
      rows.push_back({text_of(oracle.value("name", json())), text_of(oracle.value("verdict", json())),
                      text_of(oracle.value("summary", json())), oracle.value("evidence", json())});
    return rows;
  }
  const json verdicts = export_cell.value("oracles", json::object());
  for (const auto& [name, verdict] : verdicts.items())
    rows.push_back({name, text_of(verdict), "", nullptr});
  return rows;
}

std::string oracle_table(const std::vector<OracleRow>& rows, const std::string& status) {
  if (rows.empty())
    return fmt::format("<p class=\"no-oracles empty\">No oracle judged this cell (status: {}).</p>\n", html_escape(status));
  std::string out = "<table class=\"oracles\">\n<thead><tr><th>oracle</th><th>verdict</th><th>summary</th></tr></thead><tbody>\n";
  for (const OracleRow& row : rows)
    out += fmt::format("<tr><th class=\"key mono\"><a href=\"#oracle-{0}\">{0}</a></th><td class=\"verdict {1}\">{2}</td><td>{3}</td></tr>\n",
                       html_escape(row.name), verdict_class(row.verdict), html_escape(row.verdict), html_escape(row.summary));
  return out + "</tbody></table>\n";
}

std::string evidence_sections(const std::vector<OracleRow>& rows) {
  std::string out;
  for (const OracleRow& row : rows) {
    if (row.evidence.is_null()) continue;
    out += fmt::format("<details id=\"oracle-{0}\"{1}><summary><span class=\"mono\">{0}</span>: "
                       "<span class=\"verdict-chip {2}\">{3}</span></summary>\n<pre>{4}</pre></details>\n",
                       html_escape(row.name), row.verdict == "fail" ? " open" : "", verdict_class(row.verdict),
                       html_escape(row.verdict), html_escape(pretty(row.evidence)));
  }
  return out.empty() ? "" : "<h2>Evidence</h2>\n" + out;
}

// What ended a cell that did not complete, and its notify-path summary.
std::string cell_details(const json& cell) {
  std::string out;
  for (const char* field : {"error", "kernel_problems", "partial"}) {
    const json& value = cell.value(field, json());
    if (value.is_null() || (value.is_array() && value.empty())) continue;
    out += fmt::format("<h3 class=\"mono\">{}</h3>\n<pre>{}</pre>\n", field,
                       html_escape(value.is_string() ? value.get<std::string>() : pretty(value)));
  }
  if (!out.empty()) out = "<h2>What ended the cell</h2>\n" + out;
  return out;
}

}  // namespace

std::string evidence_page_html(const EvidenceRef& ref, const CellEvidence& full, const fs::path& page_dir) {
  const json& cell = ref.cell;
  const std::string id = text_of(cell.value("id", json())), verdict = text_of(cell.value("verdict", json()));
  const std::string status = text_of(cell.value("status", json()));
  const json& evidence = cell.value("evidence", json::object());
  std::vector<OracleRow> rows = oracle_rows(cell, full);

  std::string html = fmt::format(
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{0}: evidence</title>\n"
      "<link rel=\"stylesheet\" href=\"../styles.css\">\n</head>\n<body class=\"evidence-page\">\n<main>\n"
      "<p><a href=\"../index.html#matrix\">&larr; dashboard</a></p>\n<h1 class=\"mono\">{0}</h1>\n",
      html_escape(id));
  html += fmt::format(
      "<p class=\"meta\">variant <b>{}</b> &middot; cell key <span class=\"mono\">{}</span> &middot; kernel release {} "
      "&middot; run <span class=\"mono\">{}</span> ({}, started {}, {})</p>\n",
      html_escape(text_of(cell.value("variant", json()))), html_escape(text_of(cell.value("key", json()))),
      html_escape(text_of(cell.value("release", json("unknown")))), html_escape(text_of(ref.run.value("run_id", json()))),
      html_escape(text_of(ref.run.value("scenario", json()))), html_escape(text_of(ref.run.value("started_at", json()))),
      html_escape(text_of(ref.run.value("status", json("unfinished")))));
  html += fmt::format("<p>verdict <span class=\"verdict-chip {}\">{}</span> &middot; status {}</p>\n",
                      verdict_class(verdict), html_escape(verdict), html_escape(status));
  html += fmt::format("<p>report: {} (cell {}) &middot; cell file: {}</p>\n",
                      link_or_missing(text_of(evidence.value("report", json())), page_dir, "report-link", "report.json"),
                      html_escape(text_of(evidence.value("index", json()))),
                      link_or_missing(text_of(evidence.value("cell_file", json())), page_dir, "cell-file-link",
                                      fs::path(text_of(evidence.value("cell_file", json()))).filename().string()));
  if (!full.problem.empty())
    html += fmt::format("<p class=\"error\">The cell could not be read back, so only the verdicts the history keeps are shown: {}</p>\n",
                        html_escape(full.problem));
  html += "<h2>Oracles</h2>\n" + oracle_table(rows, status) + evidence_sections(rows);
  if (full.cell.is_object()) html += cell_details(full.cell);
  const json& notify = cell.value("notify_summary", json());
  if (notify.is_object() && !notify.empty())
    html += "<h2>Notify path</h2>\n<pre>" + html_escape(pretty(notify)) + "</pre>\n";
  return html + "</main>\n</body>\n</html>\n";
}

}  // namespace poisonlab

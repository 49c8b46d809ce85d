#include "dashboard/evidence_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "dashboard/html.h"
#include "report/report.h"

namespace poisonlab {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(Html, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(html_escape(R"(<a href="x">'&'</a>)"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain text"), "plain text");
}

TEST(Html, RelativeHrefClimbsOutOfThePageDirectoryAndEncodes) {
  EXPECT_EQ(relative_href("/data/results/run 1/report.json", "/data/site/evidence"), "../../results/run%201/report.json");
  EXPECT_EQ(relative_href("/data/site/index.html", "/data/site"), "index.html");
  EXPECT_EQ(relative_href("/r/a#b?.json", "/r"), "a%23b%3F.json");
}

json export_cell(const std::string& report, const std::string& cell_file, size_t index = 0) {
  return {{"variant", "debian-6.12"},
          {"key", "raw/xfs/madvise"},
          {"id", "debian-6.12/raw/xfs/madvise"},
          {"release", "6.12.57"},
          {"verdict", "fail"},
          {"status", "completed"},
          {"oracles", {{"expected_victims", "fail"}, {"dax_active", "pass"}}},
          {"evidence", {{"report", report}, {"cell_file", cell_file.empty() ? json() : json(cell_file)}, {"index", index}}},
          {"samples", {{"revocation_ms", {1.0}}}},
          {"notify_summary", {{"holder", 3}}}};
}

json report_cell() {
  return {{"id", "debian-6.12/raw/xfs/madvise"},
          {"verdict", "fail"},
          {"status", "completed"},
          {"oracles",
           {{{"name", "dax_active"}, {"verdict", "pass"}, {"evidence", {{"probe", "ok"}}}, {"summary", "DAX on"}},
            {{"name", "expected_victims"},
             {"verdict", "fail"},
             {"evidence", {{"log", "<script>alert(1)</script>"}}},
             {"summary", "ek-1 missed <BUS_MCEERR_AO> & more"}}}},
          {"observation", {{"trials", json::array({{{"huge", "raw data"}}})}}}};
}

EvidenceRef ref_of(const json& cell) {
  return {{{"run_id", "r1"}, {"scenario", "kernels-ab"}, {"started_at", "2025-11-01T00:00:00Z"}, {"status", "failed"}}, cell};
}

TEST(CellReader, ReadsTheCellFileWithoutItsObservation) {
  TempDir dir;
  auto file = dir.write("report.cells/0000.json", report_cell().dump());
  CellEvidence read = CellReader().read(export_cell((dir / "report.json").string(), file.string()));
  EXPECT_EQ(read.problem, "");
  EXPECT_EQ(read.source, file.string());
  EXPECT_FALSE(read.cell.contains("observation"));
  EXPECT_EQ(read.cell["oracles"][1]["summary"], "ek-1 missed <BUS_MCEERR_AO> & more");
}

TEST(CellReader, FallsBackToTheReportWhenTheCellFileIsGone) {
  TempDir dir;
  json report = {{"schema_version", kReportSchemaVersion}, {"run", {{"id", "r1"}}}, {"kernels", json::array()},
                 {"cells", json::array({report_cell()})}};
  auto path = dir.write("report.json", report.dump());
  CellEvidence read = CellReader().read(export_cell(path.string(), (dir / "missing.json").string()));
  EXPECT_EQ(read.problem, "");
  EXPECT_EQ(read.source, path.string());
  EXPECT_EQ(read.cell["oracles"].size(), 2u);
}

TEST(CellReader, SaysWhyWhenNeitherFileHoldsTheCell) {
  TempDir dir;
  json other = report_cell();
  other["id"] = "debian-6.1/raw/xfs/madvise";
  auto file = dir.write("cell.json", other.dump());
  CellEvidence read = CellReader().read(export_cell((dir / "gone.json").string(), file.string()));
  EXPECT_TRUE(read.cell.is_null());
  EXPECT_THAT(read.problem, HasSubstr("not the record of debian-6.12/raw/xfs/madvise"));
  EXPECT_THAT(read.problem, HasSubstr("gone.json"));
}

TEST(EvidencePage, ListsTheOraclesEscapedWithTheFailingEvidenceOpen) {
  TempDir dir;
  auto report = dir.write("results/r1/report.json", "{}");
  json cell = export_cell(report.string(), "");
  std::string html = evidence_page_html(ref_of(cell), {report_cell(), "x", ""}, dir / "site" / "evidence");
  EXPECT_THAT(html, HasSubstr("<table class=\"oracles\">"));
  EXPECT_THAT(html, HasSubstr("ek-1 missed &lt;BUS_MCEERR_AO&gt; &amp; more"));
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("<details id=\"oracle-expected_victims\" open>"));
  EXPECT_THAT(html, HasSubstr("<details id=\"oracle-dax_active\">"));
  EXPECT_THAT(html, HasSubstr("class=\"report-link\" href=\"../../results/r1/report.json\""));
  EXPECT_THAT(html, HasSubstr("&quot;holder&quot;: 3"));
  EXPECT_THAT(html, HasSubstr("kernel release 6.12.57"));
}

TEST(EvidencePage, WithoutTheCellShowsTheHistorysVerdictsAndTheProblem) {
  json cell = export_cell("/nowhere/report.json", "");
  std::string html = evidence_page_html(ref_of(cell), {nullptr, "", "/nowhere/report.json: cannot be read"}, "/site/evidence");
  EXPECT_THAT(html, HasSubstr("only the verdicts the history keeps"));
  EXPECT_THAT(html, HasSubstr("/nowhere/report.json: cannot be read"));
  EXPECT_THAT(html, HasSubstr("oracle-expected_victims"));
  EXPECT_THAT(html, HasSubstr("report.json (not found at"));
  EXPECT_THAT(html, Not(HasSubstr("report-link")));
}

TEST(EvidencePage, ACellWithoutOraclesSaysSoAndShowsWhatEndedIt) {
  json cell = export_cell("/nowhere/report.json", "");
  cell["oracles"] = json::object();
  cell["verdict"] = "error";
  cell["status"] = "hang";
  json full = {{"id", cell["id"]}, {"oracles", json::array()}, {"error", "no message from the agent for 120 s"}};
  std::string html = evidence_page_html(ref_of(cell), {full, "x", ""}, "/site/evidence");
  EXPECT_THAT(html, HasSubstr("class=\"no-oracles"));
  EXPECT_THAT(html, HasSubstr("status: hang"));
  EXPECT_THAT(html, HasSubstr("no message from the agent for 120 s"));
  EXPECT_THAT(html, Not(HasSubstr("<h2>Evidence</h2>")));
}

TEST(EvidencePage, CutsVeryLongEvidence) {
  json full = report_cell();
  full["oracles"][0]["evidence"] = {{"pages", std::vector<int>(200000, 7)}};
  std::string html = evidence_page_html(ref_of(export_cell("/r.json", "")), {full, "x", ""}, "/site/evidence");
  EXPECT_THAT(html, HasSubstr("cut at 262144 of"));
  EXPECT_LT(html.size(), kMaxEvidenceChars + 20000);
}

}  // namespace
}  // namespace poisonlab

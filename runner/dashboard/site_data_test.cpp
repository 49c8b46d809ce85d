#include "dashboard/site_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace poisonlab {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A cell of the history export (history/history_export.h).
json cell(const std::string& variant, const std::string& key, const std::string& verdict,
          std::vector<double> revocation_ms, json phases_ms = json::object()) {
  json samples = {{"revocation_ms", revocation_ms}};
  for (const auto& [phase, values] : phases_ms.items()) samples[phase + "_ms"] = values;
  json oracles = {{"expected_victims", verdict == "fail" ? "fail" : "pass"}, {"pread_media_error", "skip"}};
  return {{"variant", variant},
          {"key", key},
          {"id", variant + "/" + key},
          {"release", nullptr},
          {"verdict", verdict},
          {"status", verdict == "error" ? "hang" : "completed"},
          {"oracles", verdict == "error" ? json::object() : oracles},
          {"evidence", {{"report", "/results/" + variant + "/report.json"}, {"cell_file", nullptr}, {"index", 0}}},
          {"samples", samples},
          {"notify_summary", nullptr}};
}

// Vectors, not json: a braced list of one json would be copied, not made an array.
json run(const std::string& id, const std::string& started_at, std::vector<json> cells, std::vector<json> series = {}) {
  json variants = json::array();
  for (const json& c : cells)
    if (std::find(variants.begin(), variants.end(), c["variant"]) == variants.end()) variants.push_back(c["variant"]);
  return {{"run_id", id},        {"scenario", "kernels-ab"}, {"started_at", started_at}, {"finished_at", started_at},
          {"status", "passed"},  {"report_path", "/results/" + id + "/report.json"},    {"git_sha", nullptr},
          {"variants", variants}, {"series", series},          {"cells", cells}};
}

json history(std::vector<json> runs) { return {{"history_schema", 1}, {"runs", runs}}; }

SiteOptions options() {
  SiteOptions o;
  o.generated_at = "2025-12-01T00:00:00Z";
  o.out_dir = "/site";
  return o;
}

const std::vector<double> kSlow = {10, 11, 12, 13, 14, 15, 16, 17};
const std::vector<double> kFast = {5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5};

TEST(SiteData, EmptyHistoryGivesEmptyViewsAndSaysWhyTheAbViewIsEmpty) {
  SiteData site = build_site_data(history({}), options());
  const json& d = site.data;
  EXPECT_EQ(d["site_schema"], kSiteSchema);
  EXPECT_EQ(d["generated_at"], "2025-12-01T00:00:00Z");
  EXPECT_TRUE(d["runs"].empty());
  EXPECT_TRUE(d["matrix"]["cells"].empty());
  EXPECT_TRUE(d["matrix"]["keys"].empty());
  EXPECT_TRUE(d["cdfs"].empty());
  EXPECT_TRUE(d["sweeps"].empty());
  EXPECT_TRUE(d["phases"]["bars"].empty());
  EXPECT_TRUE(d["trends"].empty());
  EXPECT_TRUE(d["ab"]["rows"].empty());
  EXPECT_THAT(d["ab"]["reason"].get<std::string>(), HasSubstr("No runs"));
  EXPECT_TRUE(site.evidence.empty());
}

TEST(SiteData, RefusesAnExportOfAnotherSchemaOrACellWithoutKey) {
  try {
    build_site_data({{"history_schema", 2}, {"runs", json::array()}}, options());
    FAIL() << "schema 2 accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/history_schema");
  }
  json bad = history({run("r1", "2025-11-01T00:00:00Z", {cell("k1", "raw/madvise", "pass", kSlow)})});
  bad["runs"][0]["cells"][0].erase("key");
  try {
    build_site_data(bad, options());
    FAIL() << "cell without key accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/runs/0/cells/0/key");
    EXPECT_EQ(e.exit_code(), kExitBadInput);
  }
}

TEST(SiteData, MatrixShowsTheLatestRunOfEachKeyAndVariantWithAnEvidencePageEach) {
  json h = history({run("old", "2025-11-01T00:00:00Z", {cell("k1", "raw/madvise", "pass", kSlow), cell("k1", "dm/madvise", "pass", kSlow)}),
                    run("new", "2025-11-02T00:00:00Z", {cell("k1", "raw/madvise", "fail", kSlow)}),
                    run("other", "2025-11-03T00:00:00Z", {cell("k2", "raw/madvise", "error", {})})});
  SiteData site = build_site_data(h, options());
  const json& m = site.data["matrix"];
  EXPECT_EQ(m["variants"], json({"k1", "k2"}));
  EXPECT_EQ(m["keys"], json({"raw/madvise", "dm/madvise"}));
  ASSERT_EQ(m["cells"].size(), 3u);  // dm/madvise never ran on k2
  EXPECT_EQ(m["cells"][0]["run_id"], "new");
  EXPECT_EQ(m["cells"][0]["verdict"], "fail");
  EXPECT_EQ(m["cells"][0]["failed_oracles"], json({"expected_victims"}));
  EXPECT_EQ(m["cells"][0]["oracles"], json({{"pass", 0}, {"fail", 1}, {"skip", 1}}));
  EXPECT_EQ(m["cells"][1]["variant"], "k2");
  EXPECT_EQ(m["cells"][1]["status"], "hang");
  EXPECT_EQ(m["cells"][2]["run_id"], "old");
  ASSERT_EQ(site.evidence.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(m["cells"][i]["evidence_href"], evidence_href(i));
    EXPECT_EQ(site.evidence[i].cell["id"], m["cells"][i]["id"]);
    EXPECT_EQ(site.evidence[i].run["run_id"], m["cells"][i]["run_id"]);
    EXPECT_FALSE(site.evidence[i].run.contains("cells"));
  }
  EXPECT_EQ(evidence_href(12), "evidence/12.html");
}

TEST(SiteData, RunsAreSummarisedWithVerdictCountsAndARelativeReportLink) {
  json h = history({run("r1", "2025-11-01T00:00:00Z",
                        {cell("k1", "a", "pass", kSlow), cell("k1", "b", "fail", kSlow), cell("k1", "c", "error", {})})});
  SiteData site_r = build_site_data(h, options());
  const json& r = site_r.data["runs"][0];
  EXPECT_EQ(r["cells"], 3);
  EXPECT_EQ(r["verdicts"], json({{"pass", 1}, {"fail", 1}, {"error", 1}}));
  EXPECT_EQ(r["report_href"], "../results/r1/report.json");
  EXPECT_EQ(r["variants"], json({"k1"}));
}

TEST(SiteData, CdfsHoldEachVariantsSortedSamplesOfItsLatestRun) {
  json h = history({run("r1", "2025-11-01T00:00:00Z", {cell("k1", "a", "pass", {3, 1, 2}), cell("k2", "a", "pass", {9, 7}),
                                                      cell("k1", "none", "error", {})})});
  SiteData site_cdfs = build_site_data(h, options());
  const json& cdfs = site_cdfs.data["cdfs"];
  ASSERT_EQ(cdfs.size(), 1u);  // "none" has no sample
  EXPECT_EQ(cdfs[0]["key"], "a");
  EXPECT_EQ(cdfs[0]["series"][0]["samples_ms"], json({1, 2, 3}));
  EXPECT_EQ(cdfs[0]["series"][1]["variant"], "k2");
  EXPECT_EQ(cdfs[0]["series"][1]["samples_ms"], json({7, 9}));
}

TEST(SiteData, TrendsTakeEveryRunsNearestRankP50InDateOrder) {
  json h = history({run("r1", "2025-11-01T00:00:00Z", {cell("k1", "a", "pass", {4, 1, 3, 2})}),
                    run("r2", "2025-11-02T00:00:00Z", {cell("k1", "a", "error", {})}),
                    run("r3", "2025-11-03T00:00:00Z", {cell("k1", "a", "pass", {5, 6, 7})})});
  SiteData site_trends = build_site_data(h, options());
  const json& trends = site_trends.data["trends"];
  ASSERT_EQ(trends.size(), 1u);
  const json& points = trends[0]["lines"][0]["points"];
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0]["p50_ms"], 2.0);  // nearest rank: the 2nd of 4, not 2.5
  EXPECT_EQ(points[0]["n"], 4);
  EXPECT_TRUE(points[1]["p50_ms"].is_null());
  EXPECT_EQ(points[2]["p50_ms"], 6.0);
  EXPECT_EQ(points[2]["started_at"], "2025-11-03T00:00:00Z");
}

json series(const std::string& name, const std::string& parameter, json points, json fits) {
  return {{"series", name}, {"parameter", parameter}, {"points", points}, {"fits", fits}, {"variant", name.substr(0, name.find('/'))}};
}

TEST(SiteData, SweepsTakeTheLatestSeriesOfEachVariantWithItsFitAndSkipTraceSeries) {
  json fit_old = {{"ok", true}, {"slope", 0.3}}, fit_new = {{"ok", true}, {"slope", 0.9}};
  json point = {{"value", 8}, {"revocation_ms_p50", 4.5}, {"cell", "k1/raw/madvise@pages=8"}};
  json h = history(
      {run("r1", "2025-11-01T00:00:00Z", {},
           {series("k1/raw/madvise", "pages", {point}, {{"revocation_ms_p50", fit_old}})}),
       run("r2", "2025-11-02T00:00:00Z", {},
           {series("k1/raw/madvise", "pages", {point}, {{"revocation_ms_p50", fit_new}}),
            series("k2/raw/madvise", "pages", {point}, {{"revocation_ms_p50", fit_old}}),
            series("k1/raw/trace", "trace", {point}, nullptr)})});
  SiteData site_sweeps = build_site_data(h, options());
  const json& sweeps = site_sweeps.data["sweeps"];
  ASSERT_EQ(sweeps.size(), 1u);
  EXPECT_EQ(sweeps[0]["series"], "raw/madvise");
  EXPECT_EQ(sweeps[0]["parameter"], "pages");
  ASSERT_EQ(sweeps[0]["lines"].size(), 2u);
  EXPECT_EQ(sweeps[0]["lines"][0]["run_id"], "r2");
  EXPECT_EQ(sweeps[0]["lines"][0]["fit"]["slope"], 0.9);
  EXPECT_EQ(sweeps[0]["lines"][0]["points"][0], json({{"x", 8}, {"y", 4.5}, {"cell", "k1/raw/madvise@pages=8"}}));
  EXPECT_EQ(sweeps[0]["lines"][1]["variant"], "k2");
}

TEST(SiteData, PhasesStackEachPhasesP50AndTheFirstToLastSignalRemainder) {
  json phases = {{"memory_failure_first", {1, 2, 3}},
                 {"notify_to_unmap_done", {4, 4, 4}},
                 {"inject_to_first_signal", {5, 6, 7}},
                 {"inject_to_last_signal", {20, 30, 40}}};
  json h = history({run("r1", "2025-11-01T00:00:00Z", {cell("k1", "a", "pass", {30, 31, 32}, phases)})});
  SiteData site_view = build_site_data(h, options());
  const json& view = site_view.data["phases"];
  EXPECT_EQ(view["first_page"].size(), 5u);
  EXPECT_EQ(view["first_page"][0], "memory_failure_first");
  EXPECT_EQ(view["range"], json({"inject_to_first_signal", "first_to_last_signal"}));
  ASSERT_EQ(view["bars"].size(), 1u);
  const json& medians = view["bars"][0]["median_ms"];
  EXPECT_EQ(medians["memory_failure_first"], 2.0);
  EXPECT_EQ(medians["notify_to_unmap_done"], 4.0);
  EXPECT_TRUE(medians["memory_failure_to_notify"].is_null());
  EXPECT_EQ(medians["inject_to_first_signal"], 6.0);
  EXPECT_EQ(medians["first_to_last_signal"], 24.0);  // 30 - 6
  EXPECT_EQ(view["bars"][0]["revocation_p50_ms"], 31.0);
}

TEST(SiteData, AbComparesTheFirstTwoVariantsCellByCellAndMarksSignificantRows) {
  json h = history({run("a1", "2025-11-01T00:00:00Z",
                        {cell("k1", "faster", "pass", kSlow), cell("k1", "same", "pass", kSlow), cell("k1", "only-a", "pass", kSlow)}),
                    run("b1", "2025-11-02T00:00:00Z",
                        {cell("k2", "faster", "pass", kFast), cell("k2", "same", "pass", kSlow), cell("k2", "only-b", "pass", kSlow)})});
  SiteData site_ab = build_site_data(h, options());
  const json& ab = site_ab.data["ab"];
  EXPECT_EQ(ab["a"], "k1");
  EXPECT_EQ(ab["b"], "k2");
  EXPECT_TRUE(ab["reason"].is_null());
  EXPECT_EQ(ab["only_a"], json({"only-a"}));
  EXPECT_EQ(ab["only_b"], json({"only-b"}));
  ASSERT_EQ(ab["rows"].size(), 2u);
  const json &faster = ab["rows"][0], &same = ab["rows"][1];
  EXPECT_EQ(faster["key"], "faster");
  EXPECT_EQ(faster["call"], "faster");
  EXPECT_TRUE(faster["significant"].get<bool>());
  EXPECT_LT(faster["ratio"]["value"].get<double>(), 0.6);
  EXPECT_LT(faster["q_value"].get<double>(), 0.05);
  EXPECT_EQ(faster["a_run"], "a1");
  EXPECT_EQ(faster["b_run"], "b1");
  EXPECT_EQ(same["call"], "no change");
  EXPECT_FALSE(same["significant"].get<bool>());
  EXPECT_DOUBLE_EQ(same["ratio"]["value"].get<double>(), 1.0);
}

TEST(SiteData, AbTakesTheChosenVariantsAndRefusesUnknownOnes) {
  json h = history({run("r1", "2025-11-01T00:00:00Z",
                        {cell("k1", "x", "pass", kSlow), cell("k2", "x", "pass", kSlow), cell("k3", "x", "pass", kFast)})});
  SiteOptions o = options();
  o.ab = {{"k3", "k1"}};
  SiteData site_ab = build_site_data(h, o);
  const json& ab = site_ab.data["ab"];
  EXPECT_EQ(ab["a"], "k3");
  EXPECT_EQ(ab["rows"][0]["call"], "slower");
  o.ab = {{"k1", "nope"}};
  try {
    build_site_data(h, o);
    FAIL() << "unknown variant accepted";
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_THAT(e.what(), HasSubstr("nope"));
    EXPECT_THAT(e.what(), HasSubstr("k1, k2, k3"));
  }
  o.ab = {{"k1", "k1"}};
  EXPECT_THROW(build_site_data(h, o), UserError);
}

TEST(SiteData, AbWithOneVariantSaysItNeedsTwo) {
  json h = history({run("r1", "2025-11-01T00:00:00Z", {cell("k1", "x", "error", {})})});
  SiteData site_ab = build_site_data(h, options());
  const json& ab = site_ab.data["ab"];
  EXPECT_TRUE(ab["rows"].empty());
  EXPECT_THAT(ab["reason"].get<std::string>(), HasSubstr("Only one variant (k1)"));
}

}  // namespace
}  // namespace poisonlab

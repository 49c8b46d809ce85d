#include "dashboard/site_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/temp_dir.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

void write_assets(const TempDir& dir) {
  for (const char* asset : kDashboardAssets) dir.write(fs::path("assets") / asset, std::string("asset ") + asset);
}

SiteData site_with_pages(size_t pages) {
  SiteData site;
  site.data = {{"site_schema", kSiteSchema}, {"runs", json::array()}, {"note", "</script> & \xff"}};
  for (size_t i = 0; i < pages; ++i)
    site.evidence.push_back({{{"run_id", "r1"}},
                             {{"id", "k/cell" + std::to_string(i)},
                              {"verdict", "pass"},
                              {"oracles", {{"dax_active", "pass"}}},
                              {"evidence", {{"report", "/nowhere/report.json"}, {"cell_file", nullptr}, {"index", i}}}}});
  return site;
}

TEST(SiteWriter, MissingAssetsAreAnErrorSayingHowToBuildThem) {
  TempDir dir;
  try {
    write_site(site_with_pages(0), dir / "no-assets", dir / "site");
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), kExitFailure);
    EXPECT_THAT(e.what(), HasSubstr("not built"));
    EXPECT_THAT(e.what(), HasSubstr("node reports/dashboard/build.mjs"));
  }
  EXPECT_FALSE(fs::exists(dir / "site"));
}

TEST(SiteWriter, WritesTheAssetsTheDataScriptAndOneEvidencePageACell) {
  TempDir dir;
  write_assets(dir);
  SiteData site = site_with_pages(2);
  EXPECT_EQ(write_site(site, dir / "assets", dir / "site"), 2u);
  for (const char* asset : kDashboardAssets) EXPECT_EQ(read_file(dir / "site" / asset), std::string("asset ") + asset);
  std::string script = read_file(dir / "site" / "data.js");
  const std::string prefix = "window.POISONLAB_DATA = ";
  size_t start = script.find(prefix);
  ASSERT_NE(start, std::string::npos);
  std::string literal = script.substr(start + prefix.size());
  literal = literal.substr(0, literal.rfind(';'));
  json back = json::parse(literal);
  EXPECT_EQ(back["site_schema"], kSiteSchema);
  EXPECT_EQ(back["note"], "</script> & \xef\xbf\xbd");  // invalid UTF-8 replaced, not fatal
  EXPECT_THAT(read_file(dir / "site" / "evidence" / "1.html"), HasSubstr("k/cell1"));
  EXPECT_TRUE(fs::exists(dir / "site" / "evidence" / "0.html"));
}

TEST(SiteWriter, ReplacesAnEarlierDashboardAndItsStaleEvidencePages) {
  TempDir dir;
  write_assets(dir);
  write_site(site_with_pages(3), dir / "assets", dir / "site");
  dir.write("site/evidence/notes.txt", "mine");
  write_site(site_with_pages(1), dir / "assets", dir / "site");
  EXPECT_TRUE(fs::exists(dir / "site" / "evidence" / "0.html"));
  EXPECT_FALSE(fs::exists(dir / "site" / "evidence" / "1.html"));
  EXPECT_FALSE(fs::exists(dir / "site" / "evidence" / "2.html"));
  EXPECT_EQ(read_file(dir / "site" / "evidence" / "notes.txt"), "mine");
}

TEST(SiteWriter, RefusesADirectoryHoldingSomethingElse) {
  TempDir dir;
  write_assets(dir);
  dir.write("elsewhere/index.html", "someone's page");
  try {
    write_site(site_with_pages(1), dir / "assets", dir / "elsewhere");
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_THAT(e.what(), HasSubstr("no dashboard"));
  }
  EXPECT_EQ(read_file(dir / "elsewhere" / "index.html"), "someone's page");
  EXPECT_FALSE(fs::exists(dir / "elsewhere" / "data.js"));
}

}  // namespace
}  // namespace poisonlab

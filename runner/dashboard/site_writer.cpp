#include "dashboard/site_writer.h"

#include <regex>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "dashboard/evidence_page.h"

namespace poisonlab {

namespace fs = std::filesystem;

void check_dashboard_assets(const fs::path& assets_dir) {
  for (const char* asset : kDashboardAssets)
    if (!fs::is_regular_file(assets_dir / asset))
      throw UserError(fmt::format(
          "the dashboard's assets are not built: {} is missing. Build them with `cmake --build build` (needs node "
          "and `npm ci` in reports/) or `node reports/dashboard/build.mjs {}`, or point --assets at a built copy",
          (assets_dir / asset).string(), assets_dir.string()));
}

namespace {

void refuse_foreign_directory(const fs::path& out_dir) {
  if (!fs::exists(out_dir)) return;
  if (!fs::is_directory(out_dir))
    throw UserError(fmt::format("--out {}: exists and is not a directory", out_dir.string()), kExitBadInput);
  if (!fs::is_empty(out_dir) && !fs::exists(out_dir / "data.js"))
    throw UserError(fmt::format("--out {}: the directory holds files but no dashboard (no data.js); choose a new or "
                                "empty directory so nothing there is overwritten",
                                out_dir.string()),
                    kExitBadInput);
}

// Evidence pages of an earlier build (numbered pages only).
void remove_old_evidence(const fs::path& evidence_dir) {
  static const std::regex kPage(R"(\d+\.html)");
  if (!fs::is_directory(evidence_dir)) return;
  for (const auto& entry : fs::directory_iterator(evidence_dir))
    if (entry.is_regular_file() && std::regex_match(entry.path().filename().string(), kPage)) fs::remove(entry.path());
}

void write_data_script(const nlohmann::json& data, const fs::path& file) {
  write_file_atomic(file, [&](std::ostream& out) {
    out << "// poisonlab dashboard data (site_schema " << kSiteSchema << "), written by `poisonlab dashboard`.\n"
        << "window.POISONLAB_DATA = " << data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << ";\n";
  });
}

}  // namespace

size_t write_site(const SiteData& site, const fs::path& assets_dir, const fs::path& out_dir) {
  check_dashboard_assets(assets_dir);
  refuse_foreign_directory(out_dir);
  const fs::path evidence_dir = out_dir / "evidence";
  fs::create_directories(evidence_dir);
  remove_old_evidence(evidence_dir);
  for (const char* asset : kDashboardAssets) write_file_atomic(out_dir / asset, read_file(assets_dir / asset));
  CellReader reader;
  for (size_t i = 0; i < site.evidence.size(); ++i) {
    const EvidenceRef& ref = site.evidence[i];
    write_file_atomic(out_dir / evidence_href(i), evidence_page_html(ref, reader.read(ref.cell), evidence_dir));
  }
  // Last: a directory with data.js is a complete dashboard.
  write_data_script(site.data, out_dir / "data.js");
  return site.evidence.size();
}

}  // namespace poisonlab

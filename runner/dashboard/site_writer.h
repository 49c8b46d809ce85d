#pragma once
// Writes the static site: the built assets (reports/dashboard/build.mjs:
// index.html, dashboard.js, styles.css), data.js (the site data as a
// script: a page opened from file:// can run scripts but not fetch files)
// and one evidence page per matrix cell.
#include <cstddef>
#include <filesystem>

#include "dashboard/site_data.h"

namespace poisonlab {

inline constexpr const char* kDashboardAssets[] = {"index.html", "dashboard.js", "styles.css"};

// UserError (exit 1) when an asset is missing from assets_dir, saying how
// to build them.
void check_dashboard_assets(const std::filesystem::path& assets_dir);

// Writes the site into out_dir (created when missing). A directory that
// already holds files but no dashboard (no data.js) is refused (exit 2), so
// nothing of someone else's is overwritten; a dashboard there is replaced,
// its old evidence pages too. Returns the number of evidence pages.
size_t write_site(const SiteData& site, const std::filesystem::path& assets_dir, const std::filesystem::path& out_dir);

}  // namespace poisonlab

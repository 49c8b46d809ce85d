// `poisonlab dashboard --history DB --out DIR`: the history as a static
// site (reports/dashboard/README.md) that opens from file:// with no server
// and no network.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/error.h"
#include "common/fs_util.h"
#include "dashboard/site_data.h"
#include "dashboard/site_writer.h"
#include "history/history_export.h"
#include "history/history_store.h"
#include "run/run_metadata.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;

// Where the build put the site's assets (the pl_dashboard_assets target);
// beside the binary when the build did not say.
fs::path default_assets_dir() {
#ifdef POISONLAB_DASHBOARD_ASSETS_DIR
  return POISONLAB_DASHBOARD_ASSETS_DIR;
#else
  return executable_dir() / "dashboard-assets";
#endif
}

std::pair<std::string, std::string> parse_ab(const std::string& text) {
  size_t comma = text.find(',');
  if (comma == std::string::npos || comma == 0 || comma + 1 == text.size() ||
      text.find(',', comma + 1) != std::string::npos)
    throw UserError(fmt::format("--ab {}: expected two variants, A,B (e.g. debian-6.1,debian-6.12)", text), kExitBadInput);
  return {text.substr(0, comma), text.substr(comma + 1)};
}

struct DashboardRequest {
  fs::path history, out, assets = default_assets_dir();
  std::string ab;
  double threshold_pct = 10;
  SiteOptions site;
};

void build_dashboard(DashboardRequest& request) {
  check_dashboard_assets(request.assets);  // before any work: the common mistake
  HistoryStore store(request.history.empty() ? default_history_path() : request.history, HistoryStore::Mode::read_only);
  request.site.change.threshold = request.threshold_pct / 100;
  if (!request.ab.empty()) request.site.ab = parse_ab(request.ab);
  request.site.generated_at = utc_timestamp();
  request.site.out_dir = fs::absolute(request.out);
  SiteData site = build_site_data(export_history(store), request.site);
  size_t pages = write_site(site, request.assets, request.out);
  std::cout << fmt::format("dashboard: {} ({} runs, {} matrix cells, {} evidence pages)\n",
                           (request.out / "index.html").string(), site.data["runs"].size(),
                           site.data["matrix"]["cells"].size(), pages);
}

}  // namespace

void add_dashboard_command(CLI::App& app, int& exit_code) {
  static DashboardRequest request;
  auto* dashboard = app.add_subcommand("dashboard", "Write the run history as a static site (open DIR/index.html)");
  dashboard->add_option("--history,--db", request.history,
                        "History store (default: $POISONLAB_HISTORY, else results/history.sqlite)");
  dashboard->add_option("--out", request.out, "Directory to write the site into")->required();
  dashboard->add_option("--assets", request.assets, "The built site assets (default: the build's dashboard-assets)")
      ->capture_default_str();
  dashboard->add_option("--ab", request.ab, "Variants of the A/B view, A,B (default: the first two in the history)");
  dashboard->add_option("--threshold", request.threshold_pct,
                        "A/B: smallest change of the median that is called, in % (default 10)")
      ->check(CLI::NonNegativeNumber);
  dashboard->add_option("--alpha", request.site.change.alpha, "A/B: a change is called when its BH q-value is below this (default 0.05)")
      ->check(CLI::Range(1e-9, 1.0));
  dashboard->callback([&exit_code] {
    build_dashboard(request);
    exit_code = kExitOk;
  });
}

}  // namespace poisonlab

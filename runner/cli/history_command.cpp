// `poisonlab history`: add reports to the history store, show a cell's
// latency over runs, find regressions of the latest run (reports/history.md).
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "common/error.h"
#include "common/fs_util.h"
#include "history/history_export.h"
#include "history/history_regressions.h"
#include "history/history_store.h"
#include "history/history_trend.h"
#include "run/run_dir.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;

const char* const kDbHelp = "History store (default: $POISONLAB_HISTORY, else results/history.sqlite)";

fs::path store_path(const fs::path& db) { return db.empty() ? default_history_path() : db; }

// Every report is read and checked before the store changes, so a bad one
// in the list adds nothing; each run is then one transaction.
void add_reports(const std::vector<fs::path>& reports, const fs::path& db) {
  std::vector<RunRecord> runs;
  for (const fs::path& report : reports) runs.push_back(load_run_record(report));
  HistoryStore store(store_path(db), HistoryStore::Mode::read_write);
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunRecord& run = runs[i];
    std::cout << fmt::format("{}: run {} ({}, {} cell{}, {}): {}\n", reports[i].string(), run.run_id, run.scenario,
                             run.cells.size(), run.cells.size() == 1 ? "" : "s", fmt::join(run.variants, ", "),
                             describe(store.add(run)));
    if (!run.finished_at)
      std::cout << "  the run had not finished; add its report again when it has, to update it\n";
  }
  std::cout << "history: " << store.file().string() << "\n";
}

void add_add_command(CLI::App& history) {
  static std::vector<fs::path> reports;
  static fs::path db;
  auto* add = history.add_subcommand("add", "Add run reports to the history store (adding one twice adds nothing)");
  add->add_option("reports", reports, "report.json files, or run directories (every scenario's report)")
      ->required()
      ->check(CLI::ExistingPath);
  add->add_option("--db", db, kDbHelp);
  add->callback([] { add_reports(expand_run_dirs(reports), db); });
}

void add_trend_command(CLI::App& history) {
  static fs::path db;
  static TrendOptions options;
  static bool as_json = false;
  auto* trend = history.add_subcommand("trend", "A latency metric per run and cell, in date order");
  trend->add_option("--db", db, kDbHelp);
  trend->add_option("--variant", options.filter.variant, "Only this kernel variant");
  trend->add_option("--scenario", options.filter.scenario, "Only this scenario (run.scenario.name)");
  trend->add_option("--cell", options.filter.key, "Only this cell key (the cell id without the kernel label)");
  trend->add_option("--metric", options.metric, "revocation (default) or a phase, e.g. kernel_handling");
  trend->add_flag("--json", as_json, "Print JSON instead of the table");
  trend->callback([] {
    HistoryStore store(store_path(db), HistoryStore::Mode::read_only);
    auto rows = history_trend(store, options);
    std::cout << (as_json ? trend_json(rows, options).dump(2) + "\n" : format_trend(rows, options));
  });
}

void add_regressions_command(CLI::App& history, int& exit_code) {
  static fs::path db;
  static RegressionOptions options;
  static double threshold_pct = options.change.threshold * 100;
  static bool as_json = false;
  auto* regressions = history.add_subcommand(
      "regressions", "Each variant's latest run against its previous runs; exit 3 on a regression");
  regressions->add_option("--db", db, kDbHelp);
  regressions->add_option("--baseline", options.baseline_runs, "Earlier runs pooled as the baseline (default 5)")
      ->check(CLI::PositiveNumber);
  regressions->add_option("--threshold", threshold_pct, "Smallest change of the median that counts, in % (default 10)")
      ->check(CLI::NonNegativeNumber);
  regressions->add_option("--alpha", options.change.alpha, "False discovery rate (BH q-value) bound (default 0.05)")
      ->check(CLI::Range(1e-9, 1.0));
  regressions->add_option("--metric", options.metric, "revocation (default) or a phase, e.g. kernel_handling");
  regressions->add_flag("--json", as_json, "Print JSON instead of the tables");
  regressions->callback([&exit_code] {
    options.change.threshold = threshold_pct / 100;
    HistoryStore store(store_path(db), HistoryStore::Mode::read_only);
    auto report = find_regressions(store, options);
    std::cout << (as_json ? to_json(report, options).dump(2) + "\n" : format_regressions(report, options));
    exit_code = report.regressions() ? kExitOracleFailed : kExitOk;
  });
}

void add_export_command(CLI::App& history) {
  static fs::path db, out;
  auto* export_json = history.add_subcommand("export", "The whole history as JSON (the dashboard's input)");
  export_json->add_option("--db", db, kDbHelp);
  export_json->add_option("--out", out, "Write it to this file (default: standard output)");
  export_json->callback([] {
    HistoryStore store(store_path(db), HistoryStore::Mode::read_only);
    std::string text = export_history(store).dump(2) + "\n";
    if (out.empty()) std::cout << text;
    else write_file_atomic(out, text);
  });
}

}  // namespace

void add_history_commands(CLI::App& app, int& exit_code) {
  auto* history = app.add_subcommand("history", "Run history: add reports, trends, nightly regressions")
                      ->require_subcommand(1);
  add_add_command(*history);
  add_trend_command(*history);
  add_regressions_command(*history, exit_code);
  add_export_command(*history);
}

}  // namespace poisonlab

// poisonlab: the runner's command line.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "common/error.h"
#include "common/fs_util.h"
#include "kernel/kernel.h"
#include "kernel/kernel_config.h"
#include "kernel/source_build.h"
#include "plan/plan.h"
#include "report/matrix.h"
#include "report/rejudge.h"
#include "report/report.h"
#include "report/summary.h"
#include "run/run_scenario.h"
#include "scenario/scenario.h"
#include "version.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace poisonlab;

namespace {

std::string joined_args(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

void add_run_command(CLI::App& app, RunRequest& request, int& exit_code) {
  auto* run = app.add_subcommand("run", "Boot kernels, run a scenario's cells, write a JSON report");
  run->add_option("scenario", request.scenario, "Scenario JSON file")->required();
  run->add_option("--kernel", request.kernels, "Kernel variant(s) to use instead of the scenario's");
  run->add_option("--kernel-image", request.kernel_image, "Boot this kernel image instead of a variant");
  run->add_option("--modules", request.modules_dir, "Module tree (lib/modules/<release>) for --kernel-image")
      ->needs(run->get_option("--kernel-image"));
  run->add_option("--out", request.out_dir, "Output directory (default results/<run-id>)");
  run->callback([&] { exit_code = run_scenario(request, std::cout).exit_code; });
}

// `kernel check`: the configs merged in order (later wins), checked for every
// feature or for what the scenarios need. Exit 3 when something is missing.
int check_kernel_config(const std::vector<fs::path>& configs, const std::vector<fs::path>& scenarios) {
  std::set<std::string> features(config_features().begin(), config_features().end());
  if (!scenarios.empty()) features.clear();
  for (const auto& file : scenarios) features.merge(scenario_config_features(load_scenario(file)));
  std::vector<NamedConfig> fragments;
  for (const auto& file : configs) fragments.push_back({file.string(), load_kernel_config(file)});
  MergedConfig merged = merge_kernel_configs(fragments);
  for (const auto& o : merged.overrides)
    std::cout << fmt::format("{}: {}={} overrides {} from {}\n", o.new_source, o.option, o.new_value,
                             o.old_value, o.old_source);
  auto checks = check_config(merged.config, features);
  std::cout << format_config_check(checks);
  return all_present(checks) ? kExitOk : kExitOracleFailed;
}

void add_kernel_check_command(CLI::App& kernel, int& exit_code) {
  static std::vector<fs::path> configs, scenarios;
  auto* check = kernel.add_subcommand("check", "Check kernel config options against what scenarios need");
  check->add_option("config", configs, "Kernel .config or fragments (merged in order, later wins)")->required();
  check->add_option("--scenario", scenarios, "Check only what this scenario needs (repeatable; default: every feature)")
      ->allow_extra_args(false);
  check->callback([&] { exit_code = check_kernel_config(configs, scenarios); });
}

void add_kernel_build_command(CLI::App& kernel, const fs::path& variants) {
  static std::vector<std::string> names;
  static KernelBuildOptions options;
  auto* build = kernel.add_subcommand("build", "Build source variants: patch series, base config + fragments, ccache");
  build->add_option("variants", names, "Variant names (source: build in kernel-config/variants.json)")->required();
  build->add_option("--jobs,-j", options.jobs, "make -j (default: CPUs + 1)");
  build->add_flag("--cold", options.cold, "Fresh object folder, no ccache hits: measures a cold build");
  build->add_option("--change", options.change_file,
                    "Give this source file (relative to the tree) a one-line change first: measures a warm rebuild");
  build->callback([&] {
    auto registry = VariantRegistry::load(variants);
    for (const auto& name : names) registry.build_variant(name);  // every name checked before a long build
    for (const auto& name : names) {
      auto built = build_kernel(registry.build_variant(name), KernelCache::from_environment(), options, std::cout);
      const auto& r = built.record;
      const auto& hits = r["ccache"];
      std::cout << fmt::format(
          "{}: built {} in {:.0f} s ({}, make -j{}: {:.0f} s; ccache {} hits, {} compiled)\n  bzImage {}\n"
          "  config sha256 {}\n  patches sha256 {}\n  {}\n",
          name, r["release"].get<std::string>(), r["seconds"]["total"].get<double>(), r["kind"].get<std::string>(),
          r["jobs"].get<int>(), r["seconds"]["make"].get<double>(),
          hits.value("direct_cache_hit", 0) + hits.value("preprocessed_cache_hit", 0), hits.value("cache_miss", 0) + hits.value("recache", 0),
          built.bzimage.string(), r["config_sha256"].get<std::string>(),
          r["patches"]["sha256"].get<std::string>().empty() ? "(none)" : r["patches"]["sha256"].get<std::string>(),
          r["compiler"].get<std::string>());
    }
  });
}

void add_kernel_commands(CLI::App& app, const fs::path& variants, int& exit_code) {
  auto* kernel = app.add_subcommand("kernel", "Kernel variants")->require_subcommand(1);
  kernel->add_subcommand("list", "List the known kernel variants")->callback([&] {
    auto registry = VariantRegistry::load(variants);
    for (const auto& name : registry.names()) std::cout << name << "\n";
  });
  static std::vector<std::string> names;
  auto* fetch = kernel->add_subcommand("fetch", "Fetch variants into the cache and build their initramfs");
  fetch->add_option("variants", names, "Variant names")->required();
  fetch->callback([&] {
    auto registry = VariantRegistry::load(variants);
    for (const auto& name : names) registry.get(name);  // all names checked before any download
    for (const auto& name : names) {
      auto artifacts = prepare_variant(registry, name, KernelCache::from_environment(), std::cout);
      std::cout << fmt::format("{}: {} ({})\n", name, artifacts.release, artifacts.vmlinuz.string());
    }
  });
  add_kernel_check_command(*kernel, exit_code);
  add_kernel_build_command(*kernel, variants);
}

void add_inspection_commands(CLI::App& app) {
  static fs::path scenario_file, report_file;
  auto* check = app.add_subcommand("check", "Validate a scenario file and print its cells");
  check->add_option("scenario", scenario_file)->required();
  check->callback([&] {
    auto scenario = load_scenario(scenario_file);
    Plan plan = plan_cells(scenario);
    std::cout << fmt::format("{}: valid, {} cells\n", scenario_file.string(), plan.cells.size());
    for (const auto& cell : plan.cells) std::cout << "  " << cell.id << "\n";
    if (!plan.not_applicable.empty()) {
      std::cout << fmt::format("{} combinations not applicable:\n", plan.not_applicable.size());
      for (const auto& n : plan.not_applicable) std::cout << "  " << n.id << ": " << n.reason << "\n";
    }
  });
  static fs::path rejudged_file;
  auto* judge = app.add_subcommand("judge", "Judge a report's observations again with this build's oracles");
  judge->add_option("report", report_file)->required()->check(CLI::ExistingFile);
  judge->add_option("--out", rejudged_file, "Where to write the new report (default: report.rejudged.json beside it)");
  judge->callback([&] {
    fs::path out = rejudged_file.empty() ? report_file.parent_path() / "report.rejudged.json" : rejudged_file;
    json rejudged = rejudge_report(load_report(report_file), report_file.parent_path(), out, "poisonlab judge " + report_file.string());
    std::cout << format_summary(rejudged) << "report: " << out.string() << "\n";
  });
  static bool matrix = false;
  auto* summary = app.add_subcommand("summary", "Print the summary table of a report");
  summary->add_option("report", report_file)->required()->check(CLI::ExistingFile);
  summary->add_flag("--matrix", matrix, "Print the correctness matrix (cell x oracle) instead");
  summary->callback([&] {
    json report = load_report(report_file);
    std::cout << (matrix ? format_matrix(report) : format_summary(report));
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::cout << std::unitbuf;  // progress lines reach a pipe or log file as they happen
  CLI::App app{"poisonlab: fault injection and benchmarks for the fs-dax memory-failure path"};
  app.set_version_flag("--version", fmt::format("poisonlab {} ({})", kVersion, kGitSha));
  app.require_subcommand(1);
  RunRequest request;
  request.command_line = joined_args(argc, argv);
  request.variants_file = default_variant_registry();
  app.add_option("--variants", request.variants_file, "Kernel variant registry")->check(CLI::ExistingFile);
  int exit_code = kExitOk;
  add_run_command(app, request, exit_code);
  add_kernel_commands(app, request.variants_file, exit_code);
  add_inspection_commands(app);
  add_compare_command(app, exit_code);
  add_history_commands(app, exit_code);
  add_dashboard_command(app, exit_code);
  add_export_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitBadInput;
  } catch (const UserError& e) {
    std::cerr << "poisonlab: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "poisonlab: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
  return exit_code;
}

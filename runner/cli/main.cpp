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
#include "run/matrix_run.h"
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

void add_run_command(CLI::App& app, MatrixRunRequest& request, int& exit_code) {
  auto* run = app.add_subcommand("run", "Run a matrix or scenario: boot kernels, run cells in parallel VMs, write reports");
  static std::optional<std::filesystem::path> resume_dir;
  static std::string progress = "auto";
  run->add_option("matrix", request.input, "Matrix or scenario JSON file");
  run->add_option("--variants,--kernel", request.variants, "Kernel variants (a,b,c) instead of the file's")
      ->delimiter(',');
  run->add_option("--jobs,-j", request.jobs, "VMs at once (default: from cores and memory)")
      ->check(CLI::Range(1, 64));
  run->add_flag("--dry-run", request.dry_run, "Print the plan (VM jobs and their cells) and exit");
  static bool prepare_only = false;
  run->add_flag("--prepare-only", prepare_only,
                "Write the run directory (matrix.json, empty reports) and stop: its cells run with run-cell");
  run->add_option("--resume", resume_dir, "Finish the run in this directory: cells with a result are not run again");
  run->add_option("--progress", progress, "Progress display: auto (on a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  auto* image = run->add_option("--kernel-image", request.kernel_image, "Boot this kernel image instead of a variant");
  run->add_option("--modules", request.modules_dir, "Module tree (lib/modules/<release>) for --kernel-image")->needs(image);
  auto* out = run->add_option("--out", request.out_dir, "Output directory (default results/<run-id>)");
  static std::string target = "qemu";
  static LocalTargetOptions local;
  run->add_option("--target", target, "qemu (VMs, default) or local (this machine's pmem: runner/target/local)")
      ->check(CLI::IsMember({"qemu", "local"}));
  run->add_option("--allow-device", local.allow_devices, "--target local: a pmem block device the run may use (repeatable)");
  run->add_option("--device", local.devices, "--target local: the devices the cells use, in order (default: every allowed one)");
  run->add_flag("--force", local.force, "--target local: use devices that hold a file system or signature");
  run->get_option("--resume")->excludes(out)->excludes(run->get_option("matrix"));
  run->callback([&] {
    if (resume_dir) {
      request.resume = true;
      request.out_dir = *resume_dir;
    } else if (request.input.empty()) {
      throw UserError("run: give a matrix or scenario file, or --resume DIR", kExitBadInput);
    }
    if (progress != "auto") request.interactive = progress == "always";
    if (target == "local")
      request.local = local;
    else if (!local.allow_devices.empty() || !local.devices.empty() || local.force)
      throw UserError("--allow-device, --device and --force go with --target local", kExitBadInput);
    if (prepare_only) {
      std::filesystem::path dir;
      MatrixPlan plan = prepare_matrix_run(request, dir);
      std::cout << fmt::format("{}: {} cells planned; run them with `poisonlab run-cell {} --index I` (I < {}) or "
                               "`poisonlab run --resume {}`\n", dir.string(), plan.units.size(), dir.string(),
                               plan.units.size(), dir.string());
      return;
    }
    exit_code = run_matrix(request, std::cout).exit_code;
  });
}

void add_distributed_commands(CLI::App& app, const std::filesystem::path& registry, int& exit_code) {
  static std::filesystem::path dir;
  static size_t index = 0;
  auto* cell = app.add_subcommand("run-cell", "Run one cell of a prepared run directory (a Slurm array task)");
  cell->add_option("dir", dir, "Run directory (matrix.json)")->required()->check(CLI::ExistingDirectory);
  cell->add_option("--index", index, "The cell's index in matrix.json (SLURM_ARRAY_TASK_ID)")->required();
  cell->callback([&] { exit_code = run_one_unit(dir, index, registry, std::cout); });
  static std::filesystem::path merge_dir;
  auto* merge = app.add_subcommand("merge", "Join a run directory's cell results into its report(s)");
  merge->add_option("dir", merge_dir, "Run directory (matrix.json)")->required()->check(CLI::ExistingDirectory);
  merge->callback([&] { exit_code = merge_run_dir(merge_dir, "poisonlab merge " + merge_dir.string(), std::cout); });
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
  MatrixRunRequest request;
  request.command_line = joined_args(argc, argv);
  request.variants_file = default_variant_registry();
  app.add_option("--registry", request.variants_file, "Kernel variant registry (default kernel-config/variants.json)")
      ->check(CLI::ExistingFile);
  int exit_code = kExitOk;
  add_run_command(app, request, exit_code);
  add_distributed_commands(app, request.variants_file, exit_code);
  add_kernel_commands(app, request.variants_file, exit_code);
  add_inspection_commands(app);
  add_compare_command(app, exit_code);
  add_history_commands(app, exit_code);
  add_dashboard_command(app, exit_code);
  add_export_commands(app, exit_code);
  add_submit_command(app, exit_code);
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

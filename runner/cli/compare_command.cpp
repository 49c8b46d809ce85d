// `poisonlab compare A.json B.json` / `--a A1 --a A2 --b B1 --b B2`:
// latency and correctness differences between runs, with an exit status CI
// can gate on (reports/compare.md).
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/error.h"
#include "common/fs_util.h"
#include "compare/compare_reports.h"
#include "compare/compare_text.h"
#include "report/report.h"

namespace poisonlab {

namespace {

struct CompareRequest {
  std::vector<std::string> positional, a, b;
  CompareOptions options;
  double threshold_pct = 10;
  std::string json_out, fail_on = "regression", unit;
};

std::vector<NamedReport> load_side(const std::vector<std::string>& files) {
  std::vector<NamedReport> reports;
  for (const auto& file : files) reports.push_back({file, load_report(file)});
  return reports;
}

void check_request(CompareRequest& r) {
  const bool by_option = !r.a.empty() || !r.b.empty();
  if (by_option && !r.positional.empty())
    throw UserError("compare: give either two reports (A.json B.json) or --a/--b, not both", kExitBadInput);
  if (!by_option && r.positional.size() != 2)
    throw UserError("compare: expected two reports, A.json B.json (or --a A.json ... --b B.json ...)", kExitBadInput);
  if (by_option && (r.a.empty() || r.b.empty()))
    throw UserError("compare: --a and --b each need at least one report", kExitBadInput);
  if (!by_option) r.a = {r.positional[0]}, r.b = {r.positional[1]};
  if (!(r.threshold_pct >= 0)) throw UserError("compare: --threshold must be a percentage >= 0", kExitBadInput);
  if (!(r.options.change.alpha > 0 && r.options.change.alpha < 1))
    throw UserError("compare: --alpha must be in (0, 1)", kExitBadInput);
  r.options.change.threshold = r.threshold_pct / 100;
  if (!r.unit.empty()) {
    r.options.unit = parse_unit(r.unit);
    if (!r.options.unit) throw UserError("compare: --unit must be trial or run, not " + r.unit, kExitBadInput);
  }
}

int run_compare(CompareRequest& request) {
  check_request(request);
  auto fail_on = parse_fail_on(request.fail_on);
  if (!fail_on)
    throw UserError("compare: --fail-on must be regression, change or never, not " + request.fail_on, kExitBadInput);
  // Every input is read and checked before anything is written.
  auto a = load_side(request.a);
  auto b = load_side(request.b);
  nlohmann::json result = compare_reports(a, b, request.options);
  if (request.json_out == "-") {
    std::cout << result.dump(1) << "\n";
  } else {
    std::cout << format_comparison(result);
    if (!request.json_out.empty()) write_file_atomic(request.json_out, result.dump(1) + "\n");
  }
  return compare_exit_code(result, *fail_on);
}

}  // namespace

void add_compare_command(CLI::App& app, int& exit_code) {
  static CompareRequest request;
  auto* cmd = app.add_subcommand("compare", "Compare the latency and correctness of runs A and B, cell by cell");
  cmd->add_option("reports", request.positional, "A.json B.json");
  cmd->add_option("--a", request.a, "A report of side A (repeatable: runs pooled)")->allow_extra_args(false);
  cmd->add_option("--b", request.b, "A report of side B (repeatable: runs pooled)")->allow_extra_args(false);
  cmd->add_option("--kernel-a", request.options.kernel_a, "Side A is this kernel's cells (e.g. debian-6.1)");
  cmd->add_option("--kernel-b", request.options.kernel_b, "Side B is this kernel's cells (e.g. debian-6.12)");
  cmd->add_option("--metric", request.options.metrics,
                  "revocation, a phase (kernel_handling, ...) or all; repeatable (default revocation)")
      ->allow_extra_args(false)
      ->default_str("revocation");
  cmd->add_option("--threshold", request.threshold_pct, "Smallest change of the median called, percent (default 10)");
  cmd->add_option("--alpha", request.options.change.alpha, "Benjamini-Hochberg q below which a change is called (default 0.05)");
  cmd->add_option("--unit", request.unit,
                  "Experimental unit: trial (pool the trials of all runs) or run (one median per run); default run "
                  "with >= 4 reports a side (at --alpha 0.05), else trial");
  cmd->add_option("--json", request.json_out, "Write the JSON result to FILE; - prints it instead of the table");
  cmd->add_option("--fail-on", request.fail_on, "Exit 3 on: regression (default), change, never");
  cmd->callback([&] { exit_code = run_compare(request); });
}

}  // namespace poisonlab

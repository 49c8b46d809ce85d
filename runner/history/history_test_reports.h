#pragma once
// Test support (unit and CLI tests of the history): hand-built run reports
// written by the real report writer (RunReport), so the history reads
// exactly what a run writes.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "report/report.h"

namespace poisonlab::testing {

struct TestCell {
  std::string kernel;                                // variant label
  std::string key;                                   // stack/fs/method, e.g. "raw/xfs/madvise"
  std::vector<std::optional<double>> revocation_ms;  // per trial; nullopt writes null
  std::string verdict = "pass";
  std::string status = "completed";
  std::optional<double> sweep_value;  // makes the cell a point of a "pages" sweep
};

struct TestRun {
  std::string id;
  std::string started_at;            // "YYYY-MM-DDTHH:MM:SSZ"
  std::vector<std::string> kernels;  // variants, in run order
  std::vector<TestCell> cells;
  std::string scenario = "ab-nightly";
  bool finished = true;
};

inline std::string release_of(const std::string& variant) { return variant + ".0-test"; }

inline nlohmann::json judged_cell(const TestCell& cell) {
  using nlohmann::json;
  std::string key = cell.sweep_value ? cell.key + "@pages=" + std::to_string(int(*cell.sweep_value)) : cell.key;
  json revocation = json::array(), phases = json::array();
  for (const auto& ms : cell.revocation_ms) {
    revocation.push_back(ms ? json(*ms * 1e6) : json());
    // kernel_handling is a tenth of the revocation; the timeline is not a sample
    phases.push_back(ms ? json{{"kernel_handling_ns", *ms * 1e5}, {"timeline", {{"first_page", nullptr}}}} : json());
  }
  json spec = {{"trials", cell.revocation_ms.size()}};
  if (cell.sweep_value)
    spec["sweep"] = {{"series", cell.kernel + "/" + cell.key}, {"parameter", "pages"}, {"value", *cell.sweep_value}};
  std::string oracle_verdict = cell.verdict == "fail" ? "fail" : "pass";
  return {
      {"id", cell.kernel + "/" + key},
      {"kernel", cell.kernel},
      {"status", cell.status},
      {"error", nullptr},
      {"verdict", cell.verdict},
      {"oracles",
       {{{"name", "trials_completed"}, {"verdict", "pass"}, {"evidence", json::object()}, {"summary", ""}},
        {{"name", "expected_victims"}, {"verdict", oracle_verdict}, {"evidence", json::object()}, {"summary", ""}}}},
      {"notify_path", {{"summary", {{"holder", cell.revocation_ms.size()}}}, {"per_trial", json::array()}}},
      {"latency", {{"revocation_ns", revocation}, {"phases", phases}}},
      {"spec", spec},
      {"observation", nullptr}};
}

// Writes dir/<id>/report.json (and its cell files); returns its path.
inline std::filesystem::path write_test_report(const std::filesystem::path& dir, const TestRun& run) {
  auto path = dir / run.id / "report.json";
  std::filesystem::create_directories(path.parent_path());
  RunReport report(path, {{"id", run.id},
                          {"started_at", run.started_at},
                          {"poisonlab", {{"version", "0.1.0"}, {"git_sha", "abc123"}}},
                          {"scenario", {{"name", run.scenario}, {"path", "scenarios/" + run.scenario + ".json"}}}});
  for (const auto& variant : run.kernels)
    report.add_kernel({{"variant", variant}, {"release", release_of(variant)}, {"package", "linux-image"}});
  for (const auto& cell : run.cells) report.add_cell(judged_cell(cell));
  if (run.finished) {
    bool passed = true;
    for (const auto& cell : run.cells) passed = passed && cell.verdict == "pass";
    report.finish(
        {{"finished_at", run.started_at.substr(0, 11) + "23:59:59Z"}, {"status", passed ? "passed" : "failed"}});
  }
  return path;
}

using Samples = std::vector<std::optional<double>>;
inline const Samples kSteadyMs = {1.00, 1.02, 1.05, 0.98, 1.01, 1.03};
inline const Samples kSlowMs = {2.0, 2.1, 1.9, 2.05, 1.95, 2.02};

// Night `day` (March 2025) of a nightly A/B run: debian-6.1 raw/xfs/madvise
// and debian-6.12 dm/xfs/mce measure steady; debian-6.12 raw/xfs/madvise
// measures `madvise` with `verdict`.
inline TestRun nightly_run(int day, const Samples& madvise, const std::string& verdict = "pass") {
  return {.id = fmt::format("night-{:02}", day),
          .started_at = fmt::format("2025-03-{:02}T02:00:00Z", day),
          .kernels = {"debian-6.1", "debian-6.12"},
          .cells = {{.kernel = "debian-6.1", .key = "raw/xfs/madvise", .revocation_ms = kSteadyMs},
                    {.kernel = "debian-6.12", .key = "raw/xfs/madvise", .revocation_ms = madvise, .verdict = verdict},
                    {.kernel = "debian-6.12", .key = "dm/xfs/mce", .revocation_ms = kSteadyMs}}};
}

}  // namespace poisonlab::testing

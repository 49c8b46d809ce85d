#pragma once
// Test support: checks JSON files against the schemas in reports/schema with
// reports/schema/validate.mjs, so every report a test writes is validated.
// Needs node (/usr/bin/node or on PATH) and ajv in reports/node_modules
// (setup.sh runs npm ci there); without them the check fails and says which
// is missing. Header-only: the unit tests, tests/vm and tests/schema share it.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/process.h"

#ifndef POISONLAB_SOURCE_DIR
#error "schema_test_util.h needs POISONLAB_SOURCE_DIR (the test targets define it)"
#endif

namespace poisonlab::schema_test {

inline std::filesystem::path schema_dir() { return std::filesystem::path(POISONLAB_SOURCE_DIR) / "reports" / "schema"; }
inline std::string report_schema() { return (schema_dir() / "report.schema.json").string(); }
// A report's cell files (report.cells/NNNN.json) hold whole cells.
inline std::string cell_record_schema() { return report_schema() + "#/$defs/cell_record"; }
inline std::string kcidb_schema() { return (schema_dir() / "kcidb-v5.schema.json").string(); }

// node and ajv, or what is missing ("" when both are there).
inline std::string missing_validator_tools(std::filesystem::path& node) {
  if (std::filesystem::exists("/usr/bin/node"))
    node = "/usr/bin/node";
  else if (auto found = find_program("node"))
    node = *found;
  else
    return "node not found (/usr/bin/node or on PATH; Debian package nodejs): run ./setup.sh";
  std::filesystem::path ajv = std::filesystem::path(POISONLAB_SOURCE_DIR) / "reports" / "node_modules" / "ajv";
  if (!std::filesystem::exists(ajv)) return ajv.string() + " is missing: run `npm ci` in reports/ (setup.sh does)";
  return "";
}

// Files to check against one schema: a file, optionally with
// "#/json/pointer" naming a subschema.
struct SchemaFiles {
  std::string schema;
  std::vector<std::filesystem::path> files;
};

// Runs the validator once on every group. Returns "" when every file is
// valid, else the validator's output (one "FILE: /pointer: message" line
// per error) or what kept it from running.
inline std::string schema_errors(const std::vector<SchemaFiles>& groups) {
  std::filesystem::path node;
  if (std::string missing = missing_validator_tools(node); !missing.empty()) return "cannot validate: " + missing;
  std::vector<std::string> argv = {node.string(), (schema_dir() / "validate.mjs").string()};
  for (const auto& group : groups) {
    if (group.files.empty()) continue;
    if (argv.size() > 2) argv.push_back("--schema");
    argv.push_back(group.schema);
    for (const auto& f : group.files) argv.push_back(f.string());
  }
  RunOptions options;
  options.merge_stderr = true;
  options.timeout = std::chrono::minutes(5);
  CommandResult r = run_command(argv, options);
  if (r.exit_code == 0) return "";
  return r.out.empty() ? "validate.mjs failed (" + join_command(argv) + "): exit " + std::to_string(r.exit_code)
                       : r.out;
}

inline std::string schema_errors(const std::string& schema, const std::vector<std::filesystem::path>& files) {
  return schema_errors({SchemaFiles{schema, files}});
}

// A report: report.json against the report schema, and each of its cell
// files (<stem>.cells/*.json beside it) against $defs/cell_record.
inline std::string report_schema_errors(const std::filesystem::path& report) {
  std::filesystem::path cells_dir = report.parent_path() / (report.stem().string() + ".cells");
  std::vector<std::filesystem::path> cell_files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(cells_dir, ec))
    if (entry.path().extension() == ".json") cell_files.push_back(entry.path());
  std::sort(cell_files.begin(), cell_files.end());
  return schema_errors({{report_schema(), {report}}, {cell_record_schema(), cell_files}});
}

// Run metadata of the shape the run stage writes (matrix_run.cpp), for
// tests that write reports without running anything.
inline nlohmann::json sample_run_metadata(const std::string& id = "20260101-120000-smoke-0a1b") {
  return {{"id", id},
          {"started_at", "2026-01-01T12:00:00Z"},
          {"poisonlab",
           {{"version", "0.1.0"},
            {"git_sha", "0123456789abcdef0123456789abcdef01234567"},
            {"command_line", "poisonlab run scenarios/smoke.json"}}},
          {"host",
           {{"hostname", "lab"},
            {"kernel", "6.1.0-amd64"},
            {"os", "Debian GNU/Linux 12 (bookworm)"},
            {"cpus", 2},
            {"memory_mib", 23000},
            {"kvm", false}}},
          {"scenario",
           {{"path", "/work/main/scenarios/smoke.json"},
            {"name", "smoke"},
            {"sha256", "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592"}}},
          {"plan", {{"cells", 2}, {"not_applicable", nlohmann::json::array()}}},
          {"out_dir", "/work/main/results/" + id}};
}

}  // namespace poisonlab::schema_test

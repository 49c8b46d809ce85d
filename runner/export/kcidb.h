#pragma once
// A report as KernelCI KCIDB I/O data, schema v5 (reports/schema/README.md
// documents the mapping; reports/schema/kcidb-v5.schema.json checks it):
// the run is one checkout, each kernel of the run one build, each cell one
// test, and each combination the plan found not applicable a SKIP test.
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace poisonlab {

// The I/O schema version written: 5.0, which every v5 reader accepts (a
// minor version only adds optional fields).
inline constexpr int kKcidbMajorVersion = 5;
inline constexpr int kKcidbMinorVersion = 0;

struct KcidbOptions {
  // The CI system's name in KCIDB: [a-z0-9_]+, the prefix of every id.
  std::string origin = "poisonlab";
  // Where the run directory is published (e.g. https://ci.example/runs/<id>);
  // with it, tests link their serial log and cell file. Empty: no links.
  std::string artifacts_url;
};

// KCIDB data for a report as load_report returns it. InputError naming
// report_file and the field when the report lacks what the ids and test
// paths are made of (run.id, run.scenario.name, a cell's id).
nlohmann::json export_kcidb(const nlohmann::json& report, const KcidbOptions& options,
                            const std::filesystem::path& report_file);

// Whether name is a KCIDB origin ([a-z0-9_]+).
bool is_kcidb_origin(std::string_view name);
// One component of a KCIDB test path: each character outside [A-Za-z0-9_-]
// becomes '_' ("pages=16" -> "pages_16"); "_" for an empty text.
std::string kcidb_path_component(std::string_view text);
// "poisonlab.<scenario>.<each part of the cell key>": the key's '/' and '@'
// separate parts ("dm-linear/xfs/madvise@pages=16" ->
// "poisonlab.smoke.dm-linear.xfs.madvise.pages_16").
std::string kcidb_test_path(std::string_view scenario, std::string_view cell_key);
// A cell's KCIDB status: pass PASS, fail FAIL; error MISS when the harness
// never ran it (the kernel could not be prepared or did not boot: status
// kernel-error or boot-*), else ERROR.
std::string kcidb_status(const nlohmann::json& cell);

}  // namespace poisonlab

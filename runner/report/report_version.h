#pragma once
// Report schema versions (reports/schema/report.schema.json): what changed
// between them, and how a report written by an older build is read.
//
//   1  the first version
//   2  every cell has "key" (cell_key: its id without the kernel label) and
//      the run has "variants" (the kernel variants of the run, in run order);
//      "series" is there from the start ([] without sweeps)
//
// A reader never sees an old version: load_report upgrades it in memory.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab {

// The oldest report version this build reads; kReportSchemaVersion
// (report.h) is the newest and the one it writes.
inline constexpr int kOldestReadableReportVersion = 1;

// Adds variant to the array run["variants"] (made if absent) unless it is
// there: the run's kernel variants in the order they first appear.
void note_variant(nlohmann::json& run, const std::string& variant);

// The report as the current version: a version-1 report gains each cell's
// "key", run.variants (from run.variants if any, then kernels[].variant and
// cells[].kernel in order) and "series". InputError naming file and
// /schema_version for a version that is missing, not a number, or newer
// than this build reads.
nlohmann::json upgrade_report(nlohmann::json report, const std::filesystem::path& file);

}  // namespace poisonlab

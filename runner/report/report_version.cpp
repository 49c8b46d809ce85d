#include "report/report_version.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "report/json_access.h"
#include "report/report.h"

namespace poisonlab {
using nlohmann::json;

namespace {

std::string readable_versions() {
  return fmt::format("this build reads schema_version {} to {}", kOldestReadableReportVersion, kReportSchemaVersion);
}

void upgrade_1_to_2(json& report) {
  json& run = report["run"];
  if (!run.is_object()) run = json::object();
  for (const json& kernel : report["kernels"]) note_variant(run, string_or(kernel, "variant"));
  for (json& cell : report["cells"]) {
    if (!cell.is_object()) continue;
    note_variant(run, string_or(cell, "kernel"));
    cell["key"] = cell_key(cell);
  }
  if (!run.contains("variants")) run["variants"] = json::array();
  if (!report.contains("series")) report["series"] = json::array();
}

}  // namespace

void note_variant(json& run, const std::string& variant) {
  json& variants = run["variants"];
  if (!variants.is_array()) variants = json::array();
  if (!variant.empty() && std::find(variants.begin(), variants.end(), variant) == variants.end())
    variants.push_back(variant);
}

json upgrade_report(json report, const std::filesystem::path& file) {
  const json& version = member_or_null(report, "schema_version");
  if (!version.is_number_integer())
    throw InputError(file.string(), "/schema_version", "expected a poisonlab report: " + readable_versions());
  int from = version.get<int>();
  if (from < kOldestReadableReportVersion || from > kReportSchemaVersion)
    throw InputError(file.string(), "/schema_version",
                     fmt::format("schema_version {} is unknown: {}{}", from, readable_versions(),
                                 from > kReportSchemaVersion ? " (a newer poisonlab wrote it)" : ""));
  for (const char* key : {"kernels", "cells"}) {
    if (!report.contains(key) || !report[key].is_array())
      throw InputError(file.string(), std::string("/") + key, "expected an array");
    // Every reader takes an entry for an object.
    for (size_t i = 0; i < report[key].size(); ++i)
      if (!report[key][i].is_object())
        throw InputError(file.string(), fmt::format("/{}/{}", key, i),
                         fmt::format("expected an object, got {}", report[key][i].type_name()));
  }
  if (from == 1) upgrade_1_to_2(report);
  report["schema_version"] = kReportSchemaVersion;
  return report;
}

}  // namespace poisonlab

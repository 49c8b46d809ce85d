#include "dashboard/site_index.h"

#include <algorithm>

#include "common/error.h"

namespace poisonlab {

using nlohmann::json;

namespace {

constexpr const char* kSource = "history export";

void add_unique(std::vector<std::string>& list, const std::string& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

const json& member(const json& object, const char* name, json::value_t type, const std::string& pointer,
                   const char* expected) {
  if (!object.is_object() || !object.contains(name) || object[name].type() != type)
    throw InputError(kSource, pointer + "/" + name, expected);
  return object[name];
}

}  // namespace

SiteIndex::SiteIndex(const json& history_export) {
  if (!history_export.is_object() || history_export.value("history_schema", json()) != 1)
    throw InputError(kSource, "/history_schema", "1 (the export this dashboard reads)");
  runs_ = &member(history_export, "runs", json::value_t::array, "", "an array of runs");
  for (size_t r = 0; r < runs_->size(); ++r) {
    const json& run = (*runs_)[r];
    const std::string at = "/runs/" + std::to_string(r);
    member(run, "run_id", json::value_t::string, at, "a string");
    member(run, "started_at", json::value_t::string, at, "a string");
    for (const json& variant : run.value("variants", json::array()))
      if (variant.is_string()) add_unique(variants, variant.get<std::string>());
    for (const json& series : run.value("series", json::array()))
      if (series.is_object() && series.value("variant", json()).is_string())
        add_unique(variants, series["variant"].get<std::string>());
    const json& run_cells = member(run, "cells", json::value_t::array, at, "an array of cells");
    for (size_t c = 0; c < run_cells.size(); ++c) {
      const json& cell = run_cells[c];
      const std::string cell_at = at + "/cells/" + std::to_string(c);
      const std::string& key = member(cell, "key", json::value_t::string, cell_at, "a string").get_ref<const std::string&>();
      const std::string& variant =
          member(cell, "variant", json::value_t::string, cell_at, "a string").get_ref<const std::string&>();
      add_unique(keys, key);
      add_unique(variants, variant);
      cells_[{key, variant}].push_back({&run, &cell});
    }
  }
}

const std::vector<RunCell>& SiteIndex::cells(const std::string& key, const std::string& variant) const {
  static const std::vector<RunCell> kNone;
  auto it = cells_.find({key, variant});
  return it == cells_.end() ? kNone : it->second;
}

const RunCell* SiteIndex::latest(const std::string& key, const std::string& variant) const {
  const auto& all = cells(key, variant);
  return all.empty() ? nullptr : &all.back();
}

std::vector<double> samples_ms(const json& cell, const std::string& metric) {
  std::vector<double> out;
  auto samples = cell.find("samples");
  if (samples == cell.end() || !samples->is_object()) return out;
  auto values = samples->find(metric + "_ms");
  if (values == samples->end() || !values->is_array()) return out;
  for (const json& value : *values)
    if (value.is_number()) out.push_back(value.get<double>());
  return out;
}

}  // namespace poisonlab

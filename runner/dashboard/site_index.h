#pragma once
// The history export indexed the way the dashboard's views read it: the
// variants and cell keys in the order they first appear (runs are in date
// order), and every run's cell of each (cell key, variant), the latest last.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

// One run's cell: pointers into the export, which outlives the index.
struct RunCell {
  const nlohmann::json* run = nullptr;
  const nlohmann::json* cell = nullptr;
};

class SiteIndex {
 public:
  // InputError (naming "history export" and the JSON pointer) when the
  // export is not history_schema 1 or a run or cell lacks what the views read.
  explicit SiteIndex(const nlohmann::json& history_export);

  const nlohmann::json& runs() const { return *runs_; }
  // Every run's cell of (key, variant), in date order; empty when none.
  const std::vector<RunCell>& cells(const std::string& key, const std::string& variant) const;
  // The latest of them, or nullptr.
  const RunCell* latest(const std::string& key, const std::string& variant) const;

  std::vector<std::string> variants;  // first-seen order
  std::vector<std::string> keys;      // first-seen order

 private:
  const nlohmann::json* runs_;
  std::map<std::pair<std::string, std::string>, std::vector<RunCell>> cells_;
};

// A cell's samples of metric ("revocation" or a phase) in ms, from the
// export's "samples": {"<metric>_ms": [...]}; empty when it has none.
std::vector<double> samples_ms(const nlohmann::json& cell, const std::string& metric);

}  // namespace poisonlab

#include "history/history_export.h"

namespace poisonlab {

nlohmann::json export_history(const HistoryStore& store) {
  nlohmann::json runs = nlohmann::json::array();
  for (const RunRecord& run : store.runs()) runs.push_back(to_json(run));
  return {{"history_schema", kHistoryExportSchema}, {"runs", std::move(runs)}};
}

}  // namespace poisonlab

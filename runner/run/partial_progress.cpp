#include "run/partial_progress.h"

#include <string>

namespace poisonlab {

void note_progress(const nlohmann::json& message, nlohmann::json& partial) {
  if (!message.contains("detail") || !message["detail"].is_object()) return;
  nlohmann::json entry = message["detail"];
  entry["trial"] = message.value("trial", nlohmann::json());
  entry["time_ns"] = message.value("time_ns", nlohmann::json());
  std::string stage = message.value("stage", "");
  partial["last"] = entry;
  partial["last"]["stage"] = stage;
  if (stage == "trial-done")
    partial["trials_done"].push_back(std::move(entry));
  else if (stage == "inject")
    partial["injection_progress"] = std::move(entry);
}

}  // namespace poisonlab

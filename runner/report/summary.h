#pragma once
// The short table printed at the end of a run (and by anyone re-reading a
// report): one row per cell, then totals, then the cells that did not run.
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab {

std::string format_summary(const nlohmann::json& report);
// The most frequent notify-path class of a judged cell ("-" if none), with
// " (mixed)" when other classes were seen too. Ties go to the first name in
// alphabetical order.
std::string dominant_notify_path(const nlohmann::json& cell);

}  // namespace poisonlab

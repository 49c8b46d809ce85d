#pragma once
// Judging a report again: every cell that has an observation is judged anew
// from its stored spec and observation, with the oracles of this build (the
// agent only observes, so new or corrected oracles apply to old runs).
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab {

// Writes the re-judged report to out (atomically, like a run) and returns
// it. Cells without an observation are kept as they were; observations kept
// in cell files are read from report_dir, the folder of the report.
nlohmann::json rejudge_report(const nlohmann::json& report, const std::filesystem::path& report_dir,
                              const std::filesystem::path& out, const std::string& command_line);

}  // namespace poisonlab

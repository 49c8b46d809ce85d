#pragma once
// The text form of a compare_reports result (reports/compare.md shows one):
// the sides, a latency table per cell and metric, the correctness
// differences, and a one-line verdict. Fits 100 columns unless a cell key
// or a metric name is itself long.
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab {

std::string format_comparison(const nlohmann::json& result);

}  // namespace poisonlab

#include "report/matrix.h"

#include <algorithm>

#include <fmt/format.h>

#include "report/json_access.h"

namespace poisonlab {
using nlohmann::json;

json correctness_matrix(const json& cells) {
  json oracles = json::array(), rows = json::object();
  for (const auto& cell : cells) {
    json row = json::object();
    // Tolerant reads: a report read back may hold anything (found by tests/fuzz).
    const json& list = member_or_null(cell, "oracles");
    if (list.is_array())
      for (const auto& o : list) {
        std::string name = string_or(o, "name", "?");
        if (std::find(oracles.begin(), oracles.end(), name) == oracles.end()) oracles.push_back(name);
        row[name] = string_or(o, "verdict", "?");
      }
    rows[string_or(cell, "id", "?")] = row;
  }
  return {{"oracles", oracles}, {"cells", rows}};
}

std::string format_matrix(const json& report) {
  const json& cells = report.value("cells", json::array());
  json matrix = correctness_matrix(cells);
  const json& oracles = matrix["oracles"];
  size_t width = 4;
  for (const auto& c : cells) width = std::max(width, string_or(c, "id", "?").size());
  std::string out = fmt::format("{:<{}}  {:<7}  ", "cell", width, "verdict");
  for (size_t i = 0; i < oracles.size(); ++i) out += fmt::format("{:>2} ", i + 1);
  out += "\n";
  for (const auto& c : cells) {
    std::string id = string_or(c, "id", "?");
    out += fmt::format("{:<{}}  {:<7}  ", id, width, string_or(c, "verdict", "?"));
    const json& row = matrix["cells"][id];
    for (const auto& name : oracles) {
      std::string v = row.value(name.get<std::string>(), "");
      out += fmt::format("{:>2} ", v == "pass" ? "P" : v == "fail" ? "F" : v == "skip" ? "." : "");
    }
    out += "\n";
  }
  out += "P pass, F fail, . skip (not applicable or not observable), blank: not judged\n";
  for (size_t i = 0; i < oracles.size(); ++i) out += fmt::format("{:>2} {}\n", i + 1, oracles[i].get<std::string>());
  return out;
}

}  // namespace poisonlab

#include "run/run_dir.h"

#include <regex>
#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "scenario/json_reader.h"

namespace poisonlab {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kMatrixFormat = "poisonlab-matrix/1";

bool is_matrix_document(const json& doc) { return doc.is_object() && doc.contains("matrix"); }

// A scenario name becomes a folder of the run directory.
void check_folder_name(const std::string& name, const std::string& file, const std::string& pointer) {
  static const std::regex kSafe("[A-Za-z0-9][A-Za-z0-9._-]*");
  if (!std::regex_match(name, kSafe))
    throw InputError(file, pointer, "a name of letters, digits, '.', '_' and '-' (it names a folder), got '" + name + "'");
}

PlannedScenario plan_scenario(const fs::path& path, const std::vector<std::string>& variants, std::string dir) {
  PlannedScenario planned;
  planned.path = fs::absolute(path);
  planned.scenario = load_scenario(path);
  if (!variants.empty()) planned.scenario.kernels = variants;
  planned.plan = plan_cells(planned.scenario);
  planned.sha256 = sha256_file(path);
  planned.dir = std::move(dir);
  return planned;
}

struct MatrixFile {
  std::string name;
  std::vector<std::string> variants;
  std::vector<fs::path> scenarios;
};

MatrixFile read_matrix_file(const json& doc, const fs::path& file) {
  ObjectReader reader(JsonAt(doc, file.string()), {"matrix", "description", "variants", "scenarios"});
  MatrixFile m;
  m.name = reader.string("matrix");
  check_folder_name(m.name, file.string(), "/matrix");
  reader.optional_string("description");
  m.variants = reader.strings("variants", 1, 64, {});
  auto scenarios = reader.required("scenarios");
  for (const auto& entry : read_array(scenarios, 1, 256)) {
    fs::path p = read_string(entry);
    m.scenarios.push_back(p.is_absolute() ? p : file.parent_path() / p);
    if (!fs::is_regular_file(m.scenarios.back()))
      throw InputError(file.string(), entry.pointer(), "a scenario file (relative to the matrix file); " +
                                                           m.scenarios.back().string() + " does not exist");
  }
  return m;
}

void number_units(MatrixPlan& plan) {
  plan.units.clear();
  for (size_t s = 0; s < plan.scenarios.size(); ++s)
    for (size_t c = 0; c < plan.scenarios[s].plan.cells.size(); ++c)
      plan.units.push_back({plan.units.size(), s, c});
}

}  // namespace

MatrixPlan plan_matrix(const fs::path& file, const std::vector<std::string>& variants) {
  json doc = read_json_input(file);
  MatrixPlan plan;
  plan.source = fs::absolute(file);
  if (!is_matrix_document(doc)) {
    plan.scenarios.push_back(plan_scenario(file, variants, "."));
    plan.name = plan.scenarios.front().scenario.name;
    plan.variants = plan.scenarios.front().scenario.kernels;
    number_units(plan);
    return plan;
  }
  MatrixFile m = read_matrix_file(doc, file);
  plan.name = m.name;
  plan.variants = variants.empty() ? m.variants : variants;
  std::set<std::string> names;
  for (size_t i = 0; i < m.scenarios.size(); ++i) {
    PlannedScenario planned = plan_scenario(m.scenarios[i], plan.variants, "");
    const std::string& name = planned.scenario.name;
    check_folder_name(name, planned.path.string(), "/name");
    if (!names.insert(name).second)
      throw InputError(file.string(), fmt::format("/scenarios/{}", i),
                       "scenarios with distinct names (each names a folder); '" + name + "' comes twice");
    planned.dir = name;
    plan.scenarios.push_back(std::move(planned));
  }
  if (plan.variants.empty()) plan.variants = plan.scenarios.front().scenario.kernels;
  number_units(plan);
  return plan;
}

json matrix_json(const MatrixPlan& plan) {
  json scenarios = json::array(), units = json::array();
  for (const auto& s : plan.scenarios)
    scenarios.push_back({{"name", s.scenario.name}, {"path", s.path.string()}, {"sha256", s.sha256},
                         {"dir", s.dir}, {"cells", s.plan.cells.size()}});
  for (const auto& u : plan.units) {
    const Cell& cell = plan.cell(u);
    units.push_back({{"index", u.index}, {"scenario", plan.scenarios[u.scenario].scenario.name},
                     {"plan_index", u.plan_index}, {"cell", cell.id}, {"kernel", cell.kernel}});
  }
  return {{"format", kMatrixFormat}, {"name", plan.name}, {"run_id", plan.run_id}, {"source", plan.source.string()},
          {"variants", plan.variants}, {"scenarios", scenarios}, {"units", units}};
}

MatrixPlan load_run_dir_plan(const fs::path& run_dir) {
  fs::path file = run_dir / "matrix.json";
  if (!fs::is_regular_file(file))
    throw InputError(file.string(), "", "a run directory's matrix.json (written by poisonlab run or submit)");
  json doc = read_json_input(file);
  ObjectReader reader(JsonAt(doc, file.string()), {"format", "name", "run_id", "source", "variants", "scenarios", "units"});
  if (reader.string("format") != kMatrixFormat)
    throw InputError(file.string(), "/format", std::string("\"") + kMatrixFormat + "\"");
  MatrixPlan plan;
  plan.name = reader.string("name");
  plan.run_id = reader.string("run_id");
  plan.source = reader.string("source");
  plan.variants = reader.strings("variants", 1, 64, {});
  for (const auto& entry : read_array(reader.required("scenarios"), 1, 256)) {
    ObjectReader s(entry, {"name", "path", "sha256", "dir", "cells"});
    fs::path path = s.string("path");
    if (!fs::is_regular_file(path))
      throw InputError(file.string(), s.at().pointer_of("path"), "the scenario planned for this run; " +
                                                                      path.string() + " is gone");
    std::string sha = s.string("sha256");
    if (sha256_file(path) != sha)
      throw InputError(file.string(), s.at().pointer_of("sha256"),
                       "the scenario as planned (sha256 " + sha + "); " + path.string() +
                           " changed since: a run never mixes two plans");
    PlannedScenario planned = plan_scenario(path, plan.variants, s.string("dir"));
    if (static_cast<int64_t>(planned.plan.cells.size()) != s.integer("cells", 0, 1 << 30))
      throw InputError(file.string(), s.at().pointer_of("cells"), "the cell count this build plans");
    plan.scenarios.push_back(std::move(planned));
  }
  number_units(plan);
  return plan;
}

std::vector<fs::path> run_dir_reports(const fs::path& run_dir) {
  fs::path file = run_dir / "matrix.json";
  json doc = read_json_input(file);
  JsonAt at(doc, file.string());
  std::vector<fs::path> reports;
  for (const auto& entry : read_array(at.child("scenarios"), 1, 256))
    reports.push_back((run_dir / read_string(entry.child("dir")) / "report.json").lexically_normal());
  return reports;
}

std::vector<fs::path> expand_run_dirs(const std::vector<fs::path>& paths) {
  std::vector<fs::path> out;
  for (const auto& path : paths) {
    if (!fs::is_directory(path)) {
      out.push_back(path);
      continue;
    }
    if (!fs::exists(path / "matrix.json"))
      throw InputError(path.string(), "", "a report file, or a run directory (with matrix.json)");
    for (auto& report : run_dir_reports(path)) out.push_back(std::move(report));
  }
  return out;
}

}  // namespace poisonlab

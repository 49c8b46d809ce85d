#include "compare/report_side.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "report/json_access.h"
#include "report/report.h"

namespace poisonlab {

std::string cell_kernel(const nlohmann::json& cell) {
  std::string kernel = string_or(cell, "kernel");
  if (!kernel.empty()) return kernel;
  std::string id = string_or(cell, "id");
  return id.substr(0, id.find('/'));
}

namespace {

void check_cell(const NamedReport& report, size_t index) {
  const auto& cell = report.report["cells"][index];
  const std::string pointer = "/cells/" + std::to_string(index);
  if (!cell.is_object()) throw InputError(report.name, pointer, "expected a cell object");
  if (!cell.contains("id") || !cell["id"].is_string())
    throw InputError(report.name, pointer + "/id", "expected the cell id as a string");
}

// Two kernels under one key on a side that did not choose one.
[[noreturn]] void two_kernels(const Side& side, const std::string& key, const SideCell& seen, const CellRef& ref) {
  const std::string& first = seen.runs.front().report->name;
  const std::string& second = ref.report->name;
  const std::string option = side.label == "A" ? "--kernel-a" : "--kernel-b";
  const std::string kernel = cell_kernel(ref.cell());
  if (first == second)
    throw InputError(first, ref.pointer(),
                     fmt::format("side {}: cell {} is here for kernels {} and {}: choose one with {}", side.label, key,
                                 seen.kernel, kernel, option));
  throw UserError(fmt::format("side {}: cell {} ran on kernel {} in {} and on {} in {}: choose one with {}", side.label,
                              key, seen.kernel, first, kernel, second, option),
                  kExitBadInput);
}

std::set<std::string> kernels_of(const std::vector<NamedReport>& reports) {
  std::set<std::string> kernels;
  for (const auto& report : reports)
    for (const auto& cell : report.report["cells"]) kernels.insert(cell_kernel(cell));
  return kernels;
}

}  // namespace

Side collect_side(const std::string& label, const std::vector<NamedReport>& reports,
                  const std::optional<std::string>& kernel) {
  Side side;
  side.label = label;
  for (const auto& report : reports) {
    for (size_t i = 0; i < report.report["cells"].size(); ++i) {
      check_cell(report, i);
      CellRef ref{&report, i};
      const std::string cell_kernel_label = cell_kernel(ref.cell());
      if (kernel && cell_kernel_label != *kernel) continue;
      const std::string key = cell_key(ref.cell());
      auto [it, added] = side.cells.try_emplace(key, SideCell{cell_kernel_label, {}});
      if (added) side.keys.push_back(key);
      if (it->second.kernel != cell_kernel_label) two_kernels(side, key, it->second, ref);
      it->second.runs.push_back(ref);
      side.kernels.insert(cell_kernel_label);
    }
  }
  if (kernel && side.cells.empty()) {
    std::string files;
    for (const auto& report : reports) files += (files.empty() ? "" : ", ") + report.name;
    throw InputError(files, "/cells", fmt::format("cells of kernel {} for side {} (--kernel-{}); the kernels there are: {}",
                                                  *kernel, label, label == "A" ? "a" : "b",
                                                  fmt::join(kernels_of(reports), ", ")));
  }
  return side;
}

}  // namespace poisonlab

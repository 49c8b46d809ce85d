#pragma once
// One side of a comparison: the cells of one or more reports, grouped by
// cell_key (the id without the kernel label) so that runs on different
// kernels line up, and pooled over the reports of the side.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

// A report and the name its errors are reported under (its path).
struct NamedReport {
  std::string name;
  nlohmann::json report;
};

// A cell of a report, with where it came from for error messages.
struct CellRef {
  const NamedReport* report = nullptr;
  size_t index = 0;  // in report["cells"]
  const nlohmann::json& cell() const { return report->report["cells"][index]; }
  std::string pointer() const { return "/cells/" + std::to_string(index); }
};

// Every run of one cell key on a side.
struct SideCell {
  std::string kernel;
  std::vector<CellRef> runs;
};

struct Side {
  std::string label;                    // "A" or "B"
  std::vector<std::string> keys;        // in first-seen order
  std::map<std::string, SideCell> cells;
  std::set<std::string> kernels;        // kernels of the cells kept
};

// The kernel label of a cell: its "kernel", else the id's first component.
std::string cell_kernel(const nlohmann::json& cell);

// Groups the reports' cells by key. With kernel, only that kernel's cells
// (InputError when no report of the side has any, listing the kernels there
// are); without, a key seen with two kernels is an error naming the files
// and kernels. Cells that are not objects with a string id are InputErrors.
Side collect_side(const std::string& label, const std::vector<NamedReport>& reports,
                  const std::optional<std::string>& kernel);

}  // namespace poisonlab

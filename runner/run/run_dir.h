#pragma once
// A run directory: everything one matrix run writes, laid out so that any
// process (the runner itself, a resumed runner, a Slurm array task) can add
// cells to it and any process can rebuild its reports from what is on disk.
//
//   DIR/matrix.json                      the frozen plan (units in order)
//   DIR/<scenario dir>/report.json       that scenario's report (a view)
//   DIR/<scenario dir>/report.cells/NNNN.json   cell NNNN of the scenario's
//                                        plan, written atomically when it ends
//   DIR/<scenario dir>/report.kernels/<variant>-<first cell>.json
//                                        one VM job's kernel entry (boots)
//
// A single-scenario run keeps its report at DIR/report.json (scenario dir
// "."), as before matrices existed.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plan/plan.h"
#include "scenario/scenario.h"

namespace poisonlab {

// One scenario of a matrix, planned for the matrix's variants.
struct PlannedScenario {
  std::filesystem::path path;   // absolute
  std::string sha256;           // of the file when planned
  std::string dir;              // relative to the run dir ("." for a single scenario)
  Scenario scenario;            // kernels = the run's variants
  Plan plan;
};

// One cell of the whole matrix: the Slurm array index is `index`.
struct MatrixUnit {
  size_t index = 0;        // position in the matrix, 0-based
  size_t scenario = 0;     // into MatrixPlan::scenarios
  size_t plan_index = 0;   // into that scenario's plan.cells (the cell file number)
};

struct MatrixPlan {
  std::string name;
  std::string run_id;                    // set when a run directory is made for it
  std::filesystem::path source;          // the matrix or scenario file given
  std::vector<std::string> variants;
  std::vector<PlannedScenario> scenarios;
  std::vector<MatrixUnit> units;

  const Cell& cell(const MatrixUnit& unit) const { return scenarios[unit.scenario].plan.cells[unit.plan_index]; }
};

// Reads a matrix file ({"matrix": NAME, "variants": [...], "scenarios":
// [paths relative to it]}) or a single scenario file, and plans every
// scenario for `variants` (empty: the matrix's, else each scenario's own
// kernels). InputError naming the file and field on bad input; unknown
// variants are an InputError too (checked against the registry by the caller).
MatrixPlan plan_matrix(const std::filesystem::path& file, const std::vector<std::string>& variants);

// matrix.json of a plan, and the plan back from a run directory (the
// scenarios are read again and must still have the sha256 recorded, else an
// InputError: a resumed or distributed run never mixes two plans).
nlohmann::json matrix_json(const MatrixPlan& plan);
// The report files a run directory holds, one per scenario, from its
// matrix.json (no re-planning: the scenario files may have changed since).
std::vector<std::filesystem::path> run_dir_reports(const std::filesystem::path& run_dir);
// Each path as given, except a run directory, which stands for its reports.
std::vector<std::filesystem::path> expand_run_dirs(const std::vector<std::filesystem::path>& paths);
MatrixPlan load_run_dir_plan(const std::filesystem::path& run_dir);

}  // namespace poisonlab

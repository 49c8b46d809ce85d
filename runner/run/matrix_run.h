#pragma once
// The run stage for a matrix: variants x scenarios x the scenarios' own
// parameters, as cells in a run directory (run_dir.h). One VM job per
// (scenario, variant) runs that variant's cells on one booted VM; --jobs
// of them run at once. Every judged cell is on disk when it ends, so a
// killed run resumes where it stopped, and a Slurm array task can run any
// one cell (run_one_unit) for `merge_run_dir` to join.
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "run/run_dir.h"
#include "target/local/local_target.h"

namespace poisonlab {

struct MatrixRunRequest {
  std::filesystem::path input;           // a matrix or scenario file (empty with resume)
  std::vector<std::string> variants;     // instead of the file's kernels
  std::optional<std::filesystem::path> out_dir;  // default results/<run-id>
  bool resume = false;                   // out_dir holds a run to finish
  std::optional<unsigned> jobs;          // VMs at once; default: default_jobs()
  bool dry_run = false;
  std::optional<bool> interactive;       // progress display; default: stdout is a terminal
  std::optional<std::filesystem::path> kernel_image;  // variant "custom"
  std::optional<std::filesystem::path> modules_dir;
  std::filesystem::path variants_file;   // the kernel variant registry
  // --target local: the cells run on this machine (variant "local"), one at
  // a time, on the devices these options allow, after every safety check.
  std::optional<LocalTargetOptions> local;
  std::string command_line;
};

struct RunOutcome {
  std::filesystem::path out_dir;
  std::vector<std::filesystem::path> reports;  // one per scenario
  // 0 every cell passed, kExitOracleFailed otherwise, 128+signal when stopped
  int exit_code = 0;
};

// Plans, checks every variant against the registry, creates the run
// directory with matrix.json and each scenario's initial report. Refuses a
// directory that already holds a run.
MatrixPlan prepare_matrix_run(const MatrixRunRequest& request, std::filesystem::path& out_dir);

// Runs (or resumes) a matrix; prints progress and the summaries to log.
RunOutcome run_matrix(const MatrixRunRequest& request, std::ostream& log);

// `poisonlab run-cell DIR --index I`: unit I of DIR/matrix.json in a VM of
// its own. Writes that cell's file and its kernel entry, not report.json.
// Returns 0 when the cell passed, kExitOracleFailed otherwise; a cell that
// already has its file is not run again.
int run_one_unit(const std::filesystem::path& run_dir, size_t index, const std::filesystem::path& variants_file,
                 std::ostream& log);

// `poisonlab merge DIR`: rebuilds every scenario's report.json from the
// cell and kernel files. A cell without a file is listed in
// run.missing_cells (status "incomplete"). Returns 0 when every planned cell
// is there and passed, kExitOracleFailed otherwise.
int merge_run_dir(const std::filesystem::path& run_dir, const std::string& command_line, std::ostream& log);

// What a QEMU process needs beyond its guest's RAM, when VMs are planned
// onto a machine (here and in a Slurm task's --mem).
inline constexpr int kQemuOverheadMib = 768;

// VMs at once: as many as the cores allow, and as memory allows with the
// largest VM of the plan plus QEMU's overhead; at least 1.
unsigned default_jobs(const MatrixPlan& plan);
// The --dry-run text: every VM job and its cells, in run order.
std::string format_plan(const MatrixPlan& plan, unsigned jobs);

}  // namespace poisonlab

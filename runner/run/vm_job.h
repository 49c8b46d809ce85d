#pragma once
// One VM job: a kernel's cells of one scenario, run in plan order on booted
// VMs (a fresh VM after a cell that took the VM down). Jobs run in parallel
// in a matrix run and alone in a Slurm array task; either way they hand
// each result to a JobSink as soon as it is judged.
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernel/variant_registry.h"
#include "plan/plan.h"
#include "scenario/scenario.h"

namespace poisonlab {

struct LocalTargetOptions;

// Where a job runs: a VM booting a registry variant or an image given on
// the command line (variant "custom"), or this machine (--target local:
// variant "local", its running kernel).
struct KernelSource {
  const VariantRegistry* registry = nullptr;
  std::optional<std::filesystem::path> kernel_image;
  std::optional<std::filesystem::path> modules_dir;
  const LocalTargetOptions* local = nullptr;
};

struct VmJob {
  const Scenario* scenario = nullptr;
  std::string kernel;
  std::vector<Cell> cells;
  std::vector<size_t> slots;      // each cell's index in its scenario's plan
  std::filesystem::path out_dir;  // the scenario's report folder: VM folders go here
};

class JobSink {
 public:
  virtual ~JobSink() = default;
  // The job's kernel entry (artifacts, boots so far), each time it changes.
  virtual void kernel_changed(const nlohmann::json& kernel_info) = 0;
  virtual void cell_started(const Cell& cell, size_t slot) = 0;
  // A judged cell (pass, fail or error): written before the next one starts.
  virtual void cell_done(const Cell& cell, size_t slot, nlohmann::json judged) = 0;
};

// Runs the job; a cell whose VM died is judged with the console's evidence
// and the job goes on. Throws RunInterrupted when a stop was requested (the
// VM is killed; the cell under way gets no result), InputError on bad input.
void run_vm_job(const VmJob& job, const KernelSource& source, JobSink& sink, std::ostream& log);

// What a dead VM says about the cell it ran: "guest-panic" when the console
// shows a kernel panic, "agent-crash" when the guest init saw the agent die,
// "qemu-crash" when QEMU ended on a signal nobody sent ("agent-crash" too
// when a local target's agent process ended), else the target's
// kind (hang, timeout, qemu-exited, channel-closed, ...).
std::string classify_vm_failure(const std::string& kind, const std::string& console,
                                std::optional<int> qemu_wait_status);

}  // namespace poisonlab

#pragma once
// One cell: stack -> trials -> teardown -> observation JSON (PROTOCOL.md).
// Observes only; never judges.
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/cell_spec.h"
#include "agent/inject.h"
#include "agent/tracefs.h"

namespace poisonlab::agent {

// Called at each stage change ("stack", "trial" with its index, "teardown"),
// during a long injection ("inject", detail {"units_done", "units", ...})
// and after each trial ("trial-done", detail: a few figures of it), so a cell
// that never finishes still leaves partial data with the runner.
using ProgressFn =
    std::function<void(const std::string& stage, std::optional<int> trial, const nlohmann::json& detail)>;

struct CellContext {
  TraceSession* trace = nullptr;  // null: no tracing wanted or possible
  ProgressFn progress;
  HostRequestFn host;  // host-side actions (mce); throws when there is no runner
  std::string cell_id;  // names the cell's perf files in the run directory
};

// Throws only on agent bugs or when /dev/kmsg cannot be opened; a stack
// that cannot be built is reported in the observation (stack.ok = false, no
// trials).
nlohmann::json run_cell(const CellSpec& spec, const CellContext& ctx);

}  // namespace poisonlab::agent

#pragma once
// The scenario's "perf" object (scenarios/README.md): perf stat counts of the
// memory-failure tracepoints and kprobes around every injection, and perf
// record call graphs around the large ones.
#include <nlohmann/json.hpp>

#include "scenario/json_reader.h"

namespace poisonlab {

struct PerfSpec {
  bool stat = true;    // perf stat -a on the tracepoints and kprobes
  bool record = true;  // perf record -a -g, folded stacks in the run directory
  // Record only around injections this large (both must hold): the
  // "large-range events" a call graph is worth its cost for.
  int record_min_pages = 64;
  int record_min_early_kill = 0;
  int frequency = 999;  // samples per second per CPU (cpu-clock: no PMU under TCG)
  bool operator==(const PerfSpec&) const = default;
};

inline constexpr int kMaxPerfFrequency = 10000;

PerfSpec read_perf(const JsonAt& at);
// As the CellSpec (PROTOCOL.md) and scenario_to_json carry it.
nlohmann::json perf_to_json(const PerfSpec& perf);

}  // namespace poisonlab

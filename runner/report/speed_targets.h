#pragma once
// Where the framework's own speed targets stand (issue 4, "Speed of the
// framework itself"), computed from what a run recorded, never assumed:
//   boot to agent ready  <= 4 s median (kernels[].boots[].phases)
//   injection trials     >= 1000 per hour (trials over the run's wall time)
//   tracing overhead     < 5 % on revocation latency (cells of a "trace"
//                        sweep: the same cell with tracing off and on)
//   runner memory        < 100 MiB resident (getrusage of the runner)
#include <cstdint>

#include <nlohmann/json.hpp>

namespace poisonlab {

struct RunCost {
  double wall_s = 0;                // the whole run, boots included
  uint64_t runner_max_rss_kib = 0;  // getrusage(RUSAGE_SELF).ru_maxrss
};

// {"boot_to_ready_s", "trials_per_hour", "tracing_overhead", "runner_max_rss_mib"}:
// each with its measured value(s), "target" and "met" (null when nothing
// measured it).
nlohmann::json speed_targets(const nlohmann::json& report, const RunCost& cost);

}  // namespace poisonlab

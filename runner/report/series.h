#pragma once
// Sweep series: the cells whose spec.sweep names the same series (one
// kernel, stack, file system and injection; only the swept value differs),
// as points in value order, with the log-log fit of how each measure scales
// with the value (scaling.h).
#include <nlohmann/json.hpp>

namespace poisonlab {

// The measures fitted, each the p50 (ms) of a cell's latency statistics:
// "revocation" (revocation_ms_stats) and each phase of phase_ms_stats named
// here.
inline constexpr const char* kSeriesPhases[] = {"kernel_handling", "memory_failure_to_notify",
                                                "notify_to_unmap_done"};

// [{"series", "parameter", "points": [{"value", "cell", "verdict",
//   "trials_measured", "revocation_ms_p50", "revocation_ms_p50_ci95",
//   "<phase>_ms_p50"...}], "fits": {"revocation_ms_p50": fit, ...}}] for the
// judged cells (report cells with latency statistics); [] without sweeps.
nlohmann::json build_series(const nlohmann::json& cells);

}  // namespace poisonlab

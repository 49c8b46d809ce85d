#pragma once
// Revocation latency and its phases, per trial, from the signal times, the
// injection times and the trace (all CLOCK_MONOTONIC ns in the guest).
#include <nlohmann/json.hpp>
#include <vector>

#include "oracles/observation_model.h"

namespace poisonlab::oracles {

// notify_per_trial[i] is classify_notify_path() of obs.trials[i].
// Returns {"revocation_ns": [per trial: last expected early-kill signal time
//   - injection start, null when an expected signal (or a time) is missing],
//  "phases": [per trial {"trial", "inject_to_first_signal_ns",
//   "inject_to_last_signal_ns", "injection_duration_ns",
//   "memory_failure_first_ns", "kernel_handling_ns"}]}.
// The signal phases use the expected signals that did arrive; a value that
// cannot be computed is null.
nlohmann::json compute_latency(const ObservationRecord& obs, const std::vector<nlohmann::json>& notify_per_trial);

}  // namespace poisonlab::oracles

#pragma once
// Revocation latency and its phases, per trial, from the signal times, the
// injection times and the trace (all CLOCK_MONOTONIC ns in the guest).
#include <nlohmann/json.hpp>

#include "oracles/oracle_set.h"

namespace poisonlab::oracles {

// Returns {"revocation_ns": [per trial: the last expected early-kill
//   BUS_MCEERR_AO signal (expected-victim model: poison_model.h) - injection
//   start, null when an expected signal (or a time) is missing or none was
//   expected],
//  "phases": [per trial {"trial", "inject_to_first_signal_ns",
//   "inject_to_last_signal_ns", "injection_duration_ns",
//   "memory_failure_first_ns", "kernel_handling_ns"}]}.
// The signal phases use the expected signals that did arrive; a value that
// cannot be computed is null.
nlohmann::json compute_latency(const Cell& cell);

}  // namespace poisonlab::oracles

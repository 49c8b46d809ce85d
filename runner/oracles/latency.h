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
//   "memory_failure_first_ns", "kernel_handling_ns",
//   "memory_failure_to_notify_ns", "notify_to_unmap_done_ns",
//   "unmap_done_to_signal_generated_ns" (the first page's, from the trace),
//   "signal_generated_to_received_ns" and "..._max_ns": median and max over
//   every machine-check SIGBUS a mapper received (user clock) minus the
//   signal:signal_generate aimed at its pid, paired in order (trace clock;
//   one generated while a SIGBUS was pending never arrives and is left out);
//   both clocks are CLOCK_MONOTONIC, so this cross-checks them;
//   "signals_paired_with_trace": how many pairs,
//   "timeline": {"first_page", "last_page": the page's trace timeline
//   (notify_path.h) relative to the injection start, or null;
//   "first_signal_received_ns", "last_signal_received_ns"}}]}.
// The signal phases use the expected signals that did arrive; a value that
// cannot be computed is null.
nlohmann::json compute_latency(const Cell& cell);

}  // namespace poisonlab::oracles

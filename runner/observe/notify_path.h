#pragma once
// Which way each memory failure reached the owner of the page, read off the
// trace events of one trial (event names as in PROTOCOL.md's probe table).
//
// Events are grouped per memory_failure kprobe hit: a group runs from the
// hit up to the next memory_failure hit from the same pid, or up to that
// pid's memory_failure_ret. The class of a group is a property of what was
// observed in it:
//   holder            xfs_dax_notify_failure ran and returned 0 (or ran and
//                     no return was captured); also dax_holder_notify_failure
//                     returning 0 without the xfs probe seeing anything
//   holder-error      xfs_dax_notify_failure returned non-zero, or
//                     dax_holder_notify_failure returned an error other
//                     than -EOPNOTSUPP without xfs_dax_notify_failure
//   generic-fallback  dax_holder_notify_failure returned -EOPNOTSUPP (-95),
//                     or (no return captured) pmem_pagemap_memory_failure /
//                     dax_holder_notify_failure ran and xfs_dax_notify_failure,
//                     whose probe worked, did not
//   no-dax-handler    memory_failure ran and pmem_pagemap_memory_failure,
//                     whose probe worked, did not
//   unknown           a probe needed to tell was not available
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "observe/trace_parse.h"

namespace poisonlab {

inline constexpr std::string_view kPathHolder = "holder";
inline constexpr std::string_view kPathHolderError = "holder-error";
inline constexpr std::string_view kPathGenericFallback = "generic-fallback";
inline constexpr std::string_view kPathNoDaxHandler = "no-dax-handler";
inline constexpr std::string_view kPathUnknown = "unknown";

inline constexpr int kEopnotsupp = -95;

// trace_events: [{time_ns, cpu, pid, comm, event, args{string: string}}]
// probes: [{name, kind, ok, error}] (the observation's trace.probes)
// mf_flags: the kernel's enum mf_flags (observation.kernel_enums.mf_flags),
// or null; it names the flags memory_failure was called with.
// Returns {"per_event": [{pfn, pid, comm, start_ns, end_ns, duration_ns,
//   flags, flag_names, unknown_flag_bits, functions_seen[],
//   dax_holder_notify_failure_ret, dax_holder_notify_failure_calls (one per
//   level a notification passed: pmem, then each forwarding mapped device),
//   dm_forwarded (dm_dax_notify_failure ran; null where the kernel lacks it),
//   xfs_dax_notify_failure_ret,
//   mf_dax_kill_procs, unmap_mapping_range, memory_failure_ret,
//   signals_generated, event_count, timeline, class, reason}],
//   "summary": {class: count}, "unavailable_probes": [names]}
// timeline: {memory_failure_ns, notify_ns (first dax_holder_notify_failure,
//   xfs_dax_notify_failure or mf_generic_kill_procs), kill_procs_ns,
//   unmap_start_ns, unmap_done_ns (the last unmap_mapping_range return),
//   first_signal_generated_ns, last_signal_generated_ns,
//   memory_failure_return_ns}, trace-clock (mono) ns, null when not seen.
// flags is the memory_failure event's flags as traced ("0x23") or null;
// flag_names and unknown_flag_bits are null when flags or the enum are.
// Throws InputError (file "observation") for events of the wrong shape.
nlohmann::json classify_notify_path(const nlohmann::json& trace_events, const nlohmann::json& probes,
                                    const nlohmann::json& mf_flags = nullptr);
// The same on events already checked and compacted (observation_model.h).
nlohmann::json classify_notify_path(const std::vector<TraceRecord>& trace_events, const nlohmann::json& probes,
                                    const nlohmann::json& mf_flags = nullptr);

}  // namespace poisonlab

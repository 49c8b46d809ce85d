#pragma once
// Turns a cell's raw observation (PROTOCOL.md) into a judged cell: oracle
// verdicts with evidence, the notify-path classification and latencies.
//
// Judged cell:
//   {"id", "kernel", "stack", "method",          (when the caller gives them)
//    "status": "completed" | e.g. "hang", "error": null | "text",
//    "verdict": "pass" | "fail" | "error",
//    "oracles": [{"name", "verdict": "pass"|"fail"|"skip", "evidence", "summary"}],
//    "notify_path": {"summary": {class: count}, "per_trial": [{"trial", "per_event",
//                    "summary", "unavailable_probes"}], "trace_enabled"},
//    "latency": {"revocation_ns": [...], "phases": [...]},   (see latency.h)
//    "spec": <the cell spec judged against>,
//    "observation": <the raw observation> | null}
// verdict is "error" when the observation is missing or malformed or the
// stack could not be built, "fail" when an oracle fails, else "pass".
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace poisonlab {

struct CellIdentity {
  std::string id;          // "debian-6.12/raw/xfs/madvise"
  std::string kernel;      // "debian-6.12"
  std::string stack;       // "raw" (the stack's label)
  std::string method;      // "madvise"
  std::string filesystem;  // "xfs" (the file system's label)
  std::string target;      // "file" (the target's space)
};

nlohmann::json judge_cell(const CellIdentity& identity, const nlohmann::json& cell_spec,
                          const nlohmann::json& observation);
// Without identity fields.
nlohmann::json judge_cell(const nlohmann::json& cell_spec, const nlohmann::json& observation);
// The same, taking the observation over instead of copying it: a large
// range's observation is hundreds of MB as a JSON tree.
nlohmann::json judge_cell(const CellIdentity& identity, const nlohmann::json& cell_spec, nlohmann::json&& observation);

// A cell that produced no observation (the agent reported an error, the VM
// hung or crashed): verdict "error" with the given status, and the kernel
// problems found in the tail of the serial console as evidence, so a guest
// panic shows up with a parsed title.
nlohmann::json judge_failed_cell(const CellIdentity& identity, std::string_view status, std::string_view error_text,
                                 std::string_view serial_tail);

}  // namespace poisonlab

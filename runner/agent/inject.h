#pragma once
// Poison injection for one trial, with pacing: per-page = inject unit i,
// then wait until every expected early-kill signal for it was recorded (or
// settle_ms passes); burst = every unit back to back (madvise: one call),
// then wait for all; rate = unit i at start + i / rate_per_s, then wait for
// all. (A second SIGBUS is not queued while one is pending, hence per-page
// pacing when every signal must be seen.)
//
// Methods: madvise (MADV_HWPOISON in the injector process), hwpoison-pfn
// (debugfs corrupt-pfn), hard-offline (sysfs hard_offline_page), mce (a
// machine check the runner injects through QEMU's monitor), badblocks
// (/sys/block/pmemN/badblocks; action optional, or action required while a
// consumer process spins on the page in user mode on the CPU that takes
// the machine check), unbind (the namespace's pmem driver unbound
// under the mounted file system, in a child process so a hang is bounded),
// cxl-qmp-poison (the runner's QMP cxl-inject-poison at the unit's DPA on the
// type-3 device) and cxl-debugfs-poison (debugfs cxl/memN/inject_poison at
// the DPA): both put the page in the device's poison list (issue 5);
// ndctl-inject-error and einj for real hardware (issue 7, local_inject.h).
// A step that names a physical address is refused when it is System RAM.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/aim.h"
#include "agent/cell_spec.h"
#include "agent/kmsg.h"
#include "agent/stack.h"
#include "agent/victims.h"

namespace poisonlab::agent {

// Asks the runner for a host-side action (PROTOCOL.md, "Requests") and
// returns its reply; throws UserError when there is no runner to ask.
using HostRequestFn = std::function<nlohmann::json(const nlohmann::json& request)>;

// A signal the pacing waits for: victim i, in file_page of its file (any
// page when nullopt).
struct ExpectedSignal {
  size_t victim = 0;
  std::optional<uint64_t> file_page;
};
// The expected signals for some units: every early-kill victim mapping a
// file page that lies on one of the units (owners through FIEMAP, so
// reflink sharers count). For unbind (no units): every early-kill victim.
std::vector<ExpectedSignal> expected_signals(const std::vector<const PoisonUnit*>& units,
                                             const std::vector<address::FileMap>& files, const VictimGroup& victims,
                                             bool whole_device);
bool signals_seen(const VictimGroup& victims, const std::vector<ExpectedSignal>& expected);

struct InjectionStep {
  size_t first_unit = 0;
  size_t units = 1;
  std::string action;  // what was done, e.g. "corrupt-pfn 0x10021d"
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  int64_t ret = -1;
  int err = 0;
  // When every expected signal of the step's units was seen (nullopt: not
  // all arrived within settle_ms). Burst and rate: set on the last step.
  std::optional<uint64_t> signals_seen_ns;
  std::vector<std::string> kernel_log;  // kmsg lines logged during the step
  nlohmann::json host_reply;            // mce: the runner's reply
  nlohmann::json consumer;              // mce action required: how the consumer's spin ended
  std::optional<uint64_t> dpa;          // CXL poison methods: the device physical address poisoned
  nlohmann::json tool_output;           // ndctl-inject-error, einj (issue 7): what the tool said or was given
  std::optional<std::string> error;
  bool hung = false;  // unbind: the write did not return within its timeout
  nlohmann::json to_json() const;
};

struct InjectionResult {
  std::string method;
  std::string pacing;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;  // after the last settle wait
  std::vector<InjectionStep> steps;
  bool hung() const;
  nlohmann::json to_json() const;
};

struct InjectionContext {
  const CellSpec& spec;
  const Stack& stack;
  const Aim& aim;
  VictimGroup& victims;
  std::optional<size_t> injector;  // the madvise injector victim
  std::optional<size_t> consumer;  // the action-required consumer victim
  KmsgLog& kmsg;
  const HostRequestFn& host;
  // Told (at most once a second) how far a long injection has got; may be empty.
  std::function<void(const nlohmann::json& progress)> on_progress = {};
};

InjectionResult inject(const InjectionContext& ctx);

}  // namespace poisonlab::agent

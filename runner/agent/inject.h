#pragma once
// Poison injection for one trial, with pacing: per-page = inject page i,
// then wait until every early-kill mapper of page i recorded a SIGBUS for it
// (or settle_ms passes); burst = inject every page back to back, then wait
// for all of them the same way. (A second SIGBUS is not queued while one is
// pending, hence per-page pacing when every signal must be seen.)
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/cell_spec.h"
#include "agent/kmsg.h"
#include "agent/victims.h"

namespace poisonlab::agent {

struct PoisonTarget {
  uint64_t file_page = 0;
  std::optional<uint64_t> pfn;  // pfn_computed
};

struct InjectionStep {
  uint64_t file_page = 0;
  uint64_t pages = 1;
  std::optional<uint64_t> pfn;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  int64_t ret = -1;
  int err = 0;
  // When every expected early-kill signal for the step's pages was seen
  // (nullopt: not all arrived within settle_ms). Burst: set on the last step.
  std::optional<uint64_t> signals_seen_ns;
  std::vector<std::string> kernel_log;  // kmsg lines logged during the step
  std::optional<std::string> error;
  nlohmann::json to_json() const;
};

struct InjectionResult {
  std::string method;
  std::string pacing;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;  // after the last settle wait
  std::vector<InjectionStep> steps;
  nlohmann::json to_json() const;
};

// Injects targets (file order) with spec's method and pacing. `injector`
// is the index of the madvise injector victim (madvise only).
InjectionResult inject(const CellSpec& spec, const std::vector<PoisonTarget>& targets, VictimGroup& victims,
                       std::optional<size_t> injector, KmsgLog& kmsg);

// Whether every early-kill victim mapping one of the pages recorded a
// SIGBUS in it.
bool expected_signals_seen(const VictimGroup& victims, const std::vector<uint64_t>& file_pages);

}  // namespace poisonlab::agent

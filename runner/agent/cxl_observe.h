#pragma once
// What a CXL cell observes beyond the common trial record (issue 5): the
// cxl:cxl_poison tracepoint in the agent's trace instance, and the device's
// poison list read back after the injection (sysfs trigger_poison_list makes
// the kernel fetch the list from the device and emit one cxl_poison event,
// trace_type=List, per entry). Observes only; the oracles judge.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/aim.h"
#include "agent/cxl_region.h"

namespace poisonlab::agent {

// Turns events/cxl/cxl_poison on in a trace instance while it lives.
class CxlPoisonTraceEvent {
 public:
  explicit CxlPoisonTraceEvent(std::filesystem::path instance);
  ~CxlPoisonTraceEvent();
  CxlPoisonTraceEvent(const CxlPoisonTraceEvent&) = delete;
  CxlPoisonTraceEvent& operator=(const CxlPoisonTraceEvent&) = delete;
  // {"event": "cxl:cxl_poison", "ok": true, "error": null}
  nlohmann::json to_json() const;

 private:
  std::filesystem::path enable_;
  std::optional<std::string> error_;
};

// The DPA of every unit ({"unit", "phys", "dpa"}; dpa null outside the region).
nlohmann::json unit_dpas(const CxlRegion& region, const std::vector<PoisonUnit>& units);

// Writes 1 to cxl_root/<memdev>/trigger_poison_list. Returns
// {"trigger": path, "ok", "errno", "error", "start_ns", "end_ns"}.
nlohmann::json read_poison_list(const CxlRegion& region,
                                const std::filesystem::path& cxl_root = "/sys/bus/cxl/devices");

}  // namespace poisonlab::agent

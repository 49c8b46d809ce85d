#include "agent/cxl_observe.h"

#include <cstring>

#include "agent/clock.h"
#include "agent/sysfs.h"

namespace poisonlab::agent {
namespace fs = std::filesystem;
using nlohmann::json;

CxlPoisonTraceEvent::CxlPoisonTraceEvent(fs::path instance)
    : enable_(std::move(instance) / "events" / "cxl" / "cxl_poison" / "enable") {
  if (int err = write_attr(enable_, "1")) error_ = "write " + enable_.string() + ": " + strerror(err);
}

CxlPoisonTraceEvent::~CxlPoisonTraceEvent() {
  if (!error_) write_attr(enable_, "0");
}

json CxlPoisonTraceEvent::to_json() const {
  return {{"event", "cxl:cxl_poison"}, {"ok", !error_}, {"error", error_ ? json(*error_) : json(nullptr)}};
}

json unit_dpas(const CxlRegion& region, const std::vector<PoisonUnit>& units) {
  json out = json::array();
  for (size_t i = 0; i < units.size(); ++i) {
    auto dpa = hpa_to_dpa(region.layout, units[i].phys);
    out.push_back({{"unit", i}, {"phys", units[i].phys}, {"dpa", dpa ? json(*dpa) : json(nullptr)}});
  }
  return out;
}

json read_poison_list(const CxlRegion& region, const fs::path& cxl_root) {
  fs::path trigger = cxl_root / region.memdev / "trigger_poison_list";
  uint64_t start = monotonic_ns();
  int err = write_attr(trigger, "1");
  return {{"trigger", trigger.string()},
          {"ok", err == 0},
          {"errno", err},
          {"error", err ? json("write " + trigger.string() + ": " + strerror(err)) : json(nullptr)},
          {"start_ns", start},
          {"end_ns", monotonic_ns()}};
}

}  // namespace poisonlab::agent

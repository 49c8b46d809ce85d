#include "scenario/perf_spec.h"

#include <fmt/format.h>

#include "scenario/scenario.h"  // kMaxEarlyKill

namespace poisonlab {

PerfSpec read_perf(const JsonAt& at) {
  ObjectReader o(at, {"stat", "record", "record_min_pages", "record_min_early_kill", "frequency"});
  PerfSpec p;
  p.stat = o.boolean("stat", p.stat);
  p.record = o.boolean("record", p.record);
  if (!p.stat && !p.record) at.fail("expected stat or record to be true (leave perf out to run without it)");
  // Record settings without record would be silently ignored.
  for (const char* key : {"record_min_pages", "record_min_early_kill", "frequency"})
    if (!p.record && o.optional(key)) o.required(key).fail(fmt::format("expected {} only with \"record\": true", key));
  p.record_min_pages = static_cast<int>(o.integer("record_min_pages", 1, 262144, p.record_min_pages));
  p.record_min_early_kill = static_cast<int>(o.integer("record_min_early_kill", 0, kMaxEarlyKill, p.record_min_early_kill));
  p.frequency = static_cast<int>(o.integer("frequency", 1, kMaxPerfFrequency, p.frequency));
  return p;
}

nlohmann::json perf_to_json(const PerfSpec& p) {
  nlohmann::json j = {{"stat", p.stat}, {"record", p.record}};
  if (p.record) {  // read_perf refuses them without record
    j["record_min_pages"] = p.record_min_pages;
    j["record_min_early_kill"] = p.record_min_early_kill;
    j["frequency"] = p.frequency;
  }
  return j;
}

}  // namespace poisonlab

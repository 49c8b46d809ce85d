#include "observe/notify_path.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "observe/mf_flags.h"

namespace poisonlab {
namespace {

using nlohmann::json;

constexpr std::string_view kMemoryFailure = "memory_failure";
constexpr std::string_view kMemoryFailureRet = "memory_failure_ret";
constexpr std::string_view kPmemPagemap = "pmem_pagemap_memory_failure";
constexpr std::string_view kDaxHolder = "dax_holder_notify_failure";
constexpr std::string_view kDaxHolderRet = "dax_holder_notify_failure_ret";
constexpr std::string_view kXfsNotify = "xfs_dax_notify_failure";
// Only in kernels with kernel-config/patches/dm-notify-failure.
constexpr std::string_view kDmNotify = "dm_dax_notify_failure";
constexpr std::string_view kXfsNotifyRet = "xfs_dax_notify_failure_ret";
constexpr std::string_view kKillProcs = "mf_dax_kill_procs";
constexpr std::string_view kUnmap = "unmap_mapping_range";
constexpr std::string_view kUnmapRet = "unmap_mapping_range_ret";
constexpr std::string_view kGenericKill = "mf_generic_kill_procs";
constexpr std::string_view kSignalGenerate = "signal_generate";

using Event = TraceRecord;

// When each step of one memory failure happened (trace clock ns).
struct Timeline {
  std::optional<uint64_t> notify;  // the owner is asked: holder, or the generic kill
  std::optional<uint64_t> kill_procs;
  std::optional<uint64_t> unmap_start, unmap_done;
  std::optional<uint64_t> first_signal, last_signal;
  std::optional<uint64_t> memory_failure_return;
};

void set_first(std::optional<uint64_t>& slot, uint64_t t) {
  if (!slot) slot = t;
}

struct Group {
  std::optional<uint64_t> pfn;
  std::optional<std::string> flags;  // memory_failure's, as traced
  int64_t pid = 0;
  std::string comm;
  uint64_t start_ns = 0;
  uint64_t last_ns = 0;
  std::vector<std::string> functions_seen;  // unique, in order of first sight
  std::optional<int64_t> dax_holder_ret;
  std::optional<int64_t> xfs_notify_ret;
  std::optional<int64_t> memory_failure_ret;
  int signals_generated = 0;
  int dax_holder_calls = 0;  // one per level: pmem, then each mapped device that forwards
  int event_count = 0;
  Timeline timeline;

  bool saw(std::string_view name) const {
    return std::find(functions_seen.begin(), functions_seen.end(), name) != functions_seen.end();
  }
};

// Probe names may carry a "group/" prefix.
std::string base_name(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::optional<std::string> arg(const Event& e, const char* key) {
  auto value = e.arg(key);
  return value ? std::optional(std::string(*value)) : std::nullopt;
}

std::optional<uint64_t> hex_arg(const Event& e, const char* key) {
  auto text = arg(e, key);
  if (!text) return std::nullopt;
  try {
    size_t used = 0;
    uint64_t value = std::stoull(*text, &used, 16);
    return used == text->size() ? std::optional(value) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A kretprobe's "ret=$retval:s32" value; a 32-bit unsigned rendering of a
// negative value is read back as signed.
std::optional<int64_t> return_value(const Event& e) {
  auto text = arg(e, "ret");
  if (!text) return std::nullopt;
  try {
    size_t used = 0;
    long long value = std::stoll(*text, &used, 0);
    if (used != text->size()) return std::nullopt;
    if (value > std::numeric_limits<int32_t>::max() && value <= std::numeric_limits<uint32_t>::max())
      value = static_cast<int32_t>(static_cast<uint32_t>(value));
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Stable: events of one timestamp keep their trace order.
std::vector<const Event*> events_in_time_order(const std::vector<TraceRecord>& trace_events) {
  std::vector<const Event*> events;
  events.reserve(trace_events.size());
  for (const TraceRecord& e : trace_events) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(), [](const Event* a, const Event* b) { return a->time_ns < b->time_ns; });
  return events;
}

void record_time(Timeline& t, const Event& e) {
  std::string_view name = e.name();
  if (name == kDaxHolder || name == kXfsNotify || name == kGenericKill) set_first(t.notify, e.time_ns);
  if (name == kKillProcs || name == kGenericKill) set_first(t.kill_procs, e.time_ns);
  if (name == kUnmap) set_first(t.unmap_start, e.time_ns);
  if (name == kUnmapRet) t.unmap_done = e.time_ns;  // the last unmap's return
  if (name == kSignalGenerate) set_first(t.first_signal, e.time_ns), t.last_signal = e.time_ns;
  if (name == kMemoryFailureRet) t.memory_failure_return = e.time_ns;
}

void add_to_group(Group& g, const Event& e) {
  std::string_view name = e.name();
  if (!g.saw(name)) g.functions_seen.emplace_back(name);
  g.last_ns = std::max(g.last_ns, e.time_ns);
  ++g.event_count;
  if (name == kDaxHolderRet) g.dax_holder_ret = return_value(e);
  if (name == kXfsNotifyRet) g.xfs_notify_ret = return_value(e);
  if (name == kMemoryFailureRet) g.memory_failure_ret = return_value(e);
  if (name == kSignalGenerate) ++g.signals_generated;
  if (name == kDaxHolder) ++g.dax_holder_calls;
  record_time(g.timeline, e);
}

std::vector<Group> group_events(const std::vector<const Event*>& events) {
  std::vector<Group> groups;
  std::map<int64_t, size_t> open_group_of_pid;
  for (const Event* event : events) {
    const Event& e = *event;
    auto open = open_group_of_pid.find(e.pid);
    if (e.name() == kMemoryFailure) {
      Group g;
      g.pfn = hex_arg(e, "pfn");
      g.flags = arg(e, "flags");
      g.pid = e.pid;
      g.comm = std::string(e.comm);
      g.start_ns = g.last_ns = e.time_ns;
      add_to_group(g, e);
      groups.push_back(std::move(g));
      open_group_of_pid[e.pid] = groups.size() - 1;
      continue;
    }
    if (open == open_group_of_pid.end()) continue;  // not inside a memory failure
    add_to_group(groups[open->second], e);
    if (e.name() == kMemoryFailureRet) open_group_of_pid.erase(open);
  }
  return groups;
}

std::set<std::string> working_probes(const json& probes) {
  std::set<std::string> ok;
  if (!probes.is_array()) return ok;
  for (const json& p : probes)
    if (p.is_object() && p.value("ok", false) && p.contains("name") && p["name"].is_string())
      ok.insert(base_name(p["name"].get<std::string>()));
  return ok;
}

struct Classification {
  std::string_view path;
  std::string reason;
};

std::string ret_text(int64_t ret) { return ret == kEopnotsupp ? "-95 (-EOPNOTSUPP)" : std::to_string(ret); }

Classification classify(const Group& g, const std::set<std::string>& probes_ok) {
  auto probe_ok = [&](std::string_view name) { return probes_ok.count(std::string(name)) > 0; };
  if (g.saw(kXfsNotify) || g.xfs_notify_ret) {
    // memory_failure falls back to the generic path on -EOPNOTSUPP from the
    // holder, as when XFS has no reverse map to find the owner with.
    if (g.xfs_notify_ret && *g.xfs_notify_ret == kEopnotsupp)
      return {kPathGenericFallback, "xfs_dax_notify_failure returned -95 (-EOPNOTSUPP): the file system declined"};
    if (g.xfs_notify_ret && *g.xfs_notify_ret != 0)
      return {kPathHolderError, "xfs_dax_notify_failure returned " + ret_text(*g.xfs_notify_ret)};
    std::string via = g.saw(kDmNotify) ? ", forwarded by dm_dax_notify_failure" : "";
    return {kPathHolder, (g.xfs_notify_ret ? "xfs_dax_notify_failure returned 0"
                                           : "xfs_dax_notify_failure ran (return not captured)") + via};
  }
  if (g.dax_holder_ret) {
    int64_t ret = *g.dax_holder_ret;
    if (ret == kEopnotsupp) return {kPathGenericFallback, "dax_holder_notify_failure returned -95 (-EOPNOTSUPP)"};
    if (ret == 0) return {kPathHolder, "dax_holder_notify_failure returned 0 (xfs_dax_notify_failure not seen)"};
    return {kPathHolderError, "dax_holder_notify_failure returned " + ret_text(ret)};
  }
  if (g.saw(kDaxHolder) || g.saw(kPmemPagemap)) {
    if (probe_ok(kXfsNotify))
      return {kPathGenericFallback, std::string(g.saw(kDaxHolder) ? kDaxHolder : kPmemPagemap) +
                                        " ran and xfs_dax_notify_failure did not (return not captured)"};
    return {kPathUnknown, "the xfs_dax_notify_failure probe is not available"};
  }
  if (probe_ok(kPmemPagemap)) {
    std::string ret = g.memory_failure_ret ? ", memory_failure returned " + ret_text(*g.memory_failure_ret) : "";
    return {kPathNoDaxHandler, "memory_failure ran and pmem_pagemap_memory_failure did not" + ret};
  }
  return {kPathUnknown, "the pmem_pagemap_memory_failure probe is not available"};
}

json optional_json(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }
json optional_json(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }

json timeline_json(const Group& g) {
  const Timeline& t = g.timeline;
  return {{"memory_failure_ns", g.start_ns},
          {"notify_ns", optional_json(t.notify)},
          {"kill_procs_ns", optional_json(t.kill_procs)},
          {"unmap_start_ns", optional_json(t.unmap_start)},
          {"unmap_done_ns", optional_json(t.unmap_done)},
          {"first_signal_generated_ns", optional_json(t.first_signal)},
          {"last_signal_generated_ns", optional_json(t.last_signal)},
          {"memory_failure_return_ns", optional_json(t.memory_failure_return)}};
}

json group_json(const Group& g, const Classification& c, const json& mf_flags, bool dm_probe_ok) {
  std::optional<uint64_t> flags = g.flags ? parse_trace_number(*g.flags) : std::nullopt;
  json decoded = flags ? flags_json(*flags, mf_flags) : json(nullptr);
  return {{"pfn", g.pfn ? json(*g.pfn) : json(nullptr)},
          {"flags", g.flags ? json(*g.flags) : json(nullptr)},
          {"flag_names", decoded.is_null() ? json(nullptr) : decoded["names"]},
          {"unknown_flag_bits", decoded.is_null() ? json(nullptr) : decoded["unknown_bits"]},
          {"pid", g.pid},
          {"comm", g.comm},
          {"start_ns", g.start_ns},
          {"end_ns", g.last_ns},
          {"duration_ns", g.last_ns - g.start_ns},
          {"functions_seen", g.functions_seen},
          {"dax_holder_notify_failure_ret", optional_json(g.dax_holder_ret)},
          {"dax_holder_notify_failure_calls", g.dax_holder_calls},
          // null: the kernel has no dm_dax_notify_failure (not patched) or its probe failed
          {"dm_forwarded", g.saw(kDmNotify) ? json(true) : dm_probe_ok ? json(false) : json(nullptr)},
          {"xfs_dax_notify_failure_ret", optional_json(g.xfs_notify_ret)},
          {"mf_dax_kill_procs", g.saw(kKillProcs)},
          {"unmap_mapping_range", g.saw(kUnmap)},
          {"memory_failure_ret", optional_json(g.memory_failure_ret)},
          {"signals_generated", g.signals_generated},
          {"event_count", g.event_count},
          {"timeline", timeline_json(g)},
          {"class", c.path},
          {"reason", c.reason}};
}

json unavailable_probes(const std::set<std::string>& probes_ok) {
  json missing = json::array();
  for (auto name : {kMemoryFailure, kPmemPagemap, kDaxHolder, kXfsNotify})
    if (!probes_ok.count(std::string(name))) missing.push_back(name);
  return missing;
}

}  // namespace

json classify_notify_path(const std::vector<TraceRecord>& trace_events, const json& probes, const json& mf_flags) {
  std::set<std::string> probes_ok = working_probes(probes);
  json per_event = json::array();
  json summary = json::object();
  for (const Group& g : group_events(events_in_time_order(trace_events))) {
    Classification c = classify(g, probes_ok);
    per_event.push_back(group_json(g, c, mf_flags, probes_ok.count(std::string(kDmNotify)) > 0));
    std::string key(c.path);
    summary[key] = summary.value(key, 0) + 1;
  }
  return {{"per_event", std::move(per_event)}, {"summary", summary}, {"unavailable_probes", unavailable_probes(probes_ok)}};
}

json classify_notify_path(const json& trace_events, const json& probes, const json& mf_flags) {
  return classify_notify_path(trace_records_from_json(trace_events, "/trace_events"), probes, mf_flags);
}

}  // namespace poisonlab

#include "oracles/observation_model.h"

#include <limits>

#include "common/error.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

// A JSON node plus its pointer, so every complaint names the field.
class Node {
 public:
  Node(const json& value, std::string pointer) : value_(value), pointer_(std::move(pointer)) {}

  const json& raw() const { return value_; }
  bool has(const char* key) const { return value_.contains(key) && !value_[key].is_null(); }

  Node child(const char* key) const {
    if (!value_.contains(key)) fail(key, "required field is missing");
    return Node(value_[key], pointer_ + "/" + key);
  }

  uint64_t u64(const char* key) const {
    const json& v = field(key);
    bool non_negative = v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
    if (!non_negative) fail(key, "expected a non-negative integer");
    return v.get<uint64_t>();
  }
  int64_t i64(const char* key) const {
    const json& v = field(key);
    if (!v.is_number_integer()) fail(key, "expected an integer");
    return v.get<int64_t>();
  }
  int small_int(const char* key) const {
    int64_t v = i64(key);
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) fail(key, "integer out of range");
    return static_cast<int>(v);
  }
  bool boolean(const char* key) const {
    const json& v = field(key);
    if (!v.is_boolean()) fail(key, "expected true or false");
    return v.get<bool>();
  }
  std::string str(const char* key) const {
    const json& v = field(key);
    if (!v.is_string()) fail(key, "expected a string");
    return v.get<std::string>();
  }

  std::optional<uint64_t> opt_u64(const char* key) const { return has(key) ? std::optional(u64(key)) : std::nullopt; }
  std::optional<int> opt_int(const char* key) const { return has(key) ? std::optional(small_int(key)) : std::nullopt; }
  std::optional<bool> opt_bool(const char* key) const { return has(key) ? std::optional(boolean(key)) : std::nullopt; }
  std::optional<std::string> opt_str(const char* key) const {
    return has(key) ? std::optional(str(key)) : std::nullopt;
  }

  // Missing or null -> empty.
  std::vector<Node> array(const char* key) const {
    std::vector<Node> items;
    if (!has(key)) return items;
    const json& v = value_[key];
    if (!v.is_array()) fail(key, "expected an array");
    for (size_t i = 0; i < v.size(); ++i) items.emplace_back(v[i], pointer_ + "/" + key + "/" + std::to_string(i));
    return items;
  }
  std::vector<std::string> strings(const char* key) const {
    std::vector<std::string> out;
    for (const Node& n : array(key)) {
      if (!n.raw().is_string()) throw InputError("observation", n.pointer_, "expected a string");
      out.push_back(n.raw().get<std::string>());
    }
    return out;
  }

  void require_object() const {
    if (!value_.is_object()) throw InputError("observation", pointer_, "expected an object");
  }

 private:
  const json& field(const char* key) const {
    if (!has(key)) fail(key, "required field is missing or null");
    return value_[key];
  }
  [[noreturn]] void fail(const char* key, const std::string& expected) const {
    throw InputError("observation", pointer_ + "/" + key, expected);
  }

  const json& value_;
  std::string pointer_;
};

SignalRecord parse_signal(const Node& n) {
  n.require_object();
  return {n.small_int("signo"), n.small_int("code"), n.u64("addr"), n.opt_int("addr_lsb"), n.opt_u64("time_ns")};
}

PagemapEntry parse_pagemap_entry(const Node& n) {
  n.require_object();
  return {n.u64("file_page"), n.opt_bool("present"), n.opt_u64("pfn")};
}

ReaccessRecord parse_reaccess(const Node& n) {
  n.require_object();
  ReaccessRecord r;
  r.done = n.boolean("done");
  r.outcome = n.has("outcome") ? n.str("outcome") : "not-run";
  r.file_page = n.opt_u64("file_page");
  r.code = n.opt_int("code");
  r.time_ns = n.opt_u64("time_ns");
  r.data_matches = n.opt_bool("data_matches");
  r.error = n.opt_str("error");
  return r;
}

VictimRecord parse_victim(const Node& n) {
  n.require_object();
  VictimRecord v;
  v.id = n.str("id");
  v.role = n.str("role");
  v.pid = n.i64("pid");
  v.map_addr = n.u64("map_addr");
  v.map_offset_pages = n.u64("map_offset_pages");
  v.map_pages = n.u64("map_pages");
  v.mapping_page_shift = n.opt_int("mapping_page_shift");
  for (const Node& s : n.array("signals")) v.signals.push_back(parse_signal(s));
  if (n.has("pagemap_after")) {
    v.pagemap_after.emplace();
    for (const Node& p : n.array("pagemap_after")) v.pagemap_after->push_back(parse_pagemap_entry(p));
  }
  if (n.has("reaccess")) v.reaccess = parse_reaccess(n.child("reaccess"));
  return v;
}

PoisonedPage parse_page(const Node& n) {
  n.require_object();
  return {n.u64("file_page"), n.opt_u64("pfn_computed"), n.opt_u64("pfn_pagemap"), n.opt_u64("pfn_kernel")};
}

InjectionRecord parse_injection(const Node& n) {
  n.require_object();
  InjectionRecord inj;
  inj.method = n.has("method") ? n.str("method") : "";
  inj.start_ns = n.opt_u64("start_ns");
  inj.end_ns = n.opt_u64("end_ns");
  for (const Node& s : n.array("steps")) {
    s.require_object();
    InjectionStep step;
    step.file_page = s.u64("file_page");
    step.pages = s.has("pages") ? s.u64("pages") : 1;
    step.pfn = s.opt_u64("pfn");
    step.ret = s.i64("ret");
    step.err = s.has("errno") ? s.i64("errno") : 0;
    step.error = s.opt_str("error");
    inj.steps.push_back(std::move(step));
  }
  return inj;
}

std::vector<uint64_t> poisoned_file_pages(const TrialRecord& t, const Node& n) {
  std::vector<uint64_t> pages;
  for (const PoisonedPage& p : t.pages) pages.push_back(p.file_page);
  if (pages.empty() && n.has("range")) {
    Node range = n.child("range");
    range.require_object();
    uint64_t first = range.u64("offset_pages");
    for (uint64_t i = 0; i < range.u64("pages"); ++i) pages.push_back(first + i);
  }
  return pages;
}

TrialRecord parse_trial(const Node& n, size_t position) {
  n.require_object();
  TrialRecord t;
  t.index = n.has("index") ? n.u64("index") : position;
  t.page_size = n.has("page_size") ? n.u64("page_size") : 4096;
  if (t.page_size == 0)
    throw InputError("observation", "/trials/" + std::to_string(position) + "/page_size", "expected a page size > 0");
  for (const Node& p : n.array("pages")) t.pages.push_back(parse_page(p));
  t.poisoned_file_pages = poisoned_file_pages(t, n);
  if (n.has("injection")) t.injection = parse_injection(n.child("injection"));
  for (const Node& v : n.array("victims")) t.victims.push_back(parse_victim(v));
  t.kernel_log = n.strings("kernel_log");
  if (n.has("trace_events")) t.trace_events = n.raw()["trace_events"];
  t.errors = n.strings("errors");
  return t;
}

void parse_stack(const Node& obs, ObservationRecord& out) {
  Node stack = obs.child("stack");
  stack.require_object();
  out.stack_ok = stack.boolean("ok");
  if (stack.has("error"))
    out.stack_error = stack.raw()["error"].is_string() ? stack.str("error") : stack.raw()["error"].dump();
  out.dax = stack.has("dax") ? stack.raw()["dax"] : json(nullptr);
}

void parse_trace(const Node& obs, ObservationRecord& out) {
  if (!obs.has("trace")) return;
  Node trace = obs.child("trace");
  trace.require_object();
  out.trace_enabled = trace.opt_bool("enabled").value_or(false);
  if (trace.has("probes")) {
    trace.array("probes");  // checks it is an array
    out.probes = trace.raw()["probes"];
  }
}

void parse_teardown(const Node& obs, ObservationRecord& out) {
  if (!obs.has("teardown")) return;
  Node teardown = obs.child("teardown");
  teardown.require_object();
  out.teardown_recorded = true;
  out.umount_ok = teardown.opt_bool("umount_ok");
  out.umount_error = teardown.has("umount_error") ? teardown.raw()["umount_error"] : json(nullptr);
}

}  // namespace

ObservationRecord parse_observation(const json& observation) {
  Node obs(observation, "");
  obs.require_object();
  ObservationRecord out;
  parse_stack(obs, out);
  parse_trace(obs, out);
  auto trials = obs.array("trials");
  for (size_t i = 0; i < trials.size(); ++i) out.trials.push_back(parse_trial(trials[i], i));
  parse_teardown(obs, out);
  out.kernel_log = obs.strings("kernel_log");
  if (out.kernel_log.empty())
    for (const TrialRecord& t : out.trials)
      out.kernel_log.insert(out.kernel_log.end(), t.kernel_log.begin(), t.kernel_log.end());
  return out;
}

bool probe_ok(const ObservationRecord& obs, std::string_view name) {
  if (!obs.probes.is_array()) return false;
  for (const json& p : obs.probes)
    if (p.is_object() && p.value("name", "") == name && p.value("ok", false)) return true;
  return false;
}

}  // namespace poisonlab::oracles

#include "oracles/observation_model.h"

#include "oracles/json_node.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

SignalRecord parse_signal(const Node& n) {
  n.require_object();
  return {n.small_int("signo"), n.small_int("code"), n.u64("addr"), n.opt_int("addr_lsb"), n.opt_u64("time_ns")};
}

std::vector<PagemapEntry> parse_pagemap(const Node& victim, const char* key) {
  std::vector<PagemapEntry> out;
  for (const Node& p : victim.array(key)) {
    p.require_object();
    out.push_back({p.u64("file_page"), p.opt_bool("present"), p.opt_u64("pfn")});
  }
  return out;
}

ReaccessRecord parse_reaccess(const Node& n) {
  n.require_object();
  ReaccessRecord r;
  r.done = n.opt_bool("done").value_or(false);
  r.outcome = n.has("outcome") ? n.str("outcome") : "not-run";
  r.file_page = n.opt_u64("file_page");
  r.code = n.opt_int("code");
  r.time_ns = n.opt_u64("time_ns");
  r.data_matches = n.opt_bool("data_matches");
  r.error = n.opt_text("error");
  return r;
}

VictimRecord parse_victim(const Node& n) {
  n.require_object();
  VictimRecord v;
  v.id = n.str("id");
  v.role = n.str("role");
  v.file = n.has("file") ? n.str("file") : "victim";
  v.pid = n.i64("pid");
  v.map_addr = n.u64("map_addr");
  v.map_offset_pages = n.u64("map_offset_pages");
  v.map_pages = n.u64("map_pages");
  v.mapping_page_shift = n.opt_int("mapping_page_shift");
  for (const Node& s : n.array("signals")) v.signals.push_back(parse_signal(s));
  v.pagemap_before = parse_pagemap(n, "pagemap_before");
  v.pagemap_after = parse_pagemap(n, "pagemap_after");
  if (n.has("reaccess")) v.reaccess = parse_reaccess(n.child("reaccess"));
  v.exit = n.raw("exit");
  return v;
}

FileRecord parse_file(const Node& n) {
  n.require_object();
  FileRecord f;
  f.id = n.str("id");
  f.role = n.has("role") ? n.str("role") : f.id;
  f.path = n.has("path") ? n.str("path") : "";
  f.ino = n.opt_u64("ino").value_or(0);
  f.size = n.opt_u64("size").value_or(0);
  for (const Node& e : n.array("extents")) {
    e.require_object();
    f.extents.push_back(
        {e.u64("logical"), e.u64("physical"), e.u64("length"), static_cast<uint32_t>(e.opt_u64("flags").value_or(0))});
  }
  f.statx_dax = n.opt_bool("statx_attr_dax");
  return f;
}

UnitRecord parse_unit(const Node& n, size_t position) {
  n.require_object();
  UnitRecord u;
  u.index = n.opt_u64("index").value_or(position);
  u.file_page = n.opt_u64("file_page");
  u.fs_offset = n.opt_u64("fs_offset");
  u.disk = n.str("disk");
  u.disk_offset = n.u64("disk_offset");
  u.phys_addr = n.u64("phys_addr");
  u.pfn_computed = n.u64("pfn_computed");
  u.pfn_pagemap = n.opt_u64("pfn_pagemap");
  u.pfn_kernel = n.opt_u64("pfn_kernel");
  return u;
}

StepRecord parse_step(const Node& s) {
  s.require_object();
  StepRecord step;
  step.first_unit = s.u64("first_unit");
  step.units = s.u64("units");
  step.action = s.has("action") ? s.str("action") : "";
  step.start_ns = s.opt_u64("start_ns");
  step.end_ns = s.opt_u64("end_ns");
  step.ret = s.i64("ret");
  step.err = s.opt_i64("errno").value_or(0);
  step.signals_seen_ns = s.opt_u64("signals_seen_ns");
  step.kernel_log = s.strings("kernel_log");
  step.host_reply = s.raw("host_reply");
  step.hung = s.opt_bool("hung").value_or(false);
  step.error = s.opt_text("error");
  return step;
}

InjectionRecord parse_injection(const Node& n) {
  n.require_object();
  InjectionRecord inj;
  inj.method = n.has("method") ? n.str("method") : "";
  inj.pacing = n.has("pacing") ? n.str("pacing") : "";
  inj.start_ns = n.opt_u64("start_ns");
  inj.end_ns = n.opt_u64("end_ns");
  for (const Node& s : n.array("steps")) inj.steps.push_back(parse_step(s));
  return inj;
}

uint64_t page_key(const std::string& key, const Node& at) {
  try {
    size_t used = 0;
    uint64_t page = std::stoull(key, &used, 10);
    if (used == key.size() && key[0] != '-' && key[0] != '+') return page;
  } catch (const std::exception&) {
  }
  throw InputError("observation", at.pointer(), "expected a decimal page number as key");
}

Checksums parse_checksums(const Node& trial, const char* which) {
  Checksums out;
  if (!trial.has("checksums")) return out;
  Node sums = trial.child("checksums");
  sums.require_object();
  for (const auto& [file, pages] : sums.members(which)) {
    pages.require_object();
    auto& dst = out[file];
    for (const auto& [key, value] : pages.raw().items()) {
      Node at(value, pages.pointer() + "/" + key);
      if (!value.is_string()) at.fail_here("expected a checksum string");
      dst[page_key(key, at)] = value.get<std::string>();
    }
  }
  return out;
}

Badblocks parse_badblocks(const Node& parent, const char* key) {
  Badblocks out;
  for (const auto& [disk, lines] : parent.members(key)) {
    if (!lines.raw().is_array()) lines.fail_here("expected an array of \"sector count\" lines");
    for (size_t i = 0; i < lines.raw().size(); ++i) {
      const json& line = lines.raw()[i];
      if (!line.is_string())
        throw InputError("observation", lines.pointer() + "/" + std::to_string(i), "expected a string");
      out[disk].push_back(line.get<std::string>());
    }
    out.try_emplace(disk);
  }
  return out;
}

std::optional<WindowRecord> parse_window(const Node& trial) {
  if (!trial.has("window")) return std::nullopt;
  Node w = trial.child("window");
  w.require_object();
  return WindowRecord{w.has("file") ? w.str("file") : "victim", w.u64("first_page"), w.u64("pages")};
}

std::optional<SoftOfflineRecord> parse_soft_offline(const Node& trial) {
  if (!trial.has("soft_offline")) return std::nullopt;
  Node s = trial.child("soft_offline");
  s.require_object();
  SoftOfflineRecord r;
  r.victim = s.opt_str("victim");
  r.file_page = s.opt_u64("file_page");
  r.replied = s.opt_bool("replied").value_or(false);
  r.ret = s.opt_i64("ret");
  r.err = s.opt_i64("errno").value_or(0);
  r.error = s.opt_text("error");
  return r;
}

TrialRecord parse_trial(const Node& n, size_t position) {
  n.require_object();
  TrialRecord t;
  t.index = n.has("index") ? n.u64("index") : position;
  t.stack_index = n.opt_u64("stack_index");
  t.page_size = n.has("page_size") ? n.u64("page_size") : kPageBytes;
  if (t.page_size != kPageBytes) n.fail("page_size", "expected 4096 (the oracles judge 4 KiB pages)");
  for (const Node& f : n.array("files")) t.files.push_back(parse_file(f));
  t.target = n.raw("target");
  t.window = parse_window(n);
  t.cxl = n.raw("cxl");  // CXL cells (issue 5); null otherwise
  auto units = n.array("units");
  for (size_t i = 0; i < units.size(); ++i) t.units.push_back(parse_unit(units[i], i));
  if (n.has("injection")) t.injection = parse_injection(n.child("injection"));
  for (const Node& v : n.array("victims")) t.victims.push_back(parse_victim(v));
  t.checksums_before = parse_checksums(n, "before");
  t.checksums_after = parse_checksums(n, "after");
  for (const Node& p : n.array("pread")) {
    p.require_object();
    t.pread.push_back(
        {p.str("file"), p.u64("file_page"), p.i64("bytes"), p.opt_i64("errno").value_or(0), p.opt_bool("pattern_ok")});
  }
  if (n.has("badblocks")) {
    Node bb = n.child("badblocks");
    bb.require_object();
    t.badblocks_before = parse_badblocks(bb, "before");
    t.badblocks_after = parse_badblocks(bb, "after");
  }
  if (n.has("fs_write_probe")) {
    Node p = n.child("fs_write_probe");
    p.require_object();
    t.fs_write_probe = FsWriteProbe{p.boolean("ok"), p.opt_i64("errno").value_or(0)};
  }
  t.soft_offline = parse_soft_offline(n);
  t.kernel_log = n.strings("kernel_log");
  // Checked and compacted: a large range has hundreds of thousands of events.
  if (n.has("trace_events")) t.trace_events = trace_records_from_json(n.raw("trace_events"), n.pointer() + "/trace_events");
  t.errors = n.strings("errors");
  return t;
}

void parse_stack(const Node& obs, ObservationRecord& out) {
  Node stack = obs.child("stack");
  stack.require_object();
  out.stack = stack.raw();
  out.stack_ok = stack.boolean("ok");
  out.stack_error = stack.opt_text("error").value_or("");
  out.dax = stack.raw("dax");
  for (const Node& s : obs.array("stacks")) {
    s.require_object();
    out.stacks.push_back(s.raw());
  }
}

void parse_trace(const Node& obs, ObservationRecord& out) {
  if (!obs.has("trace")) return;
  Node trace = obs.child("trace");
  trace.require_object();
  out.trace_enabled = trace.opt_bool("enabled").value_or(false);
  if (trace.has("probes")) {
    trace.array("probes");  // checks it is an array
    out.probes = trace.raw("probes");
  }
}

TeardownRecord parse_teardown(const Node& n) {
  n.require_object();
  TeardownRecord td;
  td.skipped = n.opt_text("skipped");
  td.umount_ok = n.opt_bool("umount_ok");
  td.umount_error = n.raw("umount_error");
  td.dm_removed = n.opt_bool("dm_removed");
  td.region_badblocks = parse_badblocks(n, "region_badblocks");
  if (n.has("fsck")) {
    Node f = n.child("fsck");
    f.require_object();
    FsckRecord fsck;
    fsck.clean = f.opt_bool("clean");
    fsck.skipped = f.opt_text("skipped");
    fsck.log_replay = f.opt_text("log_replay");
    f.array("runs");  // checks it is an array
    if (f.has("runs")) fsck.runs = f.raw("runs");
    td.fsck = fsck;
  }
  return td;
}

void parse_kernel_state(const Node& obs, ObservationRecord& out) {
  if (obs.has("kernel_enums")) {
    Node enums = obs.child("kernel_enums");
    enums.require_object();
    out.mf_flags = enums.raw("mf_flags");
  }
  if (obs.has("kernel_taint")) {
    Node taint = obs.child("kernel_taint");
    taint.require_object();
    out.taint_before = taint.opt_u64("before");
    out.taint_after = taint.opt_u64("after");
  }
  out.vm_unusable = obs.opt_text("vm_unusable");
}

}  // namespace

std::optional<uint64_t> VictimRecord::file_page_of(uint64_t addr) const {
  if (addr < map_addr) return std::nullopt;
  uint64_t index = (addr - map_addr) / kPageBytes;
  if (index >= map_pages) return std::nullopt;
  return map_offset_pages + index;
}

namespace {
const PagemapEntry* find_entry(const std::vector<PagemapEntry>& entries, uint64_t file_page) {
  for (const PagemapEntry& e : entries)
    if (e.file_page == file_page) return &e;
  return nullptr;
}
}  // namespace

const PagemapEntry* VictimRecord::before(uint64_t file_page) const { return find_entry(pagemap_before, file_page); }
const PagemapEntry* VictimRecord::after(uint64_t file_page) const { return find_entry(pagemap_after, file_page); }

std::string TrialRecord::target_space() const {
  if (target.is_object() && target.contains("space") && target["space"].is_string())
    return target["space"].get<std::string>();
  return "";
}

const FileRecord* TrialRecord::file(std::string_view id) const {
  for (const FileRecord& f : files)
    if (f.id == id) return &f;
  return nullptr;
}

// The stack a trial ran on: the one it names, else the one at its position
// (an unbind cell builds one per trial), else the cell's only stack.
size_t ObservationRecord::stack_position(size_t trial_position) const {
  if (trial_position < trials.size() && trials[trial_position].stack_index) return *trials[trial_position].stack_index;
  return trial_position;
}

const json& ObservationRecord::stack_of(size_t trial_position) const {
  size_t s = stack_position(trial_position);
  return s < stacks.size() ? stacks[s] : stack;
}

const TeardownRecord* ObservationRecord::teardown_of(size_t trial_position) const {
  size_t s = stack_position(trial_position);
  if (!teardowns.empty()) return s < teardowns.size() ? &teardowns[s] : nullptr;
  return teardown ? &*teardown : nullptr;
}

std::vector<const TeardownRecord*> ObservationRecord::all_teardowns() const {
  std::vector<const TeardownRecord*> out;
  for (const TeardownRecord& td : teardowns) out.push_back(&td);
  if (out.empty() && teardown) out.push_back(&*teardown);
  return out;
}

ObservationRecord parse_observation(const json& observation) {
  Node obs(observation, "");
  obs.require_object();
  ObservationRecord out;
  parse_stack(obs, out);
  parse_trace(obs, out);
  parse_kernel_state(obs, out);
  auto trials = obs.array("trials");
  for (size_t i = 0; i < trials.size(); ++i) out.trials.push_back(parse_trial(trials[i], i));
  if (obs.has("teardown")) out.teardown = parse_teardown(obs.child("teardown"));
  for (const Node& td : obs.array("teardowns")) out.teardowns.push_back(parse_teardown(td));
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

// Oracles about what stayed mapped: every mapping of a poisoned page must be
// revoked (unmapped or signalled); an unbound device must leave no mapping.
#include <fmt/format.h>

#include <limits>

#include "observe/mf_flags.h"
#include "oracles/oracle_set.h"
#include "oracles/signal_matching.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

constexpr uint64_t kWholeDeviceLength = std::numeric_limits<uint64_t>::max();
constexpr std::string_view kPreRemove = "MF_MEM_PRE_REMOVE";

bool maps_file_data(const TrialRecord& t, const VictimRecord& v) {
  const FileRecord* f = t.file(v.file);
  return f ? f->role == "victim" || f->role == "sharer" : v.file == "victim" || v.file.starts_with("sharer");
}

bool signalled_for(const VictimRecord& v, uint64_t page) {
  for (const SignalRecord& s : v.signals)
    if (s.signo == kSigbus && v.file_page_of(s.addr) == page) return true;
  return false;
}

json opt_pfn(const PagemapEntry* e) { return e && e->pfn ? json(fmt::format("{:#x}", *e->pfn)) : json(nullptr); }

std::string event_name(const TraceRecord& e) { return std::string(e.name()); }

std::optional<uint64_t> number_arg(const TraceRecord& e, const char* key) {
  auto value = e.arg(key);
  if (!value) return std::nullopt;
  return parse_trace_number(std::string(*value));
}

// pre-remove set, not set, or null when the enum cannot tell.
json pre_remove_of(uint64_t flags, const json& mf_flags) {
  auto bit = mf_flag_value(mf_flags, kPreRemove);
  if (!bit || *bit == 0) return nullptr;
  return (flags & *bit) == *bit;
}

struct UnbindTrial {
  json evidence;
  bool hung = false;
  size_t live = 0;
  size_t mappers = 0, signalled = 0;
  bool write_failed = false;
  bool umount_ok = false;
  bool pagemap_recorded = false;
  bool reached_holder = false;
  json pre_remove;  // true / false / null (not seen or not decodable)
};

json whole_device_notifications(const TrialRecord& t, const json& mf_flags, UnbindTrial& out) {
  json notes = json::array();
  for (const TraceRecord& e : t.trace_events) {
    std::string name = event_name(e);
    if (name != "dax_holder_notify_failure" && name != "xfs_dax_notify_failure") continue;
    if (number_arg(e, "off") != 0u || number_arg(e, "len") != kWholeDeviceLength) continue;
    auto flags = number_arg(e, "flags");
    json pre = flags ? pre_remove_of(*flags, mf_flags) : json(nullptr);
    if (name == "xfs_dax_notify_failure") out.reached_holder = true;
    if (!pre.is_null())
      out.pre_remove = out.pre_remove.is_null() ? pre : json(out.pre_remove.get<bool>() || pre.get<bool>());
    notes.push_back({{"event", name},
                     {"time_ns", e.time_ns},
                     {"flags", flags ? flags_json(*flags, mf_flags) : json(nullptr)},
                     {"pre_remove", pre}});
  }
  return notes;
}

json trace_args_of(const TrialRecord& t, std::string_view name) {
  json out = json::array();
  for (const TraceRecord& e : t.trace_events)
    if (e.name() == name) out.push_back({{"time_ns", e.time_ns}, {"args", e.args_json()}});
  return out;
}

UnbindTrial judge_unbind_trial(const Cell& cell, size_t i) {
  const TrialRecord& t = cell.obs.trials[i];
  UnbindTrial out;
  json steps = json::array();
  if (t.injection)
    for (const StepRecord& s : t.injection->steps) {
      out.hung = out.hung || s.hung;
      json dur = s.start_ns && s.end_ns ? json(*s.end_ns - *s.start_ns) : json(nullptr);
      steps.push_back({{"action", s.action},
                       {"ret", s.ret},
                       {"errno", s.err},
                       {"hung", s.hung},
                       {"error", s.error ? json(*s.error) : json(nullptr)},
                       {"duration_ns", dur}});
    }
  json xfs_lines = json::array();
  for (const std::string& line : t.kernel_log)
    if (line.find("XFS (") != std::string::npos) xfs_lines.push_back(line);
  json mappers = json::array(), live = json::array();
  for (const VictimRecord& v : t.victims) {
    size_t ao = 0, ar = 0, other = 0;
    for (const SignalRecord& s : v.signals) (s.code == kBusMceerrAo ? ao : s.code == kBusMceerrAr ? ar : other)++;
    mappers.push_back({{"victim", v.id},
                       {"role", v.role},
                       {"file", v.file},
                       {"action_optional", ao},
                       {"action_required", ar},
                       {"other", other}});
    ++out.mappers;
    out.signalled += ao + ar > 0;
    for (const PagemapEntry& p : v.pagemap_after) {
      out.pagemap_recorded = true;
      if (p.present == true) live.push_back({{"victim", v.id}, {"file_page", p.file_page}, {"pfn", opt_pfn(&p)}});
    }
  }
  out.live = live.size();
  const TeardownRecord* td = cell.obs.teardown_of(i);
  out.write_failed = t.fs_write_probe && !t.fs_write_probe->ok;
  out.umount_ok = td && td->umount_ok.value_or(false);
  json notes = whole_device_notifications(t, cell.obs.mf_flags, out);
  json probe = t.fs_write_probe ? json{{"ok", t.fs_write_probe->ok}, {"errno", t.fs_write_probe->err}} : json(nullptr);
  out.evidence = {{"trial", t.index},
                  {"steps", steps},
                  {"whole_device_notifications", notes},
                  {"reached_holder", out.reached_holder},
                  {"pre_remove", out.pre_remove},
                  {"xfs_force_shutdown_events", trace_args_of(t, "xfs_force_shutdown")},
                  {"xfs_log", xfs_lines},
                  {"fs_write_probe", probe},
                  {"umount_ok", td && td->umount_ok ? json(*td->umount_ok) : json(nullptr)},
                  {"umount_error", td ? td->umount_error : json(nullptr)},
                  {"signals", mappers},
                  {"pagemap_recorded", out.pagemap_recorded},
                  {"live_mappings", live}};
  return out;
}

std::string pre_remove_text(const json& pre, const json& mf_flags) {
  if (!mf_flags.is_object()) return "flags not decoded (kernel_enums.mf_flags not recorded)";
  if (!mf_flag_value(mf_flags, kPreRemove)) return "this kernel's enum mf_flags has no MF_MEM_PRE_REMOVE";
  if (pre.is_null()) return "no whole-device flags traced";
  return pre.get<bool>() ? "MF_MEM_PRE_REMOVE set (pre-remove)" : "MF_MEM_PRE_REMOVE not set";
}

}  // namespace

OracleResult mappings_revoked(const Cell& cell) {
  constexpr std::string_view kName = "mappings_revoked";
  json revoked = json::array(), live = json::array(), unmapped_before = json::array(), unknown = json::array();
  size_t by_signal = 0, poisoned_pages = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    const TrialRecord& t = cell.obs.trials[i];
    const TrialModel& m = cell.models[i];
    if (m.whole_device) continue;
    auto pages = m.poisoned_pages();
    poisoned_pages += pages.size();
    for (const VictimRecord& v : t.victims) {
      if (!maps_file_data(t, v)) continue;
      for (const FilePage& p : pages) {
        if (p.file != v.file || !v.covers(p.page)) continue;
        const PagemapEntry* before = v.before(p.page);
        const PagemapEntry* after = v.after(p.page);
        bool signalled = signalled_for(v, p.page);
        json entry = {{"trial", t.index},
                      {"victim", v.id},
                      {"role", v.role},
                      {"file", v.file},
                      {"file_page", p.page},
                      {"pfn_before", opt_pfn(before)},
                      {"pfn_after", opt_pfn(after)},
                      {"signalled", signalled}};
        if (before && before->present == false)
          unmapped_before.push_back(entry);
        else if (after && after->present == false)
          revoked.push_back(entry);
        else if (signalled)
          ++by_signal, revoked.push_back(entry);
        else if (after && after->present == true)
          live.push_back(entry);
        else
          unknown.push_back(entry);
      }
    }
  }
  json evidence = {
      {"live", live}, {"revoked", revoked}, {"not_mapped_at_injection", unmapped_before}, {"not_recorded", unknown}};
  if (poisoned_pages == 0) return make_skip(kName, "no poisoned file pages", evidence);
  return make_result(kName, live.empty(), evidence,
                     fmt::format("{} mapping(s) of poisoned pages left live, {} revoked ({} signalled but still "
                                 "mapped), {} not mapped at injection time, {} not recorded",
                                 live.size(), revoked.size(), by_signal, unmapped_before.size(), unknown.size()));
}

OracleResult unbind_observed(const Cell& cell) {
  constexpr std::string_view kName = "unbind_observed";
  json evidence = json::array();
  size_t trials = 0, hung = 0, live = 0, reached = 0, without_pagemap = 0, mappers = 0, signalled = 0, write_failed = 0,
         umounted = 0;
  json pre_remove;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    if (!cell.models[i].whole_device) continue;
    ++trials;
    UnbindTrial u = judge_unbind_trial(cell, i);
    hung += u.hung;
    live += u.live;
    reached += u.reached_holder;
    without_pagemap += !u.pagemap_recorded;
    mappers += u.mappers;
    signalled += u.signalled;
    write_failed += u.write_failed;
    umounted += u.umount_ok;
    if (!u.pre_remove.is_null())
      pre_remove = pre_remove.is_null() ? u.pre_remove : json(pre_remove.get<bool>() || u.pre_remove.get<bool>());
    evidence.push_back(u.evidence);
  }
  if (trials == 0) return make_skip(kName, "not an unbind cell");
  std::string pagemap = without_pagemap ? fmt::format(" ({} trial(s) recorded no pagemap)", without_pagemap) : "";
  return make_result(kName, hung == 0 && live == 0, evidence,
                     fmt::format("{} of {} unbind(s) hung; whole-device notification reached the file system's holder in {}; {}; {} of {} "
                                 "mapper(s) got a machine-check SIGBUS; new writes failed in {}, umount ok in {}; {} "
                                 "live mapping(s) after{}",
                                 hung, trials, reached, pre_remove_text(pre_remove, cell.obs.mf_flags), signalled,
                                 mappers, write_failed, umounted, live, pagemap));
}

}  // namespace poisonlab::oracles

#include "oracles/signal_matching.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace poisonlab::oracles {

using nlohmann::json;

namespace {

// The task the kernel handles the poison for as "current": it gets
// BUS_MCEERR_AR, the others BUS_MCEERR_AO. The madvise injector, and the
// consumer an action-required machine check interrupts.
bool is_injector(const TrialModel& model, const VictimRecord& v) {
  return (v.role == kRoleInjector && model.method == kMethodMadvise) || v.role == kRoleConsumer;
}

bool matches(const ExpectedSignal& e, const SignalRecord& s) {
  if (s.signo != kSigbus) return false;
  if (!e.addr) return s.machine_check();  // the whole device: any machine-check SIGBUS
  return s.code == e.code && s.addr >= *e.addr && s.addr - *e.addr < kPageBytes;
}

}  // namespace

std::map<int64_t, std::vector<GeneratedSignal>> generated_signals_by_pid(const TrialRecord& t) {
  std::map<int64_t, std::vector<GeneratedSignal>> by_pid;
  for (const TraceRecord& e : t.trace_events) {
    if (e.name() != "signal_generate") continue;
    auto pid = e.arg("pid");
    if (!pid || pid->empty()) continue;
    std::string text(*pid);
    char* end = nullptr;
    long long target = std::strtoll(text.c_str(), &end, 10);
    if (*end != '\0') continue;
    by_pid[target].push_back({e.time_ns, std::string(e.arg("res").value_or(""))});
  }
  for (auto& [pid, signals] : by_pid)
    std::stable_sort(signals.begin(), signals.end(),
                     [](const GeneratedSignal& a, const GeneratedSignal& b) { return a.time_ns < b.time_ns; });
  return by_pid;
}

size_t SignalMatch::missed() const { return static_cast<size_t>(std::count(matched.begin(), matched.end(), nullptr)); }

bool judged_mapper(const TrialModel& model, const VictimRecord& v) { return v.early_kill() || is_injector(model, v); }

std::vector<ExpectedSignal> expected_signals(const TrialModel& model, const VictimRecord& v) {
  std::vector<ExpectedSignal> out;
  if (!judged_mapper(model, v)) return out;
  if (model.whole_device) {
    if (v.early_kill()) out.push_back({std::nullopt, kBusMceerrAo, std::nullopt, nullptr});
    return out;
  }
  int code = is_injector(model, v) ? kBusMceerrAr : kBusMceerrAo;
  for (const FilePage& p : model.poisoned_pages()) {
    if (p.file != v.file || !v.covers(p.page)) continue;
    out.push_back({p.page, code, v.page_address(p.page), model.units_backing(p.file, p.page).front()});
  }
  return out;
}

SignalMatch match_signals(const TrialModel& model, const VictimRecord& v) {
  SignalMatch m;
  m.expected = expected_signals(model, v);
  std::vector<bool> used(v.signals.size(), false);
  for (const ExpectedSignal& e : m.expected) {
    const SignalRecord* found = nullptr;
    for (size_t i = 0; i < v.signals.size() && !found; ++i) {
      if (used[i] || !matches(e, v.signals[i])) continue;
      used[i] = true;
      found = &v.signals[i];
    }
    m.matched.push_back(found);
  }
  for (size_t i = 0; i < v.signals.size(); ++i) {
    if (used[i]) continue;
    const SignalRecord& s = v.signals[i];
    if (s.signo != kSigbus || s.code != kBusMceerrAo) {
      m.other.push_back(&s);
      continue;
    }
    auto page = v.file_page_of(s.addr);
    bool poisoned = model.whole_device || (page && model.poisoned(v.file, *page));
    (poisoned ? m.repeated : m.spurious).push_back(&s);
  }
  return m;
}

json signal_json(const SignalRecord& s, const VictimRecord& v) {
  auto page = v.file_page_of(s.addr);
  return {{"page", page ? json(*page) : json(nullptr)},
          {"signo", s.signo},
          {"code", s.code},
          {"addr", s.addr},
          {"addr_lsb", s.addr_lsb ? json(*s.addr_lsb) : json(nullptr)},
          {"time_ns", s.time_ns ? json(*s.time_ns) : json(nullptr)}};
}

json signals_json(const std::vector<const SignalRecord*>& signals, const VictimRecord& v) {
  json out = json::array();
  for (const SignalRecord* s : signals) out.push_back(signal_json(*s, v));
  return out;
}

json expected_json(const ExpectedSignal& e, const VictimRecord& v) {
  json j = {{"page", e.file_page ? json(*e.file_page) : json(nullptr)},
            {"code", e.code},
            {"addr", e.addr ? json(*e.addr) : json(nullptr)}};
  if (e.unit) {
    j["unit"] = e.unit->unit ? json(e.unit->unit->index) : json(nullptr);
    j["pfn"] = fmt::format("{:#x}", e.unit->pfn);
  }
  if (e.file_page) {
    // Whether the mapper had the page mapped when the poison came (null: not recorded).
    const PagemapEntry* before = v.before(*e.file_page);
    j["present_before"] = before && before->present ? json(*before->present) : json(nullptr);
  }
  return j;
}

}  // namespace poisonlab::oracles

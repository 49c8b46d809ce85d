#include "oracles/signal_matching.h"

#include <algorithm>

namespace poisonlab::oracles {

using nlohmann::json;

bool SignalMatch::complete() const {
  return std::none_of(matched.begin(), matched.end(), [](const SignalRecord* s) { return s == nullptr; });
}

uint64_t page_address(const VictimRecord& v, uint64_t file_page, uint64_t page_size) {
  return v.map_addr + (file_page - v.map_offset_pages) * page_size;
}

std::optional<uint64_t> file_page_of(const VictimRecord& v, uint64_t addr, uint64_t page_size) {
  if (addr < v.map_addr) return std::nullopt;
  uint64_t index = (addr - v.map_addr) / page_size;
  if (index >= v.map_pages) return std::nullopt;
  return v.map_offset_pages + index;
}

std::vector<ExpectedSignal> expected_early_kill_signals(const TrialRecord& t, const VictimRecord& v) {
  std::vector<ExpectedSignal> expected;
  for (uint64_t page : t.poisoned_file_pages)
    if (v.covers(page)) expected.push_back({page, page_address(v, page, t.page_size)});
  return expected;
}

SignalMatch match_early_kill_signals(const TrialRecord& t, const VictimRecord& v) {
  SignalMatch m;
  m.expected = expected_early_kill_signals(t, v);
  std::vector<bool> used(v.signals.size(), false);
  for (const ExpectedSignal& e : m.expected) {
    const SignalRecord* found = nullptr;
    for (size_t i = 0; i < v.signals.size() && !found; ++i) {
      const SignalRecord& s = v.signals[i];
      if (!used[i] && s.signo == kSigbus && s.code == kBusMceerrAo && s.addr == e.addr) {
        used[i] = true;
        found = &s;
      }
    }
    m.matched.push_back(found);
  }
  for (size_t i = 0; i < v.signals.size(); ++i) {
    if (used[i]) continue;
    const SignalRecord& s = v.signals[i];
    bool action_optional = s.signo == kSigbus && s.code == kBusMceerrAo;
    (action_optional ? m.unexpected : m.other).push_back(&s);
  }
  return m;
}

json signal_json(const SignalRecord& s, const VictimRecord& v, uint64_t page_size) {
  auto page = file_page_of(v, s.addr, page_size);
  return {{"page", page ? json(*page) : json(nullptr)},
          {"signo", s.signo},
          {"code", s.code},
          {"addr", s.addr},
          {"addr_lsb", s.addr_lsb ? json(*s.addr_lsb) : json(nullptr)},
          {"time_ns", s.time_ns ? json(*s.time_ns) : json(nullptr)}};
}

json expected_json(const ExpectedSignal& e) {
  return {{"page", e.file_page}, {"code", kBusMceerrAo}, {"addr", e.addr}};
}

}  // namespace poisonlab::oracles

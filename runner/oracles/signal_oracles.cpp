// Oracles about the signals and page-table state of the victims.
#include <fmt/format.h>

#include <optional>

#include "observe/kernel_log.h"
#include "oracles/oracle_set.h"
#include "oracles/signal_matching.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

json victim_header(const TrialRecord& t, const VictimRecord& v) {
  return {{"trial", t.index}, {"victim", v.id}, {"role", v.role}, {"pid", v.pid}};
}

size_t count_role(const ObservationRecord& obs, std::string_view role) {
  size_t n = 0;
  for (const TrialRecord& t : obs.trials)
    for (const VictimRecord& v : t.victims) n += v.role == role;
  return n;
}

// victims.<key> of the cell spec, 0 when absent.
uint64_t victims_asked(const nlohmann::json& cell_spec, const char* key) {
  return spec_count(cell_spec, std::string("/victims/") + key).value_or(0);
}

// Skips when the cell has no victims of a role, fails when it asked for
// some and none were observed.
std::optional<OracleResult> no_victims_of_role(std::string_view name, const nlohmann::json& cell_spec,
                                               const ObservationRecord& obs, std::string_view role,
                                               const char* spec_key) {
  if (count_role(obs, role) > 0) return std::nullopt;
  uint64_t asked = victims_asked(cell_spec, spec_key);
  if (asked == 0) return make_skip(name, fmt::format("no {} victims", role));
  return make_result(name, false, {{"asked", asked}, {"observed", 0}},
                     fmt::format("the cell asked for {} {} victim(s), none was observed", asked, role));
}

json signals_json(const std::vector<const SignalRecord*>& signals, const VictimRecord& v, uint64_t page_size) {
  json out = json::array();
  for (const SignalRecord* s : signals) out.push_back(signal_json(*s, v, page_size));
  return out;
}

// The pfns for which the kernel logged "Sending SIGBUS to <comm>:<pid>".
json kernel_sigbus_pfns(const std::vector<SigbusMessage>& messages, int64_t pid) {
  json pfns = json::array();
  for (const SigbusMessage& m : messages)
    if (m.pid == pid) pfns.push_back(fmt::format("{:#x}", m.pfn));
  return pfns;
}

json early_kill_victim_evidence(const TrialRecord& t, const VictimRecord& v, const SignalMatch& m,
                                const std::vector<SigbusMessage>& kernel_messages) {
  json expected = json::array(), missing = json::array(), received = json::array();
  for (size_t i = 0; i < m.expected.size(); ++i) {
    expected.push_back(expected_json(m.expected[i]));
    if (!m.matched[i]) missing.push_back(expected_json(m.expected[i]));
  }
  for (const SignalRecord& s : v.signals) received.push_back(signal_json(s, v, t.page_size));
  json e = victim_header(t, v);
  e["expected"] = expected;
  e["received"] = received;
  e["missing"] = missing;
  e["unexpected"] = signals_json(m.unexpected, v, t.page_size);
  e["other_signals"] = signals_json(m.other, v, t.page_size);
  e["kernel_logged_sigbus_pfns"] = kernel_sigbus_pfns(kernel_messages, v.pid);
  return e;
}

}  // namespace

OracleResult early_kill_signalled(const nlohmann::json& cell_spec, const ObservationRecord& obs) {
  constexpr std::string_view kName = "early_kill_signalled";
  if (auto none = no_victims_of_role(kName, cell_spec, obs, kRoleEarlyKill, "early_kill")) return *none;
  json evidence = json::array();
  size_t expected = 0, missing = 0, unexpected = 0;
  for (const TrialRecord& t : obs.trials) {
    auto kernel_messages = find_sigbus_messages(t.kernel_log);
    for (const VictimRecord& v : t.victims) {
      if (v.role != kRoleEarlyKill) continue;
      SignalMatch m = match_early_kill_signals(t, v);
      expected += m.expected.size();
      missing += std::count(m.matched.begin(), m.matched.end(), nullptr);
      unexpected += m.unexpected.size();
      evidence.push_back(early_kill_victim_evidence(t, v, m, kernel_messages));
    }
  }
  bool passed = missing == 0 && unexpected == 0;
  return make_result(kName, passed, evidence,
                     fmt::format("{} of {} expected SIGBUS BUS_MCEERR_AO received at the right address, "
                                 "{} missing, {} unexpected",
                                 expected - missing, expected, missing, unexpected));
}

OracleResult si_addr_lsb(const ObservationRecord& obs) {
  constexpr std::string_view kName = "si_addr_lsb";
  json evidence = json::array();
  size_t checked = 0, wrong = 0;
  for (const TrialRecord& t : obs.trials) {
    for (const VictimRecord& v : t.victims) {
      if (v.role != kRoleEarlyKill || !v.mapping_page_shift) continue;
      json mismatches = json::array();
      for (const SignalRecord& s : v.signals) {
        // si_addr_lsb is only defined for the machine-check codes.
        if (s.signo != kSigbus || (s.code != kBusMceerrAo && s.code != kBusMceerrAr)) continue;
        ++checked;
        if (s.addr_lsb != v.mapping_page_shift) mismatches.push_back(signal_json(s, v, t.page_size));
      }
      wrong += mismatches.size();
      json e = victim_header(t, v);
      e["expected_addr_lsb"] = *v.mapping_page_shift;
      e["mismatches"] = mismatches;
      evidence.push_back(e);
    }
  }
  if (checked == 0)
    return make_skip(kName, "no BUS_MCEERR SIGBUS to an early-kill victim with a known mapping page shift", evidence);
  return make_result(
      kName, wrong == 0, evidence,
      fmt::format("{} of {} SIGBUS had si_addr_lsb equal to the mapping page shift", checked - wrong, checked));
}

OracleResult neighbour_untouched(const ObservationRecord& obs) {
  constexpr std::string_view kName = "neighbour_untouched";
  // No neighbour fits when the poisoned range covers the whole file: skip.
  if (count_role(obs, kRoleNeighbour) == 0) return make_skip(kName, "no neighbour victims");
  json evidence = json::array();
  size_t signalled = 0, unmapped = 0;
  for (const TrialRecord& t : obs.trials) {
    for (const VictimRecord& v : t.victims) {
      if (v.role != kRoleNeighbour) continue;
      json not_present = json::array(), unknown = json::array();
      if (v.pagemap_after)
        for (const PagemapEntry& p : *v.pagemap_after) {
          if (!p.present)
            unknown.push_back(p.file_page);
          else if (!*p.present)
            not_present.push_back(p.file_page);
        }
      json e = victim_header(t, v);
      e["signals"] = json::array();
      for (const SignalRecord& s : v.signals) e["signals"].push_back(signal_json(s, v, t.page_size));
      e["pagemap_recorded"] = v.pagemap_after.has_value();
      e["pages_not_present"] = not_present;
      e["pages_not_read"] = unknown;
      signalled += !v.signals.empty();
      unmapped += !not_present.empty();
      evidence.push_back(e);
    }
  }
  return make_result(kName, signalled == 0 && unmapped == 0, evidence,
                     fmt::format("{} neighbour(s) signalled, {} with pages no longer present", signalled, unmapped));
}

OracleResult late_kill_recorded(const nlohmann::json& cell_spec, const ObservationRecord& obs) {
  constexpr std::string_view kName = "late_kill_recorded";
  if (auto none = no_victims_of_role(kName, cell_spec, obs, kRoleLateKill, "late_kill")) return *none;
  json evidence = json::array();
  size_t missing = 0, present = 0, not_present = 0;
  for (const TrialRecord& t : obs.trials) {
    for (const VictimRecord& v : t.victims) {
      if (v.role != kRoleLateKill) continue;
      json pages = json::array(), missing_pages = json::array();
      for (uint64_t page : t.poisoned_file_pages) {
        if (!v.covers(page)) continue;
        const PagemapEntry* entry = nullptr;
        if (v.pagemap_after)
          for (const PagemapEntry& p : *v.pagemap_after)
            if (p.file_page == page) entry = &p;
        if (!entry || !entry->present) {
          missing_pages.push_back(page);
          continue;
        }
        (*entry->present ? present : not_present)++;
        pages.push_back({{"file_page", page},
                         {"present", *entry->present},
                         {"pfn", entry->pfn ? json(*entry->pfn) : json(nullptr)}});
      }
      missing += missing_pages.size();
      json e = victim_header(t, v);
      e["pages"] = pages;
      e["missing_pages"] = missing_pages;
      e["signals"] = json::array();
      for (const SignalRecord& s : v.signals) e["signals"].push_back(signal_json(s, v, t.page_size));
      evidence.push_back(e);
    }
  }
  return make_result(kName, missing == 0, evidence,
                     fmt::format("PTE state after injection: {} present, {} not present, {} not recorded", present,
                                 not_present, missing));
}

OracleResult reaccess_no_hang(const nlohmann::json& cell_spec, const ObservationRecord& obs) {
  constexpr std::string_view kName = "reaccess_no_hang";
  if (!cell_spec.is_object() || !cell_spec.value("reaccess", false)) return make_skip(kName, "reaccess disabled");
  json evidence = json::array();
  size_t done = 0, timeouts = 0;
  for (const TrialRecord& t : obs.trials) {
    for (const VictimRecord& v : t.victims) {
      if (!v.reaccess) continue;
      const ReaccessRecord& r = *v.reaccess;
      json e = victim_header(t, v);
      e["done"] = r.done;
      e["outcome"] = r.outcome;
      e["file_page"] = r.file_page ? json(*r.file_page) : json(nullptr);
      e["code"] = r.code ? json(*r.code) : json(nullptr);
      e["data_matches"] = r.data_matches ? json(*r.data_matches) : json(nullptr);
      e["error"] = r.error ? json(*r.error) : json(nullptr);
      evidence.push_back(e);
      done += r.done;
      timeouts += r.outcome == "timeout";
    }
  }
  if (done == 0 && timeouts == 0) return make_skip(kName, "no victim re-accessed a poisoned page", evidence);
  return make_result(kName, timeouts == 0, evidence,
                     fmt::format("{} re-access(es) done, {} timed out", done, timeouts));
}

}  // namespace poisonlab::oracles

// Oracles about the signals the mappers received.
#include <fmt/format.h>

#include <optional>

#include "observe/kernel_log.h"
#include "oracles/oracle_set.h"
#include "oracles/signal_matching.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

// Victims of a role in the trials that reached the injection.
size_t count_role(const ObservationRecord& obs, std::string_view role) {
  size_t n = 0;
  for (const TrialRecord& t : obs.trials)
    if (t.injection)
      for (const VictimRecord& v : t.victims) n += v.role == role;
  return n;
}

bool any_injection(const ObservationRecord& obs) {
  for (const TrialRecord& t : obs.trials)
    if (t.injection) return true;
  return false;
}

// Skips when no trial reached the injection (trials_completed says why)
// or the cell asked for no victims of the role, fails when it asked for
// some and none was observed; nullopt when there are some.
std::optional<OracleResult> no_victims_of_role(std::string_view name, const Cell& cell, std::string_view role,
                                               const char* spec_key) {
  if (!any_injection(cell.obs)) return make_skip(name, "no trial reached the injection (see trials_completed)");
  if (count_role(cell.obs, role) > 0) return std::nullopt;
  uint64_t asked = spec_count(cell.spec, std::string("/victims/") + spec_key).value_or(0);
  if (asked == 0) return make_skip(name, fmt::format("no {} victims", role));
  return make_result(name, false, {{"asked", asked}, {"observed", 0}},
                     fmt::format("the cell asked for {} {} victim(s), none was observed", asked, role));
}

// The pfns for which the kernel logged "Sending SIGBUS to <comm>:<pid>".
json kernel_sigbus_pfns(const std::vector<SigbusMessage>& messages, int64_t pid) {
  json pfns = json::array();
  for (const SigbusMessage& m : messages)
    if (m.pid == pid) pfns.push_back(fmt::format("{:#x}", m.pfn));
  return pfns;
}

json model_json(const TrialRecord& t, const TrialModel& m) {
  json units = json::array(), pages = json::array();
  for (const ModelUnit& u : m.units) units.push_back(u.to_json());
  for (const FilePage& p : m.poisoned_pages()) pages.push_back({{"file", p.file}, {"page", p.page}});
  return {{"trial", t.index}, {"whole_device", m.whole_device}, {"units", units}, {"poisoned_pages", pages}};
}

// Whether a trial poisoned anything the model can judge.
bool trial_poisoned(const TrialRecord& t, const TrialModel& m) {
  if (m.injected_units() > 0) return true;
  if (!m.whole_device || !t.injection) return false;
  for (const StepRecord& s : t.injection->steps)
    if (judge_step(s).reached_kernel) return true;
  return false;
}

struct MapperTally {
  size_t expected = 0, received = 0, missed = 0, missed_unmapped = 0, missed_pending = 0, spurious = 0;
};

size_t signals_generated_while_pending(const std::map<int64_t, std::vector<GeneratedSignal>>& generated, int64_t pid) {
  auto it = generated.find(pid);
  if (it == generated.end()) return 0;
  return static_cast<size_t>(std::count_if(it->second.begin(), it->second.end(),
                                           [](const GeneratedSignal& g) { return g.res == kSignalAlreadyPending; }));
}

json mapper_evidence(const TrialRecord& t, const VictimRecord& v, const SignalMatch& m,
                     const std::vector<SigbusMessage>& kernel_messages,
                     const std::map<int64_t, std::vector<GeneratedSignal>>& generated, MapperTally& tally) {
  json expected = json::array(), missed = json::array(), received = json::array();
  for (size_t i = 0; i < m.expected.size(); ++i) {
    json e = expected_json(m.expected[i], v);
    expected.push_back(e);
    if (m.matched[i]) continue;
    tally.missed_unmapped += e.value("present_before", json(nullptr)) == false;
    missed.push_back(e);
  }
  for (const SignalRecord& s : v.signals) received.push_back(signal_json(s, v));
  tally.expected += m.expected.size();
  tally.received += m.expected.size() - m.missed();
  tally.missed += m.missed();
  size_t pending = std::min(signals_generated_while_pending(generated, v.pid), m.missed());
  tally.missed_pending += pending;
  tally.spurious += m.spurious.size();
  json e = victim_header(t, v);
  e["map_pages"] = {{"first", v.map_offset_pages}, {"count", v.map_pages}};
  e["expected"] = expected;
  e["received"] = received;
  e["missed"] = missed;
  e["missed_generated_while_pending"] = pending;
  e["spurious"] = signals_json(m.spurious, v);
  e["repeated"] = signals_json(m.repeated, v);
  e["other_signals"] = signals_json(m.other, v);
  e["kernel_logged_sigbus_pfns"] = kernel_sigbus_pfns(kernel_messages, v.pid);
  return e;
}

json pagemap_json(const PagemapEntry* e) {
  if (!e) return nullptr;
  return {{"present", e->present ? json(*e->present) : json(nullptr)}, {"pfn", e->pfn ? json(*e->pfn) : json(nullptr)}};
}

}  // namespace

json victim_header(const TrialRecord& t, const VictimRecord& v) {
  return {{"trial", t.index}, {"victim", v.id}, {"role", v.role}, {"file", v.file}, {"pid", v.pid}};
}

OracleResult expected_victims(const Cell& cell) {
  constexpr std::string_view kName = "expected_victims";
  if (auto none = no_victims_of_role(kName, cell, kRoleEarlyKill, "early_kill")) return *none;
  json models = json::array(), mappers = json::array();
  MapperTally tally;
  size_t poisoned_trials = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    const TrialRecord& t = cell.obs.trials[i];
    const TrialModel& m = cell.models[i];
    models.push_back(model_json(t, m));
    if (!trial_poisoned(t, m)) continue;
    ++poisoned_trials;
    auto kernel_messages = find_sigbus_messages(t.kernel_log);
    auto generated = generated_signals_by_pid(t);
    for (const VictimRecord& v : t.victims)
      if (judged_mapper(m, v))
        mappers.push_back(mapper_evidence(t, v, match_signals(m, v), kernel_messages, generated, tally));
  }
  json evidence = {{"model", models}, {"mappers", mappers}};
  if (poisoned_trials == 0) return make_skip(kName, "no trial injected any poison (see injection_succeeded)", evidence);
  return make_result(
      kName, tally.missed == 0 && tally.spurious == 0, evidence,
      fmt::format("{} of {} expected SIGBUS received by {} mapper(s); {} missed ({} on pages not "
                  "mapped at injection time, {} generated while one was pending: merged by the kernel), {} spurious",
                  tally.received, tally.expected, mappers.size(), tally.missed, tally.missed_unmapped,
                  tally.missed_pending, tally.spurious));
}

OracleResult si_addr_lsb(const Cell& cell) {
  constexpr std::string_view kName = "si_addr_lsb";
  json evidence = json::array();
  size_t checked = 0, wrong = 0;
  for (const TrialRecord& t : cell.obs.trials) {
    for (const VictimRecord& v : t.victims) {
      if (!v.mapping_page_shift) continue;
      json mismatches = json::array();
      size_t mine = 0;
      for (const SignalRecord& s : v.signals) {
        // si_addr_lsb is only defined for the machine-check codes.
        if (!s.machine_check()) continue;
        ++mine;
        if (s.addr_lsb != v.mapping_page_shift) mismatches.push_back(signal_json(s, v));
      }
      if (mine == 0) continue;
      checked += mine;
      wrong += mismatches.size();
      json e = victim_header(t, v);
      e["expected_addr_lsb"] = *v.mapping_page_shift;
      e["checked"] = mine;
      e["mismatches"] = mismatches;
      evidence.push_back(e);
    }
  }
  if (checked == 0) return make_skip(kName, "no BUS_MCEERR SIGBUS to a mapper with a known mapping page shift");
  return make_result(
      kName, wrong == 0, evidence,
      fmt::format("{} of {} SIGBUS had si_addr_lsb equal to the mapping page shift", checked - wrong, checked));
}

OracleResult neighbour_untouched(const Cell& cell) {
  constexpr std::string_view kName = "neighbour_untouched";
  // No neighbour fits when the poisoned range covers the whole window: skip.
  if (count_role(cell.obs, kRoleNeighbour) == 0) return make_skip(kName, "no neighbour victims");
  json evidence = json::array();
  size_t signalled = 0, lost = 0, checked = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    const TrialRecord& t = cell.obs.trials[i];
    const TrialModel& m = cell.models[i];
    for (const VictimRecord& v : t.victims) {
      if (v.role != kRoleNeighbour) continue;
      json ao = json::array(), lost_pages = json::array(), not_read = json::array(), absent_before = json::array(),
           poisoned = json::array();
      for (const SignalRecord& s : v.signals) {
        auto page = v.file_page_of(s.addr);
        if (s.signo == kSigbus && s.code == kBusMceerrAo && !(page && m.poisoned(v.file, *page)))
          ao.push_back(signal_json(s, v));
      }
      for (const PagemapEntry& b : v.pagemap_before) {
        if (m.poisoned(v.file, b.file_page)) {
          poisoned.push_back(b.file_page);  // judged by expected_victims and mappings_revoked
          continue;
        }
        if (!b.present || !*b.present) {
          absent_before.push_back(b.file_page);
          continue;
        }
        ++checked;
        const PagemapEntry* a = v.after(b.file_page);
        if (!a || !a->present)
          not_read.push_back(b.file_page);
        else if (!*a->present)
          lost_pages.push_back(b.file_page);
      }
      json e = victim_header(t, v);
      e["action_optional_signals"] = ao;
      e["pages_lost"] = lost_pages;
      e["pages_not_read_after"] = not_read;
      e["pages_not_present_before"] = absent_before;
      e["poisoned_pages_mapped"] = poisoned;
      signalled += !ao.empty();
      lost += lost_pages.size();
      evidence.push_back(e);
    }
  }
  return make_result(kName, signalled == 0 && lost == 0, evidence,
                     fmt::format("{} neighbour(s) got BUS_MCEERR_AO; {} of {} page(s) present before stayed present",
                                 signalled, checked - lost, checked));
}

OracleResult late_kill_recorded(const Cell& cell) {
  constexpr std::string_view kName = "late_kill_recorded";
  if (auto none = no_victims_of_role(kName, cell, kRoleLateKill, "late_kill")) return *none;
  json evidence = json::array();
  size_t missing = 0, present = 0, not_present = 0, pages_seen = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    const TrialRecord& t = cell.obs.trials[i];
    const TrialModel& m = cell.models[i];
    for (const VictimRecord& v : t.victims) {
      if (v.role != kRoleLateKill) continue;
      json pages = json::array(), missing_pages = json::array();
      for (const FilePage& p : m.poisoned_pages()) {
        if (p.file != v.file || !v.covers(p.page)) continue;
        ++pages_seen;
        const PagemapEntry* after = v.after(p.page);
        if (!after || !after->present) {
          missing_pages.push_back(p.page);
          continue;
        }
        (*after->present ? present : not_present)++;
        pages.push_back(
            {{"file_page", p.page}, {"before", pagemap_json(v.before(p.page))}, {"after", pagemap_json(after)}});
      }
      missing += missing_pages.size();
      json e = victim_header(t, v);
      e["pages"] = pages;
      e["missing_pages"] = missing_pages;
      e["signals"] = json::array();
      for (const SignalRecord& s : v.signals) e["signals"].push_back(signal_json(s, v));
      evidence.push_back(e);
    }
  }
  if (pages_seen == 0)
    return make_skip(kName, "no late-kill mapper maps a poisoned file page (the whole device's pages are not recorded)",
                     evidence);
  return make_result(kName, missing == 0, evidence,
                     fmt::format("PTE state after injection: {} present, {} not present, {} not recorded", present,
                                 not_present, missing));
}

}  // namespace poisonlab::oracles

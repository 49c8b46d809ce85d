// CXL (issue 5): what poison on a CXL-backed pmem page did, from the trial's
// cxl record (unit DPAs, the poison-list read) and its trace (cxl:cxl_poison,
// the memory_failure probes), for every CXL cell. For the poison-list methods
// (QMP cxl-inject-poison, debugfs inject_poison) the verdict is whether the
// device's poison list, read back through the kernel, holds every injected
// DPA; whether memory_failure ran, and what the victims received, are
// recorded as observed and judged by the other oracles as for any method.
#include <fmt/format.h>

#include <unordered_map>

#include "oracles/oracle_set.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

constexpr std::string_view kName = "cxl_poison_outcome";

bool is_poison_list_method(const std::string& method) {
  return method == "cxl-qmp-poison" || method == "cxl-debugfs-poison";
}

std::optional<uint64_t> hex_arg(const TraceRecord& e, std::string_view key) {
  auto v = e.arg(key);
  if (!v || v->empty()) return std::nullopt;
  std::string text(*v);
  char* end = nullptr;
  uint64_t n = std::strtoull(text.c_str(), &end, 0);
  if (*end != '\0') return std::nullopt;
  return n;
}

struct PoisonEntry {
  uint64_t dpa = 0;
  uint64_t length = 0;
  std::string trace_type;  // "List" | "Inject" | "Clear"
  std::string source;
};

std::vector<PoisonEntry> cxl_poison_events(const TrialRecord& t) {
  std::vector<PoisonEntry> out;
  for (const TraceRecord& e : t.trace_events) {
    if (e.name() != "cxl_poison") continue;
    auto dpa = hex_arg(e, "dpa");
    if (!dpa) continue;
    out.push_back({*dpa, hex_arg(e, "dpa_length").value_or(0), std::string(e.arg("trace_type").value_or("")),
                   std::string(e.arg("source").value_or(""))});
  }
  return out;
}

bool listed(const std::vector<PoisonEntry>& entries, uint64_t dpa) {
  for (const PoisonEntry& p : entries)
    if (p.trace_type == "List" && dpa >= p.dpa && dpa - p.dpa < std::max<uint64_t>(p.length, 1)) return true;
  return false;
}

// DPA of unit k as the agent computed it (null outside the region).
std::optional<uint64_t> unit_dpa(const TrialRecord& t, uint64_t unit) {
  const json& units = t.cxl.is_object() ? t.cxl.value("units", json::array()) : json::array();
  for (const json& u : units)
    if (u.value("unit", uint64_t{~0ull}) == unit && u.value("dpa", json()).is_number_unsigned())
      return u["dpa"].get<uint64_t>();
  return std::nullopt;
}

struct TrialOutcome {
  json evidence;
  size_t injected = 0, with_dpa = 0, in_list = 0, mf_reached = 0, signals = 0;
  bool list_read = false;
};

TrialOutcome trial_outcome(const Cell& cell, size_t i) {
  const TrialRecord& t = cell.obs.trials[i];
  TrialOutcome o;
  std::vector<PoisonEntry> events = cxl_poison_events(t);
  std::unordered_map<uint64_t, size_t> mf_by_pfn;  // memory_failure calls seen in the trace, by pfn
  for (const json& g : cell.notify[i]["per_event"])
    if (g["pfn"].is_number_unsigned()) ++mf_by_pfn[g["pfn"].get<uint64_t>()];
  const json& read = t.cxl.value("poison_list_read", json());
  o.list_read = read.is_object() && read.value("ok", false);
  json units = json::array();
  for (const ModelUnit& u : cell.models[i].units) {
    if (!u.injected) continue;
    ++o.injected;
    auto dpa = unit_dpa(t, u.unit->index);
    bool in_list = dpa && listed(events, *dpa);
    auto mf = mf_by_pfn.find(u.pfn);
    size_t calls = mf == mf_by_pfn.end() ? 0 : mf->second;
    o.with_dpa += dpa.has_value();
    o.in_list += in_list;
    o.mf_reached += calls > 0;
    units.push_back({{"unit", u.unit->index},
                     {"pfn", fmt::format("{:#x}", u.pfn)},
                     {"dpa", dpa ? json(fmt::format("{:#x}", *dpa)) : json(nullptr)},
                     {"in_poison_list", in_list},
                     {"memory_failure_calls", calls}});
  }
  json list = json::array();
  size_t by_type_list = 0, by_type_inject = 0;
  for (const PoisonEntry& p : events) {
    by_type_list += p.trace_type == "List";
    by_type_inject += p.trace_type == "Inject";
    if (list.size() < 64)
      list.push_back({{"dpa", fmt::format("{:#x}", p.dpa)}, {"length", p.length}, {"trace_type", p.trace_type},
                      {"source", p.source}});
  }
  json victims = json::array();
  for (const VictimRecord& v : t.victims) {
    size_t sigbus = 0;
    for (const SignalRecord& s : v.signals) sigbus += s.machine_check();
    o.signals += sigbus;
    victims.push_back({{"victim", v.id}, {"role", v.role}, {"machine_check_sigbus", sigbus},
                       {"reaccess", v.reaccess ? json(v.reaccess->outcome) : json(nullptr)}});
  }
  o.evidence = {{"trial", t.index},
                {"poison_list_read", read},
                {"cxl_poison_events", {{"list", by_type_list}, {"inject", by_type_inject}, {"total", events.size()}}},
                {"poison_list", list},
                {"units", units},
                {"memory_failure_reached_units", o.mf_reached},
                {"victims", victims}};
  return o;
}

}  // namespace

OracleResult cxl_poison_outcome(const Cell& cell) {
  bool any_cxl = false;
  for (const TrialRecord& t : cell.obs.trials) any_cxl = any_cxl || t.cxl.is_object();
  if (!any_cxl) return make_skip(kName, "not a CXL cell");
  if (!cell.obs.trace_enabled) return make_skip(kName, "trace disabled: the poison list is read through cxl:cxl_poison");
  json evidence = json::array();
  size_t injected = 0, in_list = 0, mf = 0, signals = 0, reads_failed = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    if (!cell.obs.trials[i].cxl.is_object()) continue;
    TrialOutcome o = trial_outcome(cell, i);
    injected += o.injected;
    in_list += o.in_list;
    mf += o.mf_reached;
    signals += o.signals;
    reads_failed += !o.list_read;
    evidence.push_back(std::move(o.evidence));
  }
  std::string observed =
      fmt::format("{} of {} injected page(s) in the device's poison list; memory_failure reached for {}; "
                  "{} machine-check SIGBUS to victims{}",
                  in_list, injected, mf, signals,
                  reads_failed ? fmt::format("; {} poison-list read(s) failed", reads_failed) : "");
  if (injected == 0) return make_skip(kName, "no unit was injected", evidence);
  if (!is_poison_list_method(cell.method))
    return make_skip(kName, "not a poison-list injection (" + cell.method + "); observed: " + observed, evidence);
  return make_result(kName, in_list == injected && reads_failed == 0, evidence, observed);
}

}  // namespace poisonlab::oracles

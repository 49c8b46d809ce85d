// Oracles read off the kernel log, the trace, the taint mask and the stack
// record.
#include <fmt/format.h>

#include <ranges>
#include <unordered_map>

#include "observe/kernel_log.h"
#include "oracles/oracle_set.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

constexpr std::string_view kDaxPageType = "dax page";
constexpr std::string_view kRecovered = "Recovered";
constexpr uint64_t kTaintDie = 1u << 7;  // 'D': the kernel oopsed

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

// Methods that never call memory_failure(): a badblocks entry only makes
// reads fail, an unbind notifies the holder directly, an ndctl-injected
// error reaches the kernel as a badblocks entry after the next scrub.
bool calls_memory_failure(const std::string& method) {
  return method != kMethodBadblocks && method != kMethodUnbind && method != kMethodNdctlInjectError;
}

std::string no_memory_failure_summary(const std::string& method) {
  return fmt::format("{} does not call memory_failure (by design of the method)", method);
}

// A stack that was never built (its error says why) has no DAX to check.
void add_dax_of(const json& stack, json& stacks, bool& all_dax) {
  json dax = stack.is_object() ? stack.value("dax", json(nullptr)) : json(nullptr);
  bool built = stack.is_object() && stack.value("ok", json(false)) == true;
  const json& attr = dax.is_object() && dax.contains("statx_attr_dax") ? dax["statx_attr_dax"] : json();
  if (built) all_dax = all_dax && attr.is_boolean() && attr.get<bool>();
  stacks.push_back(built ? dax : json{{"not_built", stack.is_object() ? stack.value("error", json()) : json()}});
}

}  // namespace

OracleResult dax_active(const Cell& cell) {
  constexpr std::string_view kName = "dax_active";
  json stacks = json::array(), not_dax = json::array();
  bool all_dax = true;
  if (cell.obs.stacks.empty())
    add_dax_of(cell.obs.stack, stacks, all_dax);
  else
    for (const json& s : cell.obs.stacks) add_dax_of(s, stacks, all_dax);
  for (const TrialRecord& t : cell.obs.trials)
    for (const FileRecord& f : t.files)
      if (f.statx_dax == false) not_dax.push_back({{"trial", t.index}, {"file", f.id}, {"path", f.path}});
  json evidence = {{"dax", stacks},
                   {"files_without_dax", not_dax},
                   {"kernel_messages", find_dax_mount_messages(cell.obs.kernel_log)}};
  bool passed = all_dax && not_dax.empty();
  return make_result(kName, passed, evidence,
                     passed ? "statx reports STATX_ATTR_DAX on the stack's probe file and every trial file"
                            : fmt::format("DAX is not on everywhere: stack statx {}, {} trial file(s) without it",
                                          all_dax ? "ok" : "off or not recorded", not_dax.size()));
}

OracleResult recovered_per_page(const Cell& cell) {
  constexpr std::string_view kName = "recovered_per_page";
  if (!calls_memory_failure(cell.method)) return make_skip(kName, no_memory_failure_summary(cell.method));
  json evidence = json::array(), without_file_data = json::array();
  size_t judged = 0, recovered = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    const TrialRecord& t = cell.obs.trials[i];
    // A trial without its own log lines falls back to the cell's log; each
    // trial poisons fresh blocks, so a pfn is not confused across trials.
    bool own_log = !t.kernel_log.empty();
    // By pfn, so a large range is judged in one pass over its log.
    std::unordered_multimap<uint64_t, RecoveryResult> results;
    for (RecoveryResult& r : find_recovery_results(own_log ? t.kernel_log : cell.obs.kernel_log))
      results.emplace(r.pfn, std::move(r));
    for (const ModelUnit& u : cell.models[i].units) {
      if (!u.injected) continue;
      if (u.owners.empty()) {
        without_file_data.push_back({{"trial", t.index}, {"unit", u.unit->index}, {"pfn", hex(u.pfn)}});
        continue;
      }
      ++judged;
      json seen = json::array();
      bool ok = false;
      auto [first, last] = results.equal_range(u.pfn);
      for (const auto& [pfn, r] : std::ranges::subrange(first, last)) {
        seen.push_back({{"page_type", r.page_type}, {"result", r.result}});
        ok = ok || (r.page_type == kDaxPageType && r.result == kRecovered);
      }
      recovered += ok;
      evidence.push_back({{"trial", t.index},
                          {"unit", u.unit->index},
                          {"pfn", hex(u.pfn)},
                          {"recovery_results", seen},
                          {"recovered", ok},
                          {"log", own_log ? "trial" : "cell"}});
    }
  }
  if (judged == 0)
    return make_skip(kName, "no injected unit backs file data", {{"units_without_file_data", without_file_data}});
  return make_result(kName, recovered == judged, {{"units", evidence}, {"units_without_file_data", without_file_data}},
                     fmt::format("{} of {} injected file-data page(s) logged \"recovery action for dax page: "
                                 "Recovered\"",
                                 recovered, judged));
}

OracleResult memory_failure_traced(const Cell& cell) {
  constexpr std::string_view kName = "memory_failure_traced";
  if (!calls_memory_failure(cell.method)) return make_skip(kName, no_memory_failure_summary(cell.method));
  if (!cell.obs.trace_enabled) return make_skip(kName, "trace disabled");
  if (!probe_ok(cell.obs, "memory_failure")) return make_skip(kName, "the memory_failure probe is not available");
  json evidence = json::array();
  size_t units = 0, traced = 0;
  for (size_t i = 0; i < cell.obs.trials.size(); ++i) {
    std::unordered_map<uint64_t, size_t> calls_by_pfn;
    for (const json& g : cell.notify[i]["per_event"])
      if (g["pfn"].is_number_unsigned()) ++calls_by_pfn[g["pfn"].get<uint64_t>()];
    for (const ModelUnit& u : cell.models[i].units) {
      if (!u.injected) continue;
      ++units;
      auto found = calls_by_pfn.find(u.pfn);
      size_t hits = found == calls_by_pfn.end() ? 0 : found->second;
      traced += hits > 0;
      evidence.push_back({{"trial", cell.obs.trials[i].index},
                          {"unit", u.unit->index},
                          {"pfn", hex(u.pfn)},
                          {"memory_failure_calls", hits}});
    }
  }
  if (units == 0) return make_skip(kName, "no unit was injected");
  return make_result(kName, traced == units, evidence,
                     fmt::format("memory_failure traced for {} of {} injected pfn(s)", traced, units));
}

OracleResult kernel_healthy(const std::vector<std::string>& kernel_log) {
  constexpr std::string_view kName = "kernel_healthy";
  auto problems = find_kernel_problems(kernel_log);
  json evidence = {{"lines", kernel_log.size()}, {"problems", problems}};
  std::string summary = problems.empty()
                            ? fmt::format("no kernel problem in {} log lines", kernel_log.size())
                            : fmt::format("{} kernel problem(s), first: {}", problems.size(), problems.front().title);
  return make_result(kName, problems.empty(), evidence, summary);
}

OracleResult kernel_healthy(const Cell& cell) {
  OracleResult r = kernel_healthy(cell.obs.kernel_log);
  const auto& before = cell.obs.taint_before;
  const auto& after = cell.obs.taint_after;
  // The log may be cut short; the taint mask still says the kernel died.
  bool oopsed = after && (*after & kTaintDie) && !(before.value_or(0) & kTaintDie);
  r.evidence["taint"] = {{"before", before ? json(hex(*before)) : json(nullptr)},
                         {"after", after ? json(hex(*after)) : json(nullptr)},
                         {"oops_during_cell", oopsed}};
  r.evidence["vm_unusable"] = cell.obs.vm_unusable ? json(*cell.obs.vm_unusable) : json(nullptr);
  if (oopsed && r.verdict == kPass) {
    r.verdict = std::string(kFail);
    r.summary = "the taint mask gained D (an oops) during the cell, though the log shows no problem";
  }
  return r;
}

}  // namespace poisonlab::oracles

// Oracles read off the kernel log, the trace and the stack/teardown records.
#include <fmt/format.h>

#include "observe/kernel_log.h"
#include "observe/notify_path.h"
#include "oracles/oracle_set.h"

namespace poisonlab::oracles {
namespace {

using nlohmann::json;

constexpr std::string_view kDaxPageType = "dax page";
constexpr std::string_view kRecovered = "Recovered";

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

// Event names may carry a "group/" prefix.
bool is_event(const json& e, std::string_view name) {
  if (!e.is_object() || !e.contains("event") || !e["event"].is_string()) return false;
  const std::string& event = e["event"].get_ref<const std::string&>();
  size_t slash = event.rfind('/');
  return std::string_view(event).substr(slash == std::string::npos ? 0 : slash + 1) == name;
}

}  // namespace

OracleResult dax_active(const ObservationRecord& obs) {
  constexpr std::string_view kName = "dax_active";
  bool statx_dax = obs.dax.is_object() && obs.dax.value("statx_attr_dax", false);
  json evidence = {{"dax", obs.dax}, {"kernel_messages", find_dax_mount_messages(obs.kernel_log)}};
  return make_result(kName, statx_dax, evidence,
                     statx_dax ? "statx reports STATX_ATTR_DAX on the victim files"
                               : "statx does not report STATX_ATTR_DAX (or it was not recorded)");
}

OracleResult recovered_per_page(const ObservationRecord& obs) {
  constexpr std::string_view kName = "recovered_per_page";
  json evidence = json::array();
  size_t pages = 0, recovered = 0;
  for (const TrialRecord& t : obs.trials) {
    // A trial without its own log lines falls back to the cell's log; each
    // trial poisons fresh blocks, so a pfn is not confused across trials.
    bool own_log = !t.kernel_log.empty();
    auto results = find_recovery_results(own_log ? t.kernel_log : obs.kernel_log);
    for (const PoisonedPage& p : t.pages) {
      ++pages;
      json seen = json::array();
      bool ok = false;
      if (p.pfn_computed) {
        for (const RecoveryResult& r : results) {
          if (r.pfn != *p.pfn_computed) continue;
          seen.push_back({{"page_type", r.page_type}, {"result", r.result}});
          ok = ok || (r.page_type == kDaxPageType && r.result == kRecovered);
        }
      }
      recovered += ok;
      evidence.push_back({{"trial", t.index},
                          {"file_page", p.file_page},
                          {"pfn", p.pfn_computed ? json(hex(*p.pfn_computed)) : json(nullptr)},
                          {"recovery_results", seen},
                          {"recovered", ok},
                          {"log", own_log ? "trial" : "cell"}});
    }
  }
  if (pages == 0) return make_skip(kName, "no poisoned pages recorded");
  return make_result(
      kName, recovered == pages, evidence,
      fmt::format("{} of {} poisoned pages logged \"recovery action for dax page: Recovered\"", recovered, pages));
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

OracleResult fs_not_shut_down(const ObservationRecord& obs) {
  constexpr std::string_view kName = "fs_not_shut_down";
  auto messages = find_xfs_shutdown_messages(obs.kernel_log);
  json shutdown_events = json::array();
  for (const TrialRecord& t : obs.trials) {
    if (!t.trace_events.is_array()) continue;
    for (const json& e : t.trace_events)
      if (is_event(e, "xfs_force_shutdown"))
        shutdown_events.push_back({{"trial", t.index},
                                   {"time_ns", e.value("time_ns", json(nullptr))},
                                   {"args", e.value("args", json::object())}});
  }
  bool umount_ok = obs.umount_ok.value_or(false);
  json evidence = {{"shutdown_messages", messages},
                   {"xfs_force_shutdown_events", shutdown_events},
                   {"trace_checked", obs.trace_enabled && probe_ok(obs, "xfs_force_shutdown")},
                   {"umount_ok", obs.umount_ok ? json(*obs.umount_ok) : json(nullptr)},
                   {"umount_error", obs.umount_error}};
  bool passed = messages.empty() && shutdown_events.empty() && umount_ok;
  std::string summary =
      fmt::format("{} XFS shutdown message(s), {} xfs_force_shutdown event(s), umount {}", messages.size(),
                  shutdown_events.size(), obs.umount_ok ? (umount_ok ? "ok" : "failed") : "not recorded");
  return make_result(kName, passed, evidence, summary);
}

OracleResult memory_failure_traced(const ObservationRecord& obs) {
  constexpr std::string_view kName = "memory_failure_traced";
  if (!obs.trace_enabled) return make_skip(kName, "trace disabled");
  if (!probe_ok(obs, "memory_failure")) return make_skip(kName, "the memory_failure probe is not available");
  json evidence = json::array();
  size_t pages = 0, traced = 0;
  for (const TrialRecord& t : obs.trials) {
    json groups = classify_notify_path(t.trace_events, obs.probes)["per_event"];
    for (const PoisonedPage& p : t.pages) {
      ++pages;
      size_t hits = 0;
      for (const json& g : groups) hits += p.pfn_computed && g["pfn"] == *p.pfn_computed;
      traced += hits > 0;
      evidence.push_back({{"trial", t.index},
                          {"file_page", p.file_page},
                          {"pfn", p.pfn_computed ? json(hex(*p.pfn_computed)) : json(nullptr)},
                          {"memory_failure_calls", hits}});
    }
  }
  if (pages == 0) return make_skip(kName, "no poisoned pages recorded");
  return make_result(kName, traced == pages, evidence,
                     fmt::format("memory_failure traced for {} of {} poisoned pfns", traced, pages));
}

}  // namespace poisonlab::oracles

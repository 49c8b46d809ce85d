#include "report/perf_report.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "report/json_access.h"
#include "report/stats.h"

namespace poisonlab {
using nlohmann::json;

namespace {

constexpr const char* kCostPhases[] = {"perf_start", "perf_stop", "perf_script"};

uint64_t count_of(const json& object, const char* key) {
  const json& v = member_or_null(object, key);
  return v.is_number_unsigned() ? v.get<uint64_t>() : 0;
}

// The agent names its files relative to the guest's run directory, which is
// the host's <vm_dir>/guest; the VM folder is the serial log's.
json run_relative(const json& cell, const json& guest_path) {
  std::string serial = string_or(cell, "serial_log");
  if (!guest_path.is_string() || serial.empty()) return nullptr;
  return (std::filesystem::path(serial).parent_path() / "guest" / guest_path.get<std::string>()).string();
}

struct Ranking {
  std::map<std::string, uint64_t> self, inclusive;
};

void add_list(std::map<std::string, uint64_t>& into, const json& list) {
  if (!list.is_array()) return;
  for (const auto& f : list)
    if (f.is_object() && f.contains("function") && f["function"].is_string())
      into[f["function"].get<std::string>()] += count_of(f, "samples");
}

json top(const std::map<std::string, uint64_t>& counts, uint64_t busy) {
  std::vector<std::pair<std::string, uint64_t>> ranked(counts.begin(), counts.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (ranked.size() > kPerfTopFunctions) ranked.resize(kPerfTopFunctions);
  json out = json::array();
  for (const auto& [name, n] : ranked)
    out.push_back({{"function", name}, {"samples", n}, {"share", busy ? json(double(n) / double(busy)) : json(nullptr)}});
  return out;
}

json stats_of(const std::vector<double>& samples) { return to_json(summarize(samples)); }

// {event: {"per_trial", "total", "stats"}} over the trials' stat counts.
json aggregate_counts(const json& trials) {
  std::map<std::string, json> per_trial;
  for (size_t i = 0; i < trials.size(); ++i) {
    const json& counts = member_or_null(member_or_null(trials[i], "stat"), "counts");
    if (!counts.is_object()) continue;
    for (const auto& [event, value] : counts.items()) {
      json& list = per_trial[event];
      while (list.size() < i) list.push_back(nullptr);  // trials without the event
      list.push_back(value.is_number() ? value : json(nullptr));
    }
  }
  json out = json::object();
  for (auto& [event, list] : per_trial) {
    while (list.size() < trials.size()) list.push_back(nullptr);
    std::vector<double> values;
    double total = 0;
    for (const auto& v : list)
      if (v.is_number()) values.push_back(v.get<double>()), total += v.get<double>();
    bool whole = total == static_cast<double>(static_cast<uint64_t>(total));  // counts, not cpu-clock msec
    out[event] = {{"per_trial", list}, {"total", whole ? json(static_cast<uint64_t>(total)) : json(total)},
                  {"stats", stats_of(values)}};
  }
  return out;
}

json aggregate_record(const json& trials) {
  uint64_t recorded = 0, samples = 0, idle = 0, kernel_leaf = 0;
  Ranking ranking;
  json folded = json::array();
  for (const auto& t : trials) {
    const json& r = member_or_null(t, "record");
    if (!r.is_object() || !member_or_null(r, "samples").is_number()) continue;
    ++recorded;
    samples += count_of(r, "samples");
    idle += count_of(r, "idle_samples");
    kernel_leaf += count_of(r, "kernel_leaf_samples");
    add_list(ranking.self, member_or_null(r, "top_self"));
    add_list(ranking.inclusive, member_or_null(r, "top_inclusive"));
    if (r.contains("folded") && !r["folded"].is_null()) folded.push_back(r["folded"]);
  }
  if (recorded == 0) return nullptr;
  uint64_t busy = samples - std::min(idle, samples);
  return {{"trials_recorded", recorded}, {"samples", samples}, {"idle_samples", idle},
          {"kernel_leaf_samples", kernel_leaf}, {"top_self", top(ranking.self, busy)},
          {"top_inclusive", top(ranking.inclusive, busy)}, {"folded", folded}};
}

json cost_stats(const json& obs_trials) {
  json out = json::object();
  for (const char* phase : kCostPhases) {
    std::vector<double> ms;
    for (const auto& t : obs_trials) {
      const json& v = member_or_null(member_or_null(t, "phases_ns"), phase);
      if (v.is_number()) ms.push_back(v.get<double>() / 1e6);
    }
    if (!ms.empty()) out[phase] = stats_of(ms);
  }
  return out;
}

json errors_of(const json& trials) {
  json errors = json::array();
  for (const auto& t : trials)
    for (const char* part : {"stat", "record"}) {
      const json& e = member_or_null(member_or_null(t, part), "error");
      if (e.is_string()) errors.push_back(fmt::format("trial {}: {}", t.value("trial", -1), e.get<std::string>()));
    }
  return errors;
}

}  // namespace

json with_perf_summary(json cell) {
  const json& obs_trials = member_or_null(member_or_null(cell, "observation"), "trials");
  if (!obs_trials.is_array()) return cell;
  json trials = json::array();
  for (const auto& t : obs_trials) {
    const json& perf = member_or_null(t, "perf");
    if (!perf.is_object()) continue;
    json entry = {{"trial", t.value("index", -1)}, {"stat", member_or_null(perf, "stat")},
                  {"record", member_or_null(perf, "record")}};
    if (entry["record"].is_object()) entry["record"]["folded"] = run_relative(cell, member_or_null(entry["record"], "folded"));
    trials.push_back(std::move(entry));
  }
  if (trials.empty()) return cell;
  cell["perf"] = {{"trials", trials},
                  {"counts", aggregate_counts(trials)},
                  {"record", aggregate_record(trials)},
                  {"cost_ms_stats", cost_stats(obs_trials)},
                  {"errors", errors_of(trials)}};
  return cell;
}

namespace {

std::string p50_text(const json& counts, const char* event) {
  const json& p50 = member_or_null(member_or_null(member_or_null(counts, event), "stats"), "p50");
  return p50.is_number() ? fmt::format("{:g}", p50.get<double>()) : "-";
}

std::string top_text(const json& record) {
  const json& list = member_or_null(record, "top_self");
  if (!list.is_array() || list.empty()) return "-";
  std::string out;
  for (size_t i = 0; i < list.size() && i < 3; ++i) {
    const json& share = member_or_null(list[i], "share");  // tolerant: found by tests/fuzz
    out += fmt::format("{}{} {}", i ? ", " : "", string_or(list[i], "function", "?"),
                       share.is_number() ? fmt::format("{:.0f}%", share.get<double>() * 100) : "-");
  }
  return out;
}

}  // namespace

std::string perf_summary_text(const json& report) {
  const json& cells = member_or_null(report, "cells");
  if (!cells.is_array()) return "";
  std::string rows;
  size_t width = 4;
  for (const auto& c : cells)
    if (member_or_null(c, "perf").is_object()) width = std::max(width, string_or(c, "id").size());
  for (const auto& c : cells) {
    const json& perf = member_or_null(c, "perf");
    if (!perf.is_object()) continue;
    const json& record = member_or_null(perf, "record");
    const json& counts = member_or_null(perf, "counts");
    rows += fmt::format("{:<{}}  {:>8}  {:>8}  {:>7}  {}\n", string_or(c, "id", "?"), width,
                        p50_text(counts, "ras:memory_failure_event"), p50_text(counts, "signal:signal_generate"),
                        record.is_object() ? std::to_string(count_of(record, "samples") - count_of(record, "idle_samples")) : "-",
                        top_text(record));
  }
  if (rows.empty()) return "";
  return "\nperf (p50 per trial of ras:memory_failure_event and SIGBUS signal_generate; busy samples and top "
         "kernel functions by self share, idle left out):\n" +
         fmt::format("{:<{}}  {:>8}  {:>8}  {:>7}  {}\n", "cell", width, "mf/trial", "sigbus", "samples", "top self") + rows;
}

}  // namespace poisonlab

#include "report/fio_summary.h"

#include <algorithm>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "report/json_access.h"
#include "report/stats.h"

namespace poisonlab {
using nlohmann::json;

namespace {

std::optional<uint64_t> u64_at(const json& o, const char* key) {
  const json& v = member_or_null(o, key);
  return v.is_number_unsigned() ? std::optional(v.get<uint64_t>()) : std::nullopt;
}

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// Summed bandwidth per sample time.
std::map<uint64_t, double> bw_by_time(const json& samples) {
  std::map<uint64_t, double> by_time;
  if (!samples.is_array()) return by_time;
  for (const json& s : samples)
    if (s.is_array() && s.size() >= 2 && s[0].is_number_unsigned() && s[1].is_number())
      by_time[s[0].get<uint64_t>()] += s[1].get<double>();
  return by_time;
}

std::optional<double> mean(double sum, size_t n) { return n ? std::optional(sum / static_cast<double>(n)) : std::nullopt; }

// "survived" when fio still ran when asked to stop (errors it went on
// after, with continue_on_error, are counted apart), else why not.
std::string fate_of(const json& job) {
  std::string stopped_by = string_or(job, "stopped_by");
  const json& signals = member_or_null(job, "signals_reported");
  const json& error = member_or_null(member_or_null(job, "result"), "error");
  if (stopped_by.empty()) return "not started";
  if (signals.is_array() && !signals.empty()) return fmt::format("killed by signal {}", signals[0].dump());
  if (stopped_by == "kill") return "hung (SIGKILL)";
  if (stopped_by == "term") return "survived";
  if (error.is_number() && error.get<int64_t>() != 0) return fmt::format("stopped by error {}", error.get<int64_t>());
  return "exited before the end";
}

json stats_of(const std::vector<json>& values) {
  std::vector<double> samples;
  size_t missing = 0;
  for (const json& v : values)
    if (v.is_number()) samples.push_back(v.get<double>());
    else ++missing;
  json stats = to_json(summarize(std::move(samples)));
  stats["missing"] = missing;
  return stats;
}

}  // namespace

BwWindows bw_windows(const json& samples, uint64_t interval_ns, uint64_t start_ns, uint64_t end_ns) {
  BwWindows w;
  double before = 0, during = 0, after = 0;
  for (const auto& [t, bw] : bw_by_time(samples)) {
    w.last_sample_ns = t;
    if (t <= start_ns) before += bw, ++w.n_before;
    else if (t >= end_ns + interval_ns) after += bw, ++w.n_after;
    else during += bw, ++w.n_during;
  }
  w.before = mean(before, w.n_before);
  w.during = mean(during, w.n_during);
  w.after = mean(after, w.n_after);
  return w;
}

json fio_job_trial(const json& trial, const json& job) {
  const json& injection = member_or_null(trial, "injection");
  auto start = u64_at(injection, "start_ns"), end = u64_at(injection, "end_ns");
  const json& log = member_or_null(job, "bw_log");
  uint64_t interval_ns = u64_at(log, "interval_ms").value_or(0) * 1000000ull;
  std::string fate = fate_of(job);
  const json& result = member_or_null(job, "result");
  json out{{"trial", member_or_null(trial, "index")},
           {"job", string_or(job, "name", "?")},
           {"ioengine", string_or(job, "ioengine", "?")},
           {"target", string_or(job, "target", "?")},
           {"survived", fate == "survived"},
           {"fate", fate},
           {"error", member_or_null(result, "error")},
           {"total_err", member_or_null(result, "total_err")},
           {"signals", member_or_null(job, "signals_reported")}};
  if (!start || !end) {  // no injection: no windows to cut
    out["bw_kib_s"] = {{"before", nullptr}, {"during", nullptr}, {"after", nullptr}};
    out["after_over_before"] = nullptr;
    out["last_sample_after_injection_ms"] = nullptr;
    return out;
  }
  BwWindows w = bw_windows(member_or_null(log, "samples"), interval_ns, *start, *end);
  out["bw_kib_s"] = {{"before", opt(w.before)}, {"during", opt(w.during)}, {"after", opt(w.after)}};
  out["samples"] = {{"before", w.n_before}, {"during", w.n_during}, {"after", w.n_after}};
  out["after_over_before"] = w.before && w.after && *w.before > 0 ? json(*w.after / *w.before) : json(nullptr);
  out["last_sample_after_injection_ms"] =
      w.last_sample_ns ? json((static_cast<double>(*w.last_sample_ns) - static_cast<double>(*start)) / 1e6) : json(nullptr);
  return out;
}

json fio_cell_summary(const json& observation) {
  const json& trials = member_or_null(observation, "trials");
  if (!trials.is_array()) return nullptr;
  json per_trial = json::array();
  for (const json& trial : trials) {
    const json& jobs = member_or_null(member_or_null(trial, "fio"), "jobs");
    if (!jobs.is_array()) continue;
    for (const json& job : jobs) per_trial.push_back(fio_job_trial(trial, job));
  }
  if (per_trial.empty()) return nullptr;
  std::map<std::string, std::vector<const json*>> by_job;
  for (const json& t : per_trial) by_job[t["job"].get<std::string>()].push_back(&t);
  json jobs = json::object();
  for (const auto& [name, rows] : by_job) {
    int survived = 0, with_errors = 0;
    std::map<std::string, std::vector<json>> windows;
    for (const json* r : rows) {
      survived += (*r)["survived"].get<bool>();
      bool error = ((*r)["error"].is_number() && (*r)["error"].get<int64_t>() != 0) ||
                   ((*r)["total_err"].is_number() && (*r)["total_err"].get<int64_t>() != 0);
      with_errors += error;
      for (const char* w : {"before", "during", "after"}) windows[w].push_back((*r)["bw_kib_s"][w]);
    }
    json stats = json::object();
    for (const auto& [w, values] : windows) stats[w] = stats_of(values);
    jobs[name] = {{"trials", rows.size()}, {"survived", survived}, {"with_errors", with_errors},
                  {"bw_kib_s_stats", stats}};
  }
  return {{"per_trial", per_trial}, {"jobs", jobs}};
}

json with_fio_summary(json cell) {
  json summary = fio_cell_summary(member_or_null(cell, "observation"));
  if (!summary.is_null()) cell["fio"] = std::move(summary);
  return cell;
}

std::string fio_table(const json& cells) {
  std::vector<std::vector<std::string>> rows{
      {"cell", "fio job", "survived", "before MiB/s", "during MiB/s", "after MiB/s", "with errors"}};
  auto mib = [](const json& stats) {
    const json& m = member_or_null(stats, "mean");
    return m.is_number() ? fmt::format("{:.1f}", m.get<double>() / 1024.0) : std::string("-");
  };
  for (const json& cell : cells) {
    const json& jobs = member_or_null(member_or_null(cell, "fio"), "jobs");
    if (!jobs.is_object()) continue;
    for (const auto& [name, j] : jobs.items()) {
      const json& s = member_or_null(j, "bw_kib_s_stats");
      // Tolerant: a job that is not an object shows nulls (found by tests/fuzz).
      rows.push_back({string_or(cell, "id", "?"), name,
                      fmt::format("{}/{}", member_or_null(j, "survived").dump(), member_or_null(j, "trials").dump()),
                      mib(member_or_null(s, "before")), mib(member_or_null(s, "during")),
                      mib(member_or_null(s, "after")), member_or_null(j, "with_errors").dump()});
    }
  }
  if (rows.size() == 1) return "";
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  std::string out = "\nfio under fault (mean over trials of each window's mean bandwidth):\n";
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c)
      line += (c ? "  " : "") + (c < 2 ? fmt::format("{:<{}}", row[c], widths[c]) : fmt::format("{:>{}}", row[c], widths[c]));
    out += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
  }
  return out;
}

}  // namespace poisonlab

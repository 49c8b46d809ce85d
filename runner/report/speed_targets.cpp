#include "report/speed_targets.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/json_access.h"

namespace poisonlab {
namespace {

using nlohmann::json;

constexpr double kBootTargetS = 4;
constexpr double kTrialsPerHourTarget = 1000;
constexpr double kTracingOverheadTargetPct = 5;
constexpr double kRunnerRssTargetMib = 100;

json met(bool measured, bool ok) { return measured ? json(ok) : json(nullptr); }

// The midpoint median (the stats module's p50 is a sample, the lower one
// of an even count, which would flatter a target with two measurements).
std::optional<double> median_of(std::vector<double> samples) {
  if (samples.empty()) return std::nullopt;
  std::sort(samples.begin(), samples.end());
  size_t n = samples.size();
  return n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

json boot_to_ready(const json& report) {
  std::vector<double> seconds;
  for (const json& kernel : report.value("kernels", json::array()))
    for (const json& boot : kernel.value("boots", json::array())) {
      const json& s = member_or_null(member_or_null(boot, "phases"), "qemu_start_to_agent_ready_s");
      if (string_or(boot, "outcome") == "ready" && s.is_number()) seconds.push_back(s.get<double>());
    }
  auto median = median_of(seconds);
  return {{"median_s", median ? json(*median) : json(nullptr)},
          {"boots", seconds.size()},
          {"target_s", kBootTargetS},
          {"met", met(median.has_value(), median && *median <= kBootTargetS)}};
}

// Trials a cell ran: one revocation sample per trial, or the digests a
// cell that never finished sent.
size_t trials_of(const json& cell) {
  const json& samples = member_or_null(member_or_null(cell, "latency"), "revocation_ns");
  if (samples.is_array() && !samples.empty()) return samples.size();
  const json& done = member_or_null(member_or_null(cell, "partial"), "trials_done");
  return done.is_array() ? done.size() : 0;
}

json trials_per_hour(const json& report, const RunCost& cost) {
  size_t trials = 0;
  std::vector<double> trial_s;
  for (const json& cell : report.value("cells", json::array())) {
    trials += trials_of(cell);
    for (const json& ns : member_or_null(cell, "trial_wall_ns"))
      if (ns.is_number()) trial_s.push_back(ns.get<double>() / 1e9);
  }
  bool measured = cost.wall_s > 0 && trials > 0;
  double rate = measured ? trials * 3600.0 / cost.wall_s : 0;
  auto median = median_of(trial_s);
  return {{"trials", trials},
          {"run_wall_s", cost.wall_s},
          {"per_hour", measured ? json(rate) : json(nullptr)},
          {"trial_median_s", median ? json(*median) : json(nullptr)},
          {"per_hour_at_median_trial", median && *median > 0 ? json(3600.0 / *median) : json(nullptr)},
          {"target", kTrialsPerHourTarget},
          {"met", met(measured, rate >= kTrialsPerHourTarget)}};
}

std::optional<std::pair<double, double>> ci_of(const json& point) {
  const json& ci = member_or_null(point, "revocation_ms_p50_ci95");
  const json &low = member_or_null(ci, "low"), &high = member_or_null(ci, "high");
  if (!low.is_number() || !high.is_number() || low.get<double>() <= 0) return std::nullopt;
  return std::pair(low.get<double>(), high.get<double>());
}

// One off/on pair: the overhead of the medians, and its bounds from the
// medians' 95 % intervals (on.low / off.high - 1 .. on.high / off.low - 1).
json overhead_pair(const std::string& series, const json& off, const json& on) {
  const json &p50_off = member_or_null(off, "revocation_ms_p50"), &p50_on = member_or_null(on, "revocation_ms_p50");
  json pair = {{"series", series}, {"revocation_ms_p50_off", p50_off}, {"revocation_ms_p50_on", p50_on},
               {"overhead_pct", nullptr}, {"overhead_pct_bounds", nullptr}};
  if (p50_off.is_number() && p50_on.is_number() && p50_off.get<double>() > 0)
    pair["overhead_pct"] = (p50_on.get<double>() / p50_off.get<double>() - 1) * 100;
  auto ci_off = ci_of(off), ci_on = ci_of(on);
  if (ci_off && ci_on)
    pair["overhead_pct_bounds"] = {(ci_on->first / ci_off->second - 1) * 100, (ci_on->second / ci_off->first - 1) * 100};
  return pair;
}

// Pairs the cells of each "trace" series (value 0: off, 1: on) by their
// median revocation latency, a user-clock measure that does not need the
// trace. The target is met when every pair's upper bound is under it, missed
// when some pair's lower bound is over it, and undecided (null) otherwise:
// a few noisy trials do not make a verdict.
json tracing_overhead(const json& report) {
  json pairs = json::array();
  std::vector<double> pct;
  bool all_under = true, some_over = false, bounded = false;
  for (const json& series : report.value("series", json::array())) {
    if (string_or(series, "parameter") != "trace") continue;
    std::map<int, json> by_value;
    for (const json& p : series.value("points", json::array()))
      if (p.value("value", json()).is_number_integer()) by_value[p["value"].get<int>()] = p;
    if (!by_value.count(0) || !by_value.count(1)) continue;
    json pair = overhead_pair(series.value("series", ""), by_value[0], by_value[1]);
    if (pair["overhead_pct"].is_number()) pct.push_back(pair["overhead_pct"].get<double>());
    const json& bounds = pair["overhead_pct_bounds"];
    bounded = bounded || bounds.is_array();
    all_under = all_under && bounds.is_array() && bounds[1].get<double>() < kTracingOverheadTargetPct;
    some_over = some_over || (bounds.is_array() && bounds[0].get<double>() > kTracingOverheadTargetPct);
    pairs.push_back(std::move(pair));
  }
  auto median = median_of(pct);
  return {{"pairs", pairs},
          {"median_pct", median ? json(*median) : json(nullptr)},
          {"target_pct", kTracingOverheadTargetPct},
          {"met", some_over ? json(false) : bounded && all_under ? json(true) : json(nullptr)}};
}

}  // namespace

json speed_targets(const json& report, const RunCost& cost) {
  double rss_mib = cost.runner_max_rss_kib / 1024.0;
  return {{"boot_to_ready_s", boot_to_ready(report)},
          {"trials_per_hour", trials_per_hour(report, cost)},
          {"tracing_overhead", tracing_overhead(report)},
          {"runner_max_rss_mib",
           {{"value", cost.runner_max_rss_kib ? json(rss_mib) : json(nullptr)},
            {"target", kRunnerRssTargetMib},
            {"met", met(cost.runner_max_rss_kib > 0, rss_mib < kRunnerRssTargetMib)}}}};
}

}  // namespace poisonlab

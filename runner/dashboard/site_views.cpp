#include "dashboard/site_views.h"

#include <algorithm>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "history/history_record.h"
#include "report/stats.h"

namespace poisonlab {

using nlohmann::json;

namespace {

json p50_or_null(std::vector<double> samples) {
  if (samples.empty()) return nullptr;
  std::sort(samples.begin(), samples.end());
  return nearest_rank_percentile(samples, 50);
}

// The report's series name is the cell id without "@..."; its first label
// is the kernel variant, which the views show apart.
std::string series_key(const std::string& series, const std::string& variant) {
  const std::string prefix = variant + "/";
  return series.starts_with(prefix) ? series.substr(prefix.size()) : series;
}

json sweep_points(const json& series) {
  json points = json::array();
  for (const json& point : series.value("points", json::array()))
    points.push_back({{"x", point.value("value", json())},
                      {"y", point.value("revocation_ms_p50", json())},
                      {"cell", point.value("cell", json())}});
  return points;
}

}  // namespace

json cdf_view(const SiteIndex& index) {
  json out = json::array();
  for (const std::string& key : index.keys) {
    json series = json::array();
    for (const std::string& variant : index.variants) {
      const RunCell* latest = index.latest(key, variant);
      if (!latest) continue;
      std::vector<double> samples = samples_ms(*latest->cell, kRevocationMetric);
      if (samples.empty()) continue;
      std::sort(samples.begin(), samples.end());
      series.push_back({{"variant", variant}, {"run_id", latest->run->at("run_id")}, {"samples_ms", samples}});
    }
    if (!series.empty()) out.push_back({{"key", key}, {"series", series}});
  }
  return out;
}

json sweep_view(const SiteIndex& index) {
  std::vector<std::string> order;
  std::map<std::string, std::map<std::string, json>> latest;  // series key -> variant -> line
  std::map<std::string, json> parameter;
  for (const json& run : index.runs())
    for (const json& series : run.value("series", json::array())) {
      const json& fits = series.value("fits", json());
      if (!series.value("variant", json()).is_string() || !fits.is_object()) continue;  // trace off/on: no scale
      const std::string variant = series["variant"].get<std::string>();
      const std::string key = series_key(series.value("series", ""), variant);
      if (!latest.count(key)) order.push_back(key);
      parameter[key] = series.value("parameter", json());
      latest[key][variant] = {{"variant", variant},
                              {"run_id", run["run_id"]},
                              {"points", sweep_points(series)},
                              {"fit", fits.value("revocation_ms_p50", json())}};
    }
  json out = json::array();
  for (const std::string& key : order) {
    json lines = json::array();
    for (const std::string& variant : index.variants)
      if (latest[key].count(variant)) lines.push_back(latest[key][variant]);
    out.push_back({{"series", key}, {"parameter", parameter[key]}, {"measure", "revocation_ms_p50"}, {"lines", lines}});
  }
  return out;
}

json phase_view(const SiteIndex& index) {
  json first_page = json::array();
  for (const char* phase : kStackedPhases) first_page.push_back(phase);
  json bars = json::array();
  for (const std::string& key : index.keys)
    for (const std::string& variant : index.variants) {
      const RunCell* latest = index.latest(key, variant);
      if (!latest) continue;
      const json& cell = *latest->cell;
      json medians = json::object();
      for (const char* phase : kStackedPhases) medians[phase] = p50_or_null(samples_ms(cell, phase));
      json first = p50_or_null(samples_ms(cell, kFirstSignal));
      json last = p50_or_null(samples_ms(cell, "inject_to_last_signal"));
      medians[kFirstSignal] = first;
      medians[kFirstToLastSignal] =
          first.is_number() && last.is_number() ? json(std::max(0.0, last.get<double>() - first.get<double>())) : json();
      bars.push_back({{"key", key},
                      {"variant", variant},
                      {"run_id", latest->run->at("run_id")},
                      {"median_ms", medians},
                      {"revocation_p50_ms", p50_or_null(samples_ms(cell, kRevocationMetric))}});
    }
  return {{"first_page", first_page},
          {"range", {kFirstSignal, kFirstToLastSignal}},
          {"note",
           "Where the time goes, latest run of each cell, p50 over its trials. First chart: the first poisoned page, "
           "injection start -> memory_failure -> notify -> unmap done -> signal generated -> received (the trace-based "
           "phases need the trace on). Second: the whole range, time to the first signal, then to the last (p50 of the "
           "last signal minus p50 of the first)."},
          {"bars", bars}};
}

json trend_view(const SiteIndex& index) {
  json out = json::array();
  for (const std::string& key : index.keys) {
    json lines = json::array();
    bool measured = false;
    for (const std::string& variant : index.variants) {
      json points = json::array();
      for (const RunCell& rc : index.cells(key, variant)) {
        std::vector<double> samples = samples_ms(*rc.cell, kRevocationMetric);
        measured = measured || !samples.empty();
        points.push_back({{"run_id", rc.run->at("run_id")},
                          {"started_at", rc.run->at("started_at")},
                          {"n", samples.size()},
                          {"p50_ms", p50_or_null(samples)}});
      }
      if (!points.empty()) lines.push_back({{"variant", variant}, {"points", points}});
    }
    if (measured) out.push_back({{"key", key}, {"lines", lines}});
  }
  return out;
}

json ab_view(const SiteIndex& index, const ChangeOptions& options,
             const std::optional<std::pair<std::string, std::string>>& variants) {
  json out = {{"options", {{"threshold", options.threshold}, {"alpha", options.alpha}}},
              {"rows", json::array()}, {"only_a", json::array()}, {"only_b", json::array()}, {"reason", nullptr}};
  if (!variants && index.variants.size() < 2) {
    out["reason"] = index.variants.empty()
                        ? "No runs: the A/B view needs cells of two variants."
                        : fmt::format("Only one variant ({}) in the history: the A/B view needs two.", index.variants[0]);
    return out;
  }
  const auto [a, b] = variants ? *variants : std::pair{index.variants[0], index.variants[1]};
  out["a"] = a;
  out["b"] = b;
  std::vector<std::pair<std::string, std::pair<const RunCell*, const RunCell*>>> pairs;
  std::vector<LatencyComparison> comparisons;
  for (const std::string& key : index.keys) {
    const RunCell *in_a = index.latest(key, a), *in_b = index.latest(key, b);
    if (in_a && in_b) {
      pairs.push_back({key, {in_a, in_b}});
      comparisons.push_back(
          compare_latency(samples_ms(*in_a->cell, kRevocationMetric), samples_ms(*in_b->cell, kRevocationMetric), options));
    } else if (in_a || in_b) {
      out[in_a ? "only_a" : "only_b"].push_back(key);
    }
  }
  call_changes(comparisons, options);
  for (size_t i = 0; i < pairs.size(); ++i) {
    json row = to_json(comparisons[i]);
    row["key"] = pairs[i].first;
    row["a_run"] = pairs[i].second.first->run->at("run_id");
    row["b_run"] = pairs[i].second.second->run->at("run_id");
    row["significant"] = comparisons[i].test.has_value() && comparisons[i].q_value < options.alpha;
    out["rows"].push_back(std::move(row));
  }
  if (pairs.empty()) out["reason"] = fmt::format("No cell key ran on both {} and {}.", a, b);
  return out;
}

}  // namespace poisonlab

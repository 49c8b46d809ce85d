#include "report/series.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "report/scaling.h"

namespace poisonlab {
namespace {

using nlohmann::json;

const json& at_or_null(const json& j, const char* key) {
  static const json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}

json point_of(const json& cell) {
  const json& latency = at_or_null(cell, "latency");
  const json& revocation = at_or_null(latency, "revocation_ms_stats");
  json point = {{"value", cell["spec"]["sweep"]["value"]},
                {"cell", at_or_null(cell, "id")},
                {"verdict", at_or_null(cell, "verdict")},
                {"trials_measured", at_or_null(revocation, "n")},
                {"revocation_ms_p50", at_or_null(revocation, "p50")},
                {"revocation_ms_p50_ci95", at_or_null(revocation, "p50_ci95")}};
  for (const char* phase : kSeriesPhases)
    point[std::string(phase) + "_ms_p50"] = at_or_null(at_or_null(at_or_null(latency, "phase_ms_stats"), phase), "p50");
  return point;
}

// The fit of one measure over the points; a point without it is skipped.
json fit_of(const json& points, const std::string& measure) {
  std::vector<ScalingPoint> xy;
  for (const json& p : points) {
    const json& y = p[measure];
    xy.push_back({p["value"].get<double>(), y.is_number() ? y.get<double>() : 0.0});
  }
  return to_json(fit_power_law(xy));
}

}  // namespace

json build_series(const json& cells) {
  std::map<std::string, json> by_series;  // series -> {"parameter", "points"}
  std::vector<std::string> order;
  for (const json& cell : cells) {
    const json& sweep = at_or_null(at_or_null(cell, "spec"), "sweep");
    if (!sweep.is_object() || !sweep.contains("series") || !sweep["value"].is_number()) continue;
    std::string name = sweep["series"].get<std::string>();
    if (!by_series.count(name)) {
      order.push_back(name);
      by_series[name] = {{"series", name}, {"parameter", sweep["parameter"]}, {"points", json::array()}};
    }
    by_series[name]["points"].push_back(point_of(cell));
  }
  json out = json::array();
  for (const std::string& name : order) {
    json series = by_series[name];
    json& points = series["points"];
    std::stable_sort(points.begin(), points.end(),
                     [](const json& a, const json& b) { return a["value"].get<double>() < b["value"].get<double>(); });
    if (series["parameter"] == "trace") {  // off/on: a comparison, not a scale to fit
      series["fits"] = nullptr;
      out.push_back(std::move(series));
      continue;
    }
    json fits = {{"revocation_ms_p50", fit_of(points, "revocation_ms_p50")}};
    for (const char* phase : kSeriesPhases) fits[std::string(phase) + "_ms_p50"] = fit_of(points, std::string(phase) + "_ms_p50");
    series["fits"] = fits;
    out.push_back(std::move(series));
  }
  return out;
}

}  // namespace poisonlab

#include "compare/latency_samples.h"

#include "common/error.h"
#include "compare/statistics.h"
#include "report/json_access.h"

namespace poisonlab {

namespace {

constexpr double kNsPerMs = 1e6;
constexpr std::string_view kNsSuffix = "_ns";

const nlohmann::json& latency_of(const nlohmann::json& cell) { return member_or_null(cell, "latency"); }

// Adds one sample (a number of ns, or null) to samples.
void add_sample(MetricSamples& samples, const nlohmann::json& value, const CellRef& ref, const std::string& pointer) {
  if (value.is_null()) {
    ++samples.missing;
  } else if (value.is_number()) {
    samples.ms.push_back(value.get<double>() / kNsPerMs);
  } else {
    throw InputError(ref.report->name, ref.pointer() + pointer, "a number of nanoseconds or null");
  }
}

// An array field of latency, or null when the cell has none; InputError
// when it is there but not an array.
const nlohmann::json& latency_array(const CellRef& ref, const char* field) {
  const nlohmann::json& value = member_or_null(latency_of(ref.cell()), field);
  if (!value.is_null() && !value.is_array())
    throw InputError(ref.report->name, ref.pointer() + "/latency/" + field, "an array (one entry per trial)");
  return value;
}

bool records_phase(const nlohmann::json& phases, const std::string& key) {
  if (!phases.is_array()) return false;
  for (const auto& trial : phases)
    if (trial.is_object() && trial.contains(key)) return true;
  return false;
}

void add_revocation(MetricSamples& samples, const CellRef& ref) {
  const auto& values = latency_array(ref, "revocation_ns");
  if (values.is_null()) return;
  samples.present = true;
  for (size_t i = 0; i < values.size(); ++i)
    add_sample(samples, values[i], ref, "/latency/revocation_ns/" + std::to_string(i));
}

void add_phase(MetricSamples& samples, const CellRef& ref, const std::string& metric) {
  const auto& phases = latency_array(ref, "phases");
  const std::string key = metric + std::string(kNsSuffix);
  if (!records_phase(phases, key)) return;
  samples.present = true;
  for (size_t i = 0; i < phases.size(); ++i) {
    const std::string pointer = "/latency/phases/" + std::to_string(i);
    if (!phases[i].is_null() && !phases[i].is_object())
      throw InputError(ref.report->name, ref.pointer() + pointer, "an object of phase times or null");
    add_sample(samples, member_or_null(phases[i], key.c_str()), ref,
               (nlohmann::json::json_pointer(pointer) / key).to_string());  // the key escaped ("~1" for "/")
  }
}

}  // namespace

std::vector<MetricSamples> metric_samples_per_run(const SideCell& cell, const std::string& metric) {
  std::vector<MetricSamples> runs(cell.runs.size());
  for (size_t i = 0; i < cell.runs.size(); ++i) {
    if (metric == kRevocationMetric)
      add_revocation(runs[i], cell.runs[i]);
    else
      add_phase(runs[i], cell.runs[i], metric);
  }
  return runs;
}

MetricSamples metric_samples(const SideCell& cell, const std::string& metric) {
  return pool_runs(metric_samples_per_run(cell, metric));
}

MetricSamples pool_runs(const std::vector<MetricSamples>& runs) {
  MetricSamples pooled;
  for (const auto& run : runs) {
    pooled.ms.insert(pooled.ms.end(), run.ms.begin(), run.ms.end());
    pooled.missing += run.missing;
    pooled.present = pooled.present || run.present;
  }
  return pooled;
}

std::vector<double> run_medians(const std::vector<MetricSamples>& runs) {
  std::vector<double> medians;
  for (const auto& run : runs)
    if (!run.ms.empty()) medians.push_back(median(run.ms));
  return medians;
}


std::set<std::string> phase_metrics(const Side& side) {
  std::set<std::string> names;
  for (const auto& [key, cell] : side.cells)
    for (const auto& ref : cell.runs) {
      const auto& phases = member_or_null(latency_of(ref.cell()), "phases");
      if (!phases.is_array()) continue;
      for (const auto& trial : phases) {
        if (!trial.is_object()) continue;
        for (const auto& [name, value] : trial.items())
          if (value.is_number() && name.size() > kNsSuffix.size() && name.ends_with(kNsSuffix))
            names.insert(name.substr(0, name.size() - kNsSuffix.size()));
      }
    }
  return names;
}

}  // namespace poisonlab

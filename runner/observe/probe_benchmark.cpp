#include "observe/probe_benchmark.h"

#include <string>

namespace poisonlab {

using nlohmann::json;

namespace {

json number_or_null(const json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_number() ? object[key] : json(nullptr);
}

}  // namespace

json summarize_probe_benchmark(const json& output) {
  if (output.is_null()) return nullptr;
  if (!output.is_object()) return {{"error", "not a Google Benchmark JSON object"}};
  if (output.contains("error")) return {{"error", output["error"]}};
  json out = {{"real_time", json::array()}, {"mean", nullptr}, {"median", nullptr}, {"stddev", nullptr}};
  const json& context = output.value("context", json::object());
  out["guest"] = {{"num_cpus", number_or_null(context, "num_cpus")}, {"mhz_per_cpu", number_or_null(context, "mhz_per_cpu")}};
  for (const json& b : output.value("benchmarks", json::array())) {
    if (!b.is_object()) continue;
    if (b.value("error_occurred", false)) return {{"error", b.value("error_message", std::string("skipped"))}};
    out["name"] = b.value("run_name", b.value("name", std::string()));
    out["time_unit"] = b.value("time_unit", std::string("ns"));
    std::string type = b.value("run_type", std::string("iteration"));
    if (type == "iteration") {
      out["real_time"].push_back(number_or_null(b, "real_time"));
      out["iterations"] = number_or_null(b, "iterations");
    } else if (type == "aggregate") {
      std::string aggregate = b.value("aggregate_name", std::string());
      if (aggregate == "mean" || aggregate == "median" || aggregate == "stddev") out[aggregate] = number_or_null(b, "real_time");
    }
  }
  if (!out.contains("name")) return {{"error", "no benchmark in the output"}};
  out["repetitions"] = out["real_time"].size();
  return out;
}

}  // namespace poisonlab

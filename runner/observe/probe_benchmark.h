#pragma once
// The in-guest probe benchmark's Google Benchmark JSON (observation
// "probe_benchmark"), summarised for the report: one-page revocation time
// from the poison write to the early-kill SIGBUS, per repetition.
#include <nlohmann/json.hpp>

namespace poisonlab {

// null for null; {"error"} when the benchmark did not run or skipped;
// else {"name", "time_unit", "iterations", "repetitions", "real_time" (one
// per repetition, mean per iteration), "mean", "median", "stddev" (the
// aggregates Google Benchmark computed), "guest": {"num_cpus", "mhz_per_cpu"}}.
nlohmann::json summarize_probe_benchmark(const nlohmann::json& benchmark_output);

}  // namespace poisonlab

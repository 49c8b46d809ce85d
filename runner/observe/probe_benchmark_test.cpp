#include "observe/probe_benchmark.h"

#include <gtest/gtest.h>

namespace poisonlab {
namespace {
using nlohmann::json;

// The shape of `poisonlab-probe-bench --benchmark_format=json` (Google
// Benchmark 1.7) with 2 repetitions and their aggregates.
const char* kOutput = R"({
  "context": {"num_cpus": 2, "mhz_per_cpu": 2400, "library_build_type": "release"},
  "benchmarks": [
    {"name": "BM_RevokeOnePage/iterations:10/repeats:2/manual_time", "run_name": "BM_RevokeOnePage/iterations:10/repeats:2/manual_time",
     "run_type": "iteration", "repetitions": 2, "repetition_index": 0, "iterations": 10, "real_time": 1.5, "cpu_time": 0.2, "time_unit": "ms"},
    {"name": "BM_RevokeOnePage/iterations:10/repeats:2/manual_time", "run_name": "BM_RevokeOnePage/iterations:10/repeats:2/manual_time",
     "run_type": "iteration", "repetitions": 2, "repetition_index": 1, "iterations": 10, "real_time": 2.5, "cpu_time": 0.2, "time_unit": "ms"},
    {"name": "BM_RevokeOnePage/iterations:10/repeats:2/manual_time_mean", "run_name": "BM_RevokeOnePage/iterations:10/repeats:2/manual_time",
     "run_type": "aggregate", "aggregate_name": "mean", "real_time": 2.0, "time_unit": "ms"},
    {"name": "BM_RevokeOnePage/iterations:10/repeats:2/manual_time_median", "run_name": "BM_RevokeOnePage/iterations:10/repeats:2/manual_time",
     "run_type": "aggregate", "aggregate_name": "median", "real_time": 2.0, "time_unit": "ms"},
    {"name": "BM_RevokeOnePage/iterations:10/repeats:2/manual_time_stddev", "run_name": "BM_RevokeOnePage/iterations:10/repeats:2/manual_time",
     "run_type": "aggregate", "aggregate_name": "stddev", "real_time": 0.7071, "time_unit": "ms"}
  ]})";

TEST(ProbeBenchmark, SummarisesRepetitionsAndAggregates) {
  json s = summarize_probe_benchmark(json::parse(kOutput));
  EXPECT_EQ(s["time_unit"], "ms");
  EXPECT_EQ(s["repetitions"], 2);
  EXPECT_EQ(s["iterations"], 10);
  EXPECT_EQ(s["real_time"], json({1.5, 2.5}));
  EXPECT_EQ(s["mean"], 2.0);
  EXPECT_EQ(s["stddev"], 0.7071);
  EXPECT_EQ(s["guest"]["num_cpus"], 2);
}

TEST(ProbeBenchmark, SkippedOrMissingBenchmarkIsAnError) {
  EXPECT_TRUE(summarize_probe_benchmark(nullptr).is_null());
  EXPECT_EQ(summarize_probe_benchmark({{"error", "binary missing"}})["error"], "binary missing");
  json skipped = json::parse(kOutput);
  skipped["benchmarks"][0]["error_occurred"] = true;
  skipped["benchmarks"][0]["error_message"] = "no PFN for the file page (not root, or not DAX)";
  EXPECT_EQ(summarize_probe_benchmark(skipped)["error"], "no PFN for the file page (not root, or not DAX)");
  EXPECT_TRUE(summarize_probe_benchmark({{"benchmarks", json::array()}}).contains("error"));
}

}  // namespace
}  // namespace poisonlab

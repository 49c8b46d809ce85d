#pragma once
// The in-guest probe benchmark (bench/revocation_probe_bench.cpp), run by
// the agent on a cell's mounted DAX file system after its trials.
#include <filesystem>

#include <nlohmann/json.hpp>

namespace poisonlab::agent {

// Google Benchmark's JSON output of poisonlab-probe-bench run in dir, or
// {"error": why} (the binary missing, a failed run, unparsable output).
nlohmann::json run_probe_benchmark(const std::filesystem::path& dir);

}  // namespace poisonlab::agent

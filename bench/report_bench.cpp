// Writing the run report. RunReport rewrites the whole file after every
// cell (report.h: a killed run leaves a valid report), so a run of N cells
// writes O(N^2) bytes; these show where that starts to matter. Each cell is
// the oracles' judgement of the canned two-trial observation, raw
// observation included, as in a real report.
#include <unistd.h>

#include <filesystem>

#include <benchmark/benchmark.h>

#include "common/fs_util.h"
#include "oracles/canned_observation.h"
#include "oracles/oracles.h"
#include "report/report.h"

namespace poisonlab {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const json& judged_cell() {
  static const json cell =
      judge_cell({"k/raw/xfs/madvise", "k", "raw", "madvise", "xfs", "file"}, canned::cell_spec(), canned::observation());
  return cell;
}

// A private directory in the temp dir, removed afterwards.
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("poisonlab_bench." + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

// A whole run's report traffic: N add_cell calls, each rewriting the file.
void BM_RunReportOfNCells(benchmark::State& state) {
  TempDir dir;
  for (auto _ : state) {
    RunReport report(dir.path / "report.json", {{"scenario", "bench"}});
    for (int64_t i = 0; i < state.range(0); ++i) report.add_cell(judged_cell());
  }
  state.counters["file_bytes"] = static_cast<double>(fs::file_size(dir.path / "report.json"));
}
BENCHMARK(BM_RunReportOfNCells)->RangeMultiplier(4)->Range(1, 64)->Unit(benchmark::kMillisecond);

// One rewrite of a report holding N cells: the cost of the last add_cell.
void BM_WriteReportJson(benchmark::State& state) {
  TempDir dir;
  json report = {{"schema_version", kReportSchemaVersion}, {"cells", json::array()}};
  for (int64_t i = 0; i < state.range(0); ++i) report["cells"].push_back(with_latency_stats(judged_cell()));
  std::string text;
  for (auto _ : state) {
    text = report.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    write_file_atomic(dir.path / "report.json", text);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
  state.counters["file_bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_WriteReportJson)->RangeMultiplier(4)->Range(1, 64)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace poisonlab

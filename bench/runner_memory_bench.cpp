// The runner's memory on a large cell (issue 4: peak RSS < 100 MiB on a
// 1 GiB range sweep). A forked child plays the runner on the agent's
// cell-result message for corrupt-pfn poison on N pages (large_observation.h):
// it receives the line over a socket through JsonLineChannel, judges the
// observation and adds the judged cell to a RunReport in a temporary
// directory, in the order and with the calls runner/run/vm_job.cpp
// makes. The parent streams the line from a file, so the child's peak
// resident memory (getrusage ru_maxrss) is the runner's alone.
//
// Counters (MiB): peak_rss_MiB is the child's peak resident memory over
// the cell (the largest of the stages' ru_maxrss);
// start_rss_MiB its resident memory before the message came; line_MiB the
// message's size; *_peak_MiB the peak RSS during each stage (receive,
// judge, report) and *_heap_MiB the live heap after it (mallinfo2).
//
// BM_ObservationBreakdown/N attributes the old, all-in-memory path's cost:
// per part of the observation its compact JSON text and the heap its JSON
// tree takes (a copy of the subtree measured with mallinfo2).
#include <malloc.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <benchmark/benchmark.h>

#include "common/unique_fd.h"
#include "large_observation.h"
#include "oracles/oracles.h"
#include "protocol/channel.h"
#include "report/report.h"

namespace poisonlab {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kMiB = 1024.0 * 1024.0;

double max_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024;
}

double rss_mib() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / kMiB;
}

void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

double heap_mib() {
  struct mallinfo2 m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd) / kMiB;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("poisonlab_membench." + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

// The message for N pages, written once per process and size.
fs::path message_file(const TempDir& dir, const large::Shape& shape) {
  fs::path file = dir.path / fmt::format("cell-result-{}x{}.jsonl", shape.pages, shape.trials);
  if (!fs::exists(file)) {
    std::ofstream out(file, std::ios::binary);
    large::write_cell_result(out, shape, fmt::format("debian-6.12/raw/xfs/hwpoison-pfn@pages={}", shape.pages));
  }
  return file;
}

const char* kCellId = "debian-6.12/raw/xfs/hwpoison-pfn";

// The runner's side, in the child. Mirrors vm_job.cpp: QemuTarget's
// try_receive (a JsonLineChannel receive, returned by value), run_cell's
// judge_cell on the moved observation, then run_kernel's add_cell.
json runner_side(int fd, const large::Shape& shape, const fs::path& report_dir) {
  json out;
  double peak = 0;
  // Each stage's peak: ru_maxrss since the last reset (clear_refs).
  auto stage = [&](const char* name) {
    double stage_peak = max_rss_mib();
    peak = std::max(peak, stage_peak);
    out[std::string(name) + "_peak_MiB"] = stage_peak;
    out[std::string(name) + "_heap_MiB"] = heap_mib();
    reset_peak();
  };
  reset_peak();
  out["start_rss_MiB"] = rss_mib();
  JsonLineChannel channel{UniqueFd(fd)};
  auto try_receive = [&]() -> std::optional<json> {  // qemu_target.cpp: `return *message;`
    if (auto message = channel.receive(std::chrono::seconds(600))) return *message;
    return std::nullopt;
  };
  std::optional<json> message_or_none = try_receive();
  if (!message_or_none) throw std::runtime_error("no message");
  json message = std::move(*message_or_none);
  message_or_none.reset();
  stage("receive");
  CellIdentity identity{kCellId, "debian-6.12", "raw", "hwpoison-pfn", "xfs", "file"};
  json judged = judge_cell(identity, large::cell_spec(shape), std::move(message.at("observation")));
  message = json();
  stage("judge");
  out["verdict"] = judged.value("verdict", "?");
  out["failed"] = json::array();
  for (const json& o : judged["oracles"])
    if (o.value("verdict", "") == "fail") out["failed"].push_back(o.value("name", ""));
  {
    RunReport report(report_dir / "report.json", {{"scenario", "bench"}});
    judged["serial_log"] = "vm-debian-6.12/serial.log";
    report.add_cell(std::move(judged));
  }
  stage("report");
  out["peak_rss_MiB"] = peak;  // the runner's peak over the whole cell
  return out;
}

json measure_in_child(const fs::path& message, const large::Shape& shape, const fs::path& report_dir) {
  int sv[2], result_pipe[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(result_pipe) != 0) throw std::runtime_error("socketpair");
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    close(result_pipe[0]);
    std::string text;
    try {
      text = runner_side(sv[1], shape, report_dir).dump() + "\n";
    } catch (const std::exception& e) {
      text = json{{"error", e.what()}}.dump() + "\n";
    }
    if (write(result_pipe[1], text.data(), text.size()) < 0) _exit(2);
    _exit(0);
  }
  close(sv[1]);
  close(result_pipe[1]);
  {
    std::ifstream in(message, std::ios::binary);
    std::vector<char> buf(1 << 20);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      size_t n = static_cast<size_t>(in.gcount()), done = 0;
      while (done < n) {
        ssize_t w = write(sv[0], buf.data() + done, n - done);
        if (w <= 0) break;
        done += static_cast<size_t>(w);
      }
    }
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(result_pipe[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(sv[0]);
  close(result_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return json::parse(text.empty() ? "{\"error\":\"the child said nothing\"}" : text);
}

void BM_RunnerJudgeLargeCell(benchmark::State& state) {
  TempDir dir;
  large::Shape shape{static_cast<uint64_t>(state.range(0)), static_cast<int>(state.range(1)), state.range(2) != 0};
  fs::path message = message_file(dir, shape);
  json result;
  for (auto _ : state) {
    fs::path report_dir = dir.path / "run";
    fs::create_directories(report_dir);
    result = measure_in_child(message, shape, report_dir);
    state.counters["cell_file_MiB"] = static_cast<double>(fs::file_size(report_dir / "report.cells/0000.json")) / kMiB;
    state.counters["report_MiB"] = static_cast<double>(fs::file_size(report_dir / "report.json")) / kMiB;
    fs::remove_all(report_dir);
  }
  if (result.contains("error")) {
    state.SkipWithError(result["error"].get<std::string>().c_str());
    return;
  }
  for (const auto& [key, value] : result.items())
    if (value.is_number()) state.counters[key] = value.get<double>();
  state.counters["line_MiB"] = static_cast<double>(fs::file_size(message)) / kMiB;
  state.SetLabel(result.value("verdict", "?") + (result["failed"].empty() ? "" : " " + result["failed"].dump()));
}
// pages, trials, whether trace events carry the old "text" field.
BENCHMARK(BM_RunnerJudgeLargeCell)
    ->Args({16, 1, 0})
    ->Args({1024, 1, 0})
    ->Args({4096, 1, 0})
    ->Args({16384, 1, 1})
    ->Args({16384, 1, 0})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

// Where the memory of the all-in-memory path goes, per part of a trial.
void BM_ObservationBreakdown(benchmark::State& state) {
  TempDir dir;
  large::Shape shape{static_cast<uint64_t>(state.range(0)), 1, true};
  fs::path message = message_file(dir, shape);
  for (auto _ : state) {
    json line = json::parse(std::ifstream(message, std::ios::binary));
    const json& trial = line["observation"]["trials"][0];
    auto measure = [&](const std::string& name, const json& part) {
      double before = heap_mib();
      json copy = part;
      state.counters[name + "_tree_MiB"] = heap_mib() - before;
      state.counters[name + "_text_MiB"] = static_cast<double>(part.dump().size()) / kMiB;
    };
    measure("observation", line["observation"]);
    measure("trace_events", trial["trace_events"]);
    measure("steps", trial["injection"]["steps"]);
    measure("units", trial["units"]);
    measure("victims", trial["victims"]);
    measure("trial_kernel_log", trial["kernel_log"]);
    measure("cell_kernel_log", line["observation"]["kernel_log"]);
    measure("checksums", trial["checksums"]);
    measure("pread", trial["pread"]);
  }
}
BENCHMARK(BM_ObservationBreakdown)->Arg(16384)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace poisonlab

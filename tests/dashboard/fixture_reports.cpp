// Writes the reports the dashboard test builds its history stores from,
// through the real report writer (RunReport), so they have the shape a run
// gives them:
//   OUT/night-<n>-<variant>/report.json  three nights of an A/B sweep on
//       debian-6.1 and debian-6.12 (pages 1, 8, 64 x two stacks x two
//       methods, 8 trials): 6.12 faster on multi-page cells, slower on one,
//       one failed cell and one cell that hung on the last night;
//   OUT/zero-cells/report.json  a finished run whose plan had no cell;
//   OUT/failed/report.json      a run whose kernel could not be prepared,
//       every cell errored;
//   OUT/no-runs.sqlite          a history store holding no run.
// Deterministic: the same OUT content every time.
//   dashboard_fixture_reports OUT
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "history/history_store.h"
#include "report/report.h"

namespace fs = std::filesystem;
using nlohmann::json;
using poisonlab::RunReport;

namespace {

// A small portable generator (the same numbers on every platform).
class Noise {
 public:
  explicit Noise(uint64_t seed) : state_(seed | 1) {}
  double uniform(double low, double high) {
    state_ ^= state_ << 13, state_ ^= state_ >> 7, state_ ^= state_ << 17;
    return low + (high - low) * static_cast<double>(state_ >> 11) / static_cast<double>(1ull << 53);
  }

 private:
  uint64_t state_;
};

const std::vector<std::string> kVariants = {"debian-6.1", "debian-6.12"};
const std::vector<std::string> kStacks = {"raw", "dm-linear"};
const std::vector<std::string> kMethods = {"hwpoison-pfn", "madvise"};
const std::vector<int> kPages = {1, 8, 64};
constexpr int kTrials = 8;

json run_metadata(const std::string& id, const std::string& scenario, const std::string& started_at, size_t cells) {
  return {{"id", id},
          {"started_at", started_at},
          {"poisonlab", {{"version", "0.1.0"}, {"git_sha", "0123456789abcdef0123456789abcdef01234567"}, {"command_line", "poisonlab run scenarios/" + scenario + ".json"}}},
          {"host", {{"hostname", "fixture"}, {"kernel", "6.1.0-fixture"}, {"os", "Debian GNU/Linux 12"}, {"cpus", 2}, {"memory_mib", 24000}, {"kvm", false}}},
          {"scenario", {{"path", "scenarios/" + scenario + ".json"}, {"name", scenario}, {"sha256", std::string(64, 'a')}}},
          {"plan", {{"cells", cells}, {"not_applicable", json::array()}}},
          {"out_dir", "results/" + id}};
}

json kernel_entry(const std::string& variant) {
  std::string release = variant == "debian-6.1" ? "6.1.0-40-amd64" : "6.12.57+deb12-amd64";
  return {{"variant", variant},
          {"release", release},
          {"guest_kernel_release", release},
          {"config_sha256", ""},
          {"boots", json::array({{{"vm_dir", "vm-" + variant}, {"serial_log", "vm-" + variant + "/serial.log"}, {"outcome", "ready"},
                                          {"phases", {{"qemu_start_to_agent_ready_s", 6.5}}}}})}};
}

// Median revocation latency of a cell in ms: 6.12 scales better with the
// number of pages, and is slower on one cell (a regression to find).
double base_ms(const std::string& variant, const std::string& stack, const std::string& method, int pages) {
  double exponent = variant == "debian-6.1" ? 0.62 : 0.45;
  double ms = (method == "madvise" ? 6.0 : 4.0) * (stack == "dm-linear" ? 1.3 : 1.0) * std::pow(pages, exponent);
  if (variant == "debian-6.12" && stack == "dm-linear" && method == "madvise" && pages == 1) ms *= 1.6;
  return ms;
}

json oracle(const std::string& name, const std::string& verdict, json evidence, const std::string& summary) {
  return {{"name", name}, {"verdict", verdict}, {"evidence", std::move(evidence)}, {"summary", summary}};
}

json oracles_of(bool victims_fail, int pages) {
  json victims = {{"expected", pages * 2}, {"received", victims_fail ? pages * 2 - 1 : pages * 2},
                  {"missed", victims_fail ? json::array({{{"mapper", "ek-1"}, {"page", 3}, {"present_before", true}}}) : json::array()}};
  return json::array(
      {oracle("trials_completed", "pass", {{"trials", kTrials}}, "8 of 8 trials reached the injection"),
       oracle("expected_victims", victims_fail ? "fail" : "pass", victims,
              victims_fail ? "ek-1 missed the SIGBUS for page 3 <BUS_MCEERR_AO>" : "every early-kill mapper got its SIGBUS"),
       oracle("recovered_per_page", "pass",
              {{"log", json::array({"<4>[   12.345678] Memory failure: 0x1a2b3: recovery action for dax page: Recovered & done"})}},
              "the kernel logged Recovered for every injected page"),
       oracle("pread_media_error", "skip", nullptr, "no poisoned page has a media error")});
}

json completed_cell(const std::string& variant, const std::string& stack, const std::string& method, int pages,
                    int night, bool victims_fail, Noise& noise) {
  std::string series = fmt::format("{}/{}/xfs/{}", variant, stack, method);
  double median = base_ms(variant, stack, method, pages) * (1 + 0.03 * night);
  double first_ms = base_ms(variant, stack, method, 1);
  json revocation = json::array(), phases = json::array(), trials = json::array();
  for (int t = 0; t < kTrials; ++t) {
    double r = median * noise.uniform(0.85, 1.2), f = first_ms * noise.uniform(0.85, 1.2);
    auto ns = [](double ms) { return static_cast<int64_t>(std::llround(ms * 1e6)); };
    revocation.push_back(ns(r));
    phases.push_back({{"trial", t},
                      {"inject_to_first_signal_ns", ns(0.6 * f)},
                      {"inject_to_last_signal_ns", ns(std::max(r, 0.6 * f))},
                      {"injection_duration_ns", ns(0.1 * r)},
                      {"memory_failure_first_ns", ns(0.2 * f)},
                      {"kernel_handling_ns", ns(0.8 * r)},
                      {"memory_failure_to_notify_ns", ns(0.05 * f)},
                      {"notify_to_unmap_done_ns", ns(0.25 * f)},
                      {"unmap_done_to_signal_generated_ns", ns(0.05 * f)},
                      {"signal_generated_to_received_ns", ns(0.05 * f)},
                      {"signals_paired_with_trace", 2}});
    trials.push_back({{"index", t}, {"start_ns", 1000000000ll * (t + 1)}, {"end_ns", 1000000000ll * (t + 1) + ns(r) + 500000000}});
  }
  std::string notify_class = stack == "raw" ? "holder" : "generic-fallback";
  return {{"id", fmt::format("{}@pages={}", series, pages)},
          {"kernel", variant}, {"stack", stack}, {"filesystem", "xfs"}, {"method", method}, {"target", "file"},
          {"status", "completed"}, {"error", nullptr}, {"verdict", victims_fail ? "fail" : "pass"},
          {"oracles", oracles_of(victims_fail, pages)},
          {"notify_path", {{"summary", {{notify_class, pages * kTrials}}}, {"per_trial", json::array()}, {"trace_enabled", true}}},
          {"latency", {{"revocation_ns", revocation}, {"phases", phases}}},
          {"spec", {{"trials", kTrials}, {"sweep", {{"parameter", "pages"}, {"value", pages}, {"series", series}}}}},
          {"observation", {{"trials", trials}}}};
}

json errored_cell(const std::string& id, const std::string& variant, const std::string& stack, const std::string& method,
                  const std::string& status, const std::string& error) {
  return {{"id", id}, {"kernel", variant}, {"stack", stack}, {"filesystem", "xfs"}, {"method", method}, {"target", "file"},
          {"status", status}, {"error", error}, {"verdict", "error"}, {"oracles", json::array()},
          {"notify_path", {{"summary", json::object()}, {"per_trial", json::array()}, {"trace_enabled", false}}},
          {"latency", {{"revocation_ns", json::array()}}}, {"observation", nullptr}, {"kernel_problems", json::array()}};
}

void write_night(const fs::path& out, int night, const std::string& variant) {
  std::string started = fmt::format("2025-11-2{}T02:{}:00Z", night, variant == "debian-6.1" ? "00" : "40");
  std::string id = fmt::format("2025112{}-02{}00-kernels-ab-{}", night, variant == "debian-6.1" ? "00" : "40", variant);
  fs::path dir = out / fmt::format("night-{}-{}", night, variant);
  fs::create_directories(dir);
  Noise noise(night * 7919 + variant.size());
  RunReport report(dir / "report.json", run_metadata(id, "kernels-ab", started, 12));
  report.add_kernel(kernel_entry(variant));
  bool failed = false;
  for (const auto& stack : kStacks)
    for (const auto& method : kMethods)
      for (int pages : kPages) {
        bool last = night == 3;
        if (last && variant == "debian-6.1" && stack == "dm-linear" && method == "hwpoison-pfn" && pages == 64) {
          report.add_cell(errored_cell(fmt::format("{}/{}/xfs/{}@pages={}", variant, stack, method, pages), variant,
                                       stack, method, "hang", "no message from the agent for 120 s"));
          failed = true;
          continue;
        }
        bool victims_fail = last && variant == "debian-6.12" && stack == "raw" && method == "madvise" && pages == 8;
        failed = failed || victims_fail;
        report.add_cell(completed_cell(variant, stack, method, pages, night, victims_fail, noise));
      }
  report.finish({{"finished_at", fmt::format("2025-11-2{}T02:{}:00Z", night, variant == "debian-6.1" ? "35" : "59")},
                 {"status", failed ? "failed" : "passed"}});
}

void write_zero_cells(const fs::path& out) {
  fs::create_directories(out / "zero-cells");
  json metadata = run_metadata("20251124-020000-empty-plan", "empty-plan", "2025-11-24T02:00:00Z", 0);
  metadata["plan"]["not_applicable"] = json::array(
      {{{"id", "debian-6.12/raw/ext4/unbind"}, {"reason", "unbind needs a namespace of its own"}}});
  RunReport report(out / "zero-cells" / "report.json", metadata);
  report.finish({{"finished_at", "2025-11-24T02:00:05Z"}, {"status", "passed"}});
}

void write_failed(const fs::path& out) {
  fs::create_directories(out / "failed");
  RunReport report(out / "failed" / "report.json",
                   run_metadata("20251125-020000-smoke", "smoke", "2025-11-25T02:00:00Z", 4));
  report.add_kernel({{"variant", "debian-6.12"}, {"error", "kernel could not be prepared: <no package> linux-image-6.12 & co"}});
  for (const auto& stack : kStacks)
    for (const auto& method : kMethods)
      report.add_cell(errored_cell(fmt::format("debian-6.12/{}/xfs/{}", stack, method), "debian-6.12", stack, method,
                                   "kernel-error", "kernel could not be prepared"));
  report.finish({{"finished_at", "2025-11-25T02:00:09Z"}, {"status", "failed"}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: dashboard_fixture_reports OUT\n";
    return 2;
  }
  fs::path out = argv[1];
  fs::create_directories(out);
  for (int night = 1; night <= 3; ++night)
    for (const auto& variant : kVariants) write_night(out, night, variant);
  write_zero_cells(out);
  write_failed(out);
  fs::remove(out / "no-runs.sqlite");
  poisonlab::HistoryStore(out / "no-runs.sqlite", poisonlab::HistoryStore::Mode::read_write);
  std::cout << "fixture reports in " << out.string() << "\n";
  return 0;
}

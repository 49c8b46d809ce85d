// Integration tests: run build/poisonlab on a real scenario (real kernel in
// real QEMU, real ndctl/mkfs.xfs/dmsetup in the guest) and check the report
// it wrote. Each assertion is about what the run observed.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "common/fs_util.h"
#include "common/process.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct RunResult {
  int exit_code;
  std::string output;
  json report;
};

RunResult run_poisonlab(const std::string& scenario, const std::vector<std::string>& extra,
                        const std::string& run_name) {
  fs::path out = fs::current_path() / "vm-test-runs" / run_name;
  fs::remove_all(out);
  std::vector<std::string> argv = {POISONLAB_BINARY, "run",
                                   std::string(POISONLAB_SOURCE_DIR) + "/scenarios/" + scenario,
                                   "--out", out.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  poisonlab::RunOptions options;
  options.timeout = std::chrono::minutes(18);
  options.merge_stderr = true;
  auto r = poisonlab::run_command(argv, options);
  std::cout << r.out << std::flush;  // the run's summary table stays in the test log
  json report;
  if (fs::exists(out / "report.json")) report = json::parse(poisonlab::read_file(out / "report.json"));
  return {r.exit_code, r.out, report};
}

const json* find_oracle(const json& cell, const std::string& name) {
  for (const auto& o : cell.at("oracles"))
    if (o.at("name") == name) return &o;
  return nullptr;
}

int total_notify_events(const json& cell) {
  int total = 0;
  for (const auto& [cls, count] : cell.at("notify_path").at("summary").items()) total += count.get<int>();
  return total;
}

void expect_run_metadata(const json& report, const std::string& release_prefix) {
  EXPECT_EQ(report.at("schema_version"), 1);
  EXPECT_FALSE(report.at("run").at("poisonlab").at("git_sha").get<std::string>().empty());
  EXPECT_EQ(report.at("run").at("scenario").at("sha256").get<std::string>().size(), 64u);
  ASSERT_EQ(report.at("kernels").size(), 1u);
  const json& kernel = report.at("kernels")[0];
  EXPECT_EQ(kernel.at("release").get<std::string>().rfind(release_prefix, 0), 0u) << kernel.dump(2);
  EXPECT_EQ(kernel.at("config_sha256").get<std::string>().size(), 64u);
  EXPECT_GT(kernel.at("boot").at("qemu_start_to_agent_ready_s").get<double>(), 0.0);
  EXPECT_TRUE(kernel.at("target").at("qemu_version").is_string());
}

// The smoke scenario: raw pmem, madvise and hwpoison-pfn over 4 pages, 3 trials.
void check_smoke(const std::string& variant, const std::string& release_prefix) {
  RunResult run = run_poisonlab("smoke.json", {"--kernel", variant}, "smoke-" + variant);
  ASSERT_TRUE(run.report.is_object()) << "no report written\n" << run.output;
  expect_run_metadata(run.report, release_prefix);
  const json& cells = run.report.at("cells");
  ASSERT_EQ(cells.size(), 2u);
  for (const auto& cell : cells) {
    SCOPED_TRACE(cell.value("id", "?"));
    EXPECT_EQ(cell.at("status"), "completed") << cell.value("error", json()).dump();
    for (const char* name : {"dax_active", "early_kill_signalled", "si_addr_lsb", "neighbour_untouched",
                             "late_kill_recorded", "reaccess_no_hang", "pfn_arithmetic", "recovered_per_page",
                             "kernel_healthy", "fs_not_shut_down", "injection_succeeded"}) {
      const json* oracle = find_oracle(cell, name);
      ASSERT_NE(oracle, nullptr) << name;
      EXPECT_EQ(oracle->at("verdict"), "pass") << name << ": " << oracle->dump(2).substr(0, 3000);
    }
    EXPECT_EQ(cell.at("verdict"), "pass");
    const json& trials = cell.at("observation").at("trials");
    ASSERT_EQ(trials.size(), 3u);
    // One memory_failure per poisoned page was traced and classified.
    EXPECT_EQ(total_notify_events(cell), 3 * 4) << cell.at("notify_path").at("summary").dump();
    EXPECT_EQ(cell.at("notify_path").at("summary").value("unknown", 0), 0);
    const json& latency = cell.at("latency");
    ASSERT_EQ(latency.at("revocation_ns").size(), 3u);
    for (const auto& sample : latency.at("revocation_ns")) EXPECT_GT(sample.get<double>(), 0.0);
    EXPECT_EQ(latency.at("revocation_ms_stats").at("n"), 3);
  }
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

}  // namespace

TEST(VmSmoke, Debian612) { check_smoke("debian-6.12", "6.12."); }
TEST(VmSmoke, Debian61) { check_smoke("debian-6.1", "6.1."); }

// dm-linear over pmem next to raw pmem, both kernels: the notify path of
// every memory_failure is recorded (whatever it is), and the pfn arithmetic
// through the dm table matches what the kernel reports.
TEST(VmDmLinear, RecordsNotifyPath) {
  RunResult run = run_poisonlab("dm-linear.json", {}, "dm-linear");
  ASSERT_TRUE(run.report.is_object()) << "no report written\n" << run.output;
  const json& cells = run.report.at("cells");
  ASSERT_EQ(cells.size(), 8u);
  std::map<std::string, json> path_by_cell;
  for (const auto& cell : cells) {
    SCOPED_TRACE(cell.value("id", "?"));
    ASSERT_EQ(cell.at("status"), "completed") << cell.value("error", json()).dump();
    const json& obs = cell.at("observation");
    EXPECT_TRUE(obs.at("stack").at("ok").get<bool>());
    if (cell.at("stack") == "dm-linear") EXPECT_TRUE(obs.at("stack").at("dm_table").is_string());
    else EXPECT_TRUE(obs.at("stack").at("dm_table").is_null());
    size_t pages = 0;
    for (const auto& trial : obs.at("trials")) pages += trial.at("pages").size();
    EXPECT_EQ(total_notify_events(cell), static_cast<int>(pages));
    EXPECT_EQ(cell.at("notify_path").at("summary").value("unknown", 0), 0);
    EXPECT_EQ(find_oracle(cell, "pfn_arithmetic")->at("verdict"), "pass");
    EXPECT_EQ(find_oracle(cell, "kernel_healthy")->at("verdict"), "pass");
    path_by_cell[cell.at("id")] = cell.at("notify_path").at("summary");
  }
  for (const auto& [id, summary] : path_by_cell) std::cout << "notify path " << id << ": " << summary.dump() << "\n";
}

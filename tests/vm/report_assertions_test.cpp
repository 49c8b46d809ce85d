// Integration tests: run build/poisonlab on a real scenario (real kernel in
// real QEMU, real ndctl/mkfs/dmsetup/xfs_db in the guest) and check the
// report it wrote. Each assertion is about what the run observed or about
// poisonlab's own arithmetic checked against the kernel; none states what a
// kernel "should" do.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "common/fs_util.h"
#include "common/process.h"
#include "report/report.h"
#include "vm_run.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using vm_test::find_oracle;
using vm_test::run_poisonlab;
using vm_test::RunResult;
using vm_test::verdict;

const json& cell_named(const json& report, const std::string& id) {
  for (const auto& c : report.at("cells"))
    if (c.at("id") == id) return c;
  throw std::runtime_error("no cell " + id);
}

int total_notify_events(const json& cell) {
  int total = 0;
  for (const auto& [cls, count] : cell.at("notify_path").at("summary").items()) total += count.get<int>();
  return total;
}

// Every cell ran to the end and was judged: each oracle has a verdict and
// evidence, and the report's correctness matrix has the cell's row.
void expect_judged(const json& report, const json& cell) {
  SCOPED_TRACE(cell.value("id", "?"));
  EXPECT_EQ(cell.at("status"), "completed") << cell.value("error", json()).dump();
  EXPECT_TRUE(cell.at("observation").at("stack").at("ok").get<bool>()) << cell.at("observation").at("stack").dump();
  ASSERT_FALSE(cell.at("oracles").empty());
  for (const auto& o : cell.at("oracles")) {
    std::string v = o.at("verdict");
    EXPECT_TRUE(v == "pass" || v == "fail" || v == "skip") << o.dump();
    EXPECT_FALSE(o.at("summary").get<std::string>().empty()) << o.dump();
  }
  const json& row = report.at("correctness_matrix").at("cells").at(cell.at("id").get<std::string>());
  EXPECT_EQ(row.size(), cell.at("oracles").size());
}

// The sectors [first, first + count) of a disk are inside its recorded badblocks.
bool badblocks_cover(const json& lines, uint64_t first, uint64_t count) {
  for (uint64_t s = first; s < first + count; ++s) {
    bool covered = false;
    for (const auto& line : lines) {
      uint64_t start = 0, n = 0;
      if (sscanf(line.get<std::string>().c_str(), "%lu %lu", &start, &n) == 2 && s >= start && s < start + n)
        covered = true;
    }
    if (!covered) return false;
  }
  return true;
}

void expect_run_metadata(const json& report, const std::string& release_prefix) {
  EXPECT_EQ(report.at("schema_version"), poisonlab::kReportSchemaVersion);
  EXPECT_FALSE(report.at("run").at("poisonlab").at("git_sha").get<std::string>().empty());
  EXPECT_EQ(report.at("run").at("scenario").at("sha256").get<std::string>().size(), 64u);
  ASSERT_EQ(report.at("kernels").size(), 1u);
  const json& kernel = report.at("kernels")[0];
  EXPECT_EQ(kernel.at("release").get<std::string>().rfind(release_prefix, 0), 0u) << kernel.dump(2);
  EXPECT_EQ(kernel.at("config_sha256").get<std::string>().size(), 64u);
  EXPECT_GT(kernel.at("boot").at("qemu_start_to_agent_ready_s").get<double>(), 0.0);
  EXPECT_TRUE(kernel.at("target").at("qemu_version").is_string());
  EXPECT_FALSE(kernel.at("boots").empty());
}

// The smoke scenario: raw pmem, madvise and hwpoison-pfn over 4 pages, 3 trials.
// The trace timeline of each trial: the kernel steps of the first page come
// in order after the injection, and each SIGBUS arrives after the kernel
// generated it (both clocks are CLOCK_MONOTONIC).
void check_timeline(const json& latency) {
  for (const json& trial : latency.at("phases")) {
    const json& first = trial.at("timeline").at("first_page");
    ASSERT_TRUE(first.is_object()) << trial.dump();
    int64_t previous = 0;
    for (const char* step : {"memory_failure_ns", "notify_ns", "kill_procs_ns", "unmap_done_ns",
                             "first_signal_generated_ns", "memory_failure_return_ns"}) {
      ASSERT_TRUE(first.at(step).is_number()) << step << ": " << trial.dump();
      EXPECT_GE(first.at(step).get<int64_t>(), previous) << step << ": " << trial.dump();
      previous = first.at(step).get<int64_t>();
    }
    EXPECT_GT(trial.at("signals_paired_with_trace").get<int>(), 0);
    EXPECT_GT(trial.at("signal_generated_to_received_ns").get<int64_t>(), 0) << trial.dump();
  }
  for (const char* phase : {"memory_failure_to_notify", "notify_to_unmap_done", "signal_generated_to_received"})
    EXPECT_EQ(latency.at("phase_ms_stats").at(phase).at("n"), 3) << phase;
}

void check_smoke(const std::string& variant, const std::string& release_prefix) {
  RunResult run = run_poisonlab("smoke.json", {"--kernel", variant}, "smoke-" + variant);
  ASSERT_TRUE(run.report.is_object()) << "no report written\n" << run.output;
  expect_run_metadata(run.report, release_prefix);
  const json& cells = run.report.at("cells");
  ASSERT_EQ(cells.size(), 2u);
  for (const auto& cell : cells) {
    SCOPED_TRACE(cell.value("id", "?"));
    expect_judged(run.report, cell);
    for (const char* name : {"dax_active", "expected_victims", "si_addr_lsb", "neighbour_untouched", "mappings_revoked",
                             "late_kill_recorded", "reaccess_no_hang", "pfn_arithmetic", "recovered_per_page",
                             "data_outside_intact", "soft_offline_refused", "fsck_clean", "kernel_healthy",
                             "fs_not_shut_down", "injection_succeeded"}) {
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
    check_timeline(latency);
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
  for (const auto& cell : cells) {
    SCOPED_TRACE(cell.value("id", "?"));
    expect_judged(run.report, cell);
    const json& obs = cell.at("observation");
    if (cell.at("stack") == "dm-linear") {
      EXPECT_TRUE(obs.at("stack").at("dm_table").is_string());
    } else {
      EXPECT_TRUE(obs.at("stack").at("dm_table").is_null());
    }
    size_t pages = 0;
    for (const auto& trial : obs.at("trials")) pages += trial.at("units").size();
    EXPECT_EQ(total_notify_events(cell), static_cast<int>(pages));
    EXPECT_EQ(cell.at("notify_path").at("summary").value("unknown", 0), 0);
    EXPECT_EQ(verdict(cell, "pfn_arithmetic"), "pass");
    EXPECT_EQ(verdict(cell, "kernel_healthy"), "pass");
  }
  for (const auto& cell : cells)
    std::cout << "notify path " << cell.at("id").get<std::string>() << ": " << cell.at("notify_path").at("summary").dump()
              << "\n";
}

// Every injection method and non-file target, once, on raw pmem.
TEST(VmMethods, EveryMethodReachesItsTarget) {
  RunResult run = run_poisonlab("methods.json", {}, "methods");
  ASSERT_TRUE(run.report.is_object()) << "no report written\n" << run.output;
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 3) << run.output;  // judged, pass or fail
  ASSERT_EQ(run.report.at("cells").size(), 10u);
  // An action-required machine check is only safe while CPU 0 runs the
  // consumer in user mode: the runner stops the VM and injects only when
  // CPU 0 is at CPL 3, so the cell completes.
  for (const auto& cell : run.report.at("cells")) expect_judged(run.report, cell);
  const json& ar = cell_named(run.report, "debian-6.12/raw/xfs-reflink/mce-ar");
  ASSERT_EQ(ar.at("status"), "completed") << ar.dump().substr(0, 2000);
  const json& step = ar.at("observation").at("trials").at(0).at("injection").at("steps").at(0);
  EXPECT_NE(step.at("host_reply").at("command").get<std::string>().find("0xbd80000000000134 0x7"), std::string::npos);
  EXPECT_EQ(step.at("host_reply").at("cpl"), 3) << step.dump();
  EXPECT_TRUE(step.at("consumer").at("done").get<bool>()) << step.dump();
  auto trial0 = [&](const std::string& name) -> const json& {
    return cell_named(run.report, "debian-6.12/raw/xfs-reflink/" + name).at("observation").at("trials").at(0);
  };
  // The page-poisoning methods reached memory_failure at the pfn poisonlab computed.
  for (const char* name : {"madvise", "hwpoison-pfn", "hard-offline", "mce"}) {
    SCOPED_TRACE(name);
    const json& t = trial0(name);
    ASSERT_EQ(t.at("units").size(), 2u);
    for (const auto& step : t.at("injection").at("steps")) EXPECT_EQ(step.at("ret"), 0) << step.dump();
    for (const auto& u : t.at("units")) EXPECT_EQ(u.at("pfn_kernel"), u.at("pfn_computed")) << u.dump();
  }
  // A machine check at a pmem address: the runner sent it through QEMU's
  // monitor, and the ACPI NFIT notifier put the range in pmem0's badblocks.
  const json& mce = trial0("mce");
  EXPECT_NE(mce.at("injection").at("steps").at(0).at("host_reply").at("command").get<std::string>().find("mce -b"),
            std::string::npos);
  for (const auto& u : mce.at("units"))
    EXPECT_TRUE(badblocks_cover(mce.at("badblocks").at("after").at("pmem0"), u.at("disk_offset").get<uint64_t>() / 512, 8))
        << mce.at("badblocks").dump();
  // badblocks: the write landed in the disk's list; no memory_failure.
  const json& bb = trial0("badblocks");
  for (const auto& u : bb.at("units"))
    EXPECT_TRUE(badblocks_cover(bb.at("badblocks").at("after").at("pmem0"), u.at("disk_offset").get<uint64_t>() / 512, 8));
  // unbind: the namespace's driver was unbound (or the hang was recorded).
  const json& unbind = trial0("unbind").at("injection").at("steps").at(0);
  EXPECT_NE(unbind.at("action").get<std::string>().find("/unbind"), std::string::npos);
  EXPECT_TRUE(unbind.at("ret") == 0 || unbind.at("hung") == true) << unbind.dump();
  // Non-file targets resolved to device pages that back no test file.
  const json& inode = trial0("inode-chunk");
  EXPECT_EQ(inode.at("target").at("structure"), "inode-chunk");
  EXPECT_EQ(inode.at("units").at(0).at("fs_offset").get<uint64_t>(),
            inode.at("target").at("daddr").get<uint64_t>() * 512 / 4096 * 4096);
  EXPECT_TRUE(trial0("free-space").at("target").contains("free_range_start"));
  EXPECT_EQ(trial0("device").at("units").at(0).at("fs_offset"), 65536ull * 512);
  // The file system was checked after every cell whose device still exists.
  for (const auto& cell : run.report.at("cells")) {
    const json& td = cell.at("observation").at("teardown");
    if (cell.at("method") != "unbind") {
      EXPECT_FALSE(td.at("fsck").at("runs").empty()) << cell.at("id");
    }
  }
}

// Each stack with poison across the boundary it has: the units land on both
// sides (two extents, two disks), and the kernel agrees with poisonlab's
// address arithmetic through every stack.
TEST(VmStackBoundaries, PoisonStraddlesEachStacksBoundary) {
  RunResult run = run_poisonlab("stack-boundaries.json", {}, "stack-boundaries");
  ASSERT_TRUE(run.report.is_object()) << "no report written\n" << run.output;
  ASSERT_EQ(run.report.at("cells").size(), 10u);
  std::set<std::string> stacks;
  for (const auto& cell : run.report.at("cells")) {
    SCOPED_TRACE(cell.value("id", "?"));
    expect_judged(run.report, cell);
    stacks.insert(cell.at("stack").get<std::string>());
    EXPECT_EQ(verdict(cell, "pfn_arithmetic"), "pass");
    EXPECT_EQ(cell.at("notify_path").at("summary").value("unknown", 0), 0);
    const json& t = cell.at("observation").at("trials").at(0);
    std::set<std::string> disks;
    for (const auto& u : t.at("units")) disks.insert(u.at("disk").get<std::string>());
    std::string id = cell.at("id");
    if (id.ends_with("extent-boundary")) {
      EXPECT_TRUE(t.at("target").at("crosses_extent_boundary").get<bool>());
    }
    if (id.ends_with("concat-seam") || id.ends_with("chunk-boundary")) {
      EXPECT_EQ(disks, (std::set<std::string>{"pmem0", "pmem1"})) << t.at("units").dump();
    }
    if (id.ends_with("ag-header")) {
      EXPECT_EQ(t.at("target").at("structure"), "ag-header");
    }
  }
  EXPECT_EQ(stacks, (std::set<std::string>{"raw", "dm-linear", "dm-concat", "dm-stripe"}));
}

// A range spread over victim files (scenarios/files.json, a files sweep of
// 1 and 4): every file is made, aimed at and mapped by its own victims, and
// each unit's page is the one the file's mappers had mapped (FIEMAP and the
// stack's arithmetic against the kernel's pagemap).
TEST(VmFiles, RangeSpreadOverVictimFiles) {
  RunResult run = run_poisonlab("files.json", {}, "files");
  ASSERT_TRUE(run.report.is_object()) << "no report written\n" << run.output;
  ASSERT_EQ(run.report.at("cells").size(), 2u);
  for (const auto& cell : run.report.at("cells")) {
    SCOPED_TRACE(cell.value("id", "?"));
    expect_judged(run.report, cell);
    EXPECT_EQ(verdict(cell, "pfn_arithmetic"), "pass");
    EXPECT_EQ(verdict(cell, "kernel_healthy"), "pass");
    size_t files = cell.at("id").get<std::string>().ends_with("@files=4") ? 4 : 1;
    const json& t = cell.at("observation").at("trials").at(0);
    std::map<std::string, uint64_t> units_per_file;
    for (const auto& u : t.at("units")) {
      ++units_per_file[u.at("file").get<std::string>()];
      EXPECT_EQ(u.at("pfn_pagemap"), u.at("pfn_computed")) << u.dump();
    }
    EXPECT_EQ(units_per_file.size(), files) << t.at("units").dump();
    for (const auto& [file, units] : units_per_file) EXPECT_EQ(units, 4 / files) << file;
    std::map<std::string, int> mappers_per_file;
    for (const auto& v : t.at("victims")) ++mappers_per_file[v.at("file").get<std::string>()];
    EXPECT_EQ(mappers_per_file.size(), files);
    for (const auto& [file, n] : mappers_per_file) EXPECT_EQ(n, 4) << file;  // 2 early, 1 late, 1 neighbour
    EXPECT_EQ(total_notify_events(cell), 4);
  }
  ASSERT_EQ(run.report.at("series").size(), 1u);
  EXPECT_EQ(run.report.at("series").at(0).at("parameter"), "files");
}

// perf in the guest (scenarios/perf.json): perf stat's counts agree with the
// units injected and with the ftrace session's own events over the same
// window, and perf record's folded stacks reach memory_failure.
namespace {

size_t trace_events_named(const json& trial, const std::string& name, uint64_t until_ns) {
  size_t n = 0;
  for (const auto& e : trial.at("trace_events"))
    if (e.at("event") == name && e.at("time_ns").get<uint64_t>() <= until_ns) ++n;
  return n;
}

void check_folded(const fs::path& run_dir, const json& record) {
  fs::path folded = run_dir / record.at("folded").get<std::string>();
  ASSERT_TRUE(fs::exists(folded)) << folded;
  std::string text = poisonlab::read_file(folded);
  uint64_t total = 0;
  bool through_memory_failure = false;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end + 1;
    total += std::stoull(line.substr(line.rfind(' ') + 1));
    through_memory_failure = through_memory_failure || line.find(";memory_failure;") != std::string::npos;
  }
  EXPECT_EQ(total, record.at("samples").get<uint64_t>());
  EXPECT_TRUE(through_memory_failure) << "no stack through memory_failure in " << folded;
}

}  // namespace

TEST(VmPerf, CountsAndFoldedStacks) {
  RunResult run = run_poisonlab("perf.json", {}, "perf");
  ASSERT_FALSE(run.report.is_null()) << run.output;
  const json& cell = cell_named(run.report, "debian-6.12/raw/xfs/hwpoison-pfn");
  expect_judged(run.report, cell);
  const json& trial = cell.at("observation").at("trials").at(0);
  ASSERT_TRUE(cell.contains("perf")) << trial.at("perf").dump();
  EXPECT_EQ(cell.at("perf").at("errors"), json::array()) << cell.at("perf").dump();

  // The perf window ends after the injection's settle period, before re-access.
  uint64_t window_end = trial.at("injection").at("end_ns").get<uint64_t>();
  const json& counts = cell.at("perf").at("counts");
  EXPECT_EQ(counts.at("ras:memory_failure_event").at("per_trial")[0].get<size_t>(), trial.at("units").size());
  EXPECT_EQ(counts.at("ras:memory_failure_event").at("per_trial")[0].get<size_t>(),
            trace_events_named(trial, "memory_failure_event", window_end));
  EXPECT_EQ(counts.at("poisonlab:memory_failure").at("per_trial")[0].get<size_t>(),
            trace_events_named(trial, "memory_failure", window_end));
  EXPECT_EQ(counts.at("signal:signal_generate").at("per_trial")[0].get<size_t>(),
            trace_events_named(trial, "signal_generate", window_end));

  const json& record = cell.at("perf").at("trials").at(0).at("record");
  ASSERT_TRUE(record.at("ok").get<bool>()) << record.dump();
  check_folded(fs::current_path() / "vm-test-runs" / "perf", record);
  bool memory_failure_ranked = false;
  for (const auto& f : cell.at("perf").at("record").at("top_inclusive"))
    memory_failure_ranked = memory_failure_ranked || f.at("function") == "memory_failure";
  EXPECT_TRUE(memory_failure_ranked) << cell.at("perf").at("record").dump();
  for (const char* phase : {"perf_start", "perf_stop", "perf_script"})
    EXPECT_EQ(cell.at("perf").at("cost_ms_stats").at(phase).at("n"), 1) << phase;
}

// fio under fault (scenarios/fio.json): an mmap and a psync job read the
// victim file through a machine check on one of its pages. What the
// kernel does to them is reported, not asserted; that the jobs ran, that
// the windows account for every sample and that the EIO the psync job
// met is recorded is asserted.
TEST(VmFio, JobsRunThroughTheInjection) {
  RunResult run = run_poisonlab("fio.json", {}, "fio");
  ASSERT_TRUE(run.report.is_object()) << "no report written\n" << run.output;
  const json& cell = cell_named(run.report, "debian-6.12/raw/xfs/mce");
  ASSERT_EQ(cell.at("status"), "completed") << cell.value("error", json()).dump();
  const json& per_trial = cell.at("fio").at("per_trial");
  ASSERT_EQ(per_trial.size(), 4u);  // 2 trials x 2 jobs
  for (const json& row : per_trial) {
    SCOPED_TRACE(row.dump());
    const json& trial = cell.at("observation").at("trials").at(row.at("trial").get<size_t>());
    const json* raw = nullptr;
    for (const json& j : trial.at("fio").at("jobs"))
      if (j.at("name") == row.at("job")) raw = &j;
    ASSERT_NE(raw, nullptr);
    EXPECT_FALSE(raw->at("running_ns").is_null());  // fio's job process was seen before the baseline
    EXPECT_GE(row.at("samples").at("before").get<int>(), 3);
    EXPECT_GT(row.at("bw_kib_s").at("before").get<double>(), 0.0);
    const json& n = row.at("samples");
    EXPECT_EQ(n.at("before").get<size_t>() + n.at("during").get<size_t>() + n.at("after").get<size_t>(),
              raw->at("bw_log").at("samples").size());
    if (row.at("survived").get<bool>()) EXPECT_GT(n.at("after").get<int>(), 0);
    if (row.at("job") == "psync")  // it reads the page the agent's own pread finds EIO on
      EXPECT_TRUE(row.at("error").get<int>() != 0 || row.at("total_err").get<int>() > 0);
  }
  EXPECT_EQ(cell.at("fio").at("jobs").at("psync").at("with_errors"), 2);
}

#pragma once
// A run's report written by RunReport (the real writer) from recorded agent
// observations (runner/oracles/testdata: real cells from Debian 6.12 runs)
// and canned ones, with every kind of cell a run produces: judged cells of
// each injection method, a sweep series, perf and fio under fault, a hang
// with a kernel oops on the console, a timeout with partial data, and a
// kernel that could not be prepared.
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "oracles/canned_observation.h"
#include "oracles/oracles.h"
#include "report/report.h"
#include "report/schema_test_util.h"
#include "report/speed_targets.h"

namespace schema_fixture {

using nlohmann::json;
namespace fs = std::filesystem;

inline fs::path source_dir() { return POISONLAB_SOURCE_DIR; }

inline json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return json::parse(in);
}

// The identity the plan gives a cell, from its id and spec.
inline poisonlab::CellIdentity identity_of(const std::string& id, const json& spec) {
  auto part = [&](int n) {
    size_t start = 0;
    for (int i = 0; i < n; ++i) start = id.find('/', start) + 1;
    return id.substr(start, id.find_first_of("/@", start) - start);
  };
  return {id,      part(0),
          part(1), spec["injection"].value("method", ""),
          part(2), spec["injection"]["target"].value("space", "file")};
}

inline json judged(const std::string& id, const json& spec, const json& observation) {
  json cell = poisonlab::judge_cell(identity_of(id, spec), spec, observation);
  cell["serial_log"] = "vm-" + cell["kernel"].get<std::string>() + "/serial.log";
  return cell;
}

// perf stat and record of one trial, as the agent reports them.
inline json perf_of_trial(int index) {
  json fn = json::array(
      {{{"function", "memory_failure"}, {"samples", 10 + index}}, {{"function", "__rmap_walk_file"}, {"samples", 20}}});
  return {{"stat",
           {{"ok", true},
            {"error", nullptr},
            {"counts", {{"ras:memory_failure_event", 4}, {"signal:signal_generate", 8}}}}},
          {"record",
           {{"ok", true},
            {"error", nullptr},
            {"skipped", nullptr},
            {"samples", 100},
            {"idle_samples", 60},
            {"kernel_leaf_samples", 40},
            {"top_self", fn},
            {"top_inclusive", fn},
            {"folded", "/run/perf/cell.t" + std::to_string(index) + ".folded"}}}};
}

// One fio job of one trial: bandwidth samples every 100 ms around the injection.
inline json fio_of_trial(const json& trial) {
  uint64_t start = trial["injection"]["start_ns"].get<uint64_t>();
  json samples = json::array();
  for (int i = -3; i <= 3; ++i)
    samples.push_back({start + static_cast<uint64_t>((i + 4) * 100'000'000) - 400'000'000, 1000 - 10 * i, 0});
  return {{"jobs", json::array({{{"name", "reader"},
                                 {"ioengine", "mmap"},
                                 {"target", "victim"},
                                 {"stopped_by", "runner"},
                                 {"signals_reported", json::array()},
                                 {"result", {{"error", 0}, {"total_err", nullptr}}},
                                 {"bw_log", {{"clock", "mono"}, {"interval_ms", 100}, {"samples", samples}}}}})}};
}

// The canned cell at one point of a "pages" sweep, with perf or fio.
inline json sweep_cell(int pages, bool perf, bool fio) {
  json spec = poisonlab::canned::cell_spec(), observation = poisonlab::canned::observation();
  spec["sweep"] = {{"parameter", "pages"}, {"value", pages}, {"series", "debian-6.12/raw/xfs/madvise"}};
  for (json& trial : observation["trials"]) {
    if (perf) trial["perf"] = perf_of_trial(trial["index"].get<int>());
    if (fio) trial["fio"] = fio_of_trial(trial);
  }
  return judged("debian-6.12/raw/xfs/madvise@pages=" + std::to_string(pages), spec, observation);
}

inline json booted_kernel(const std::string& variant) {
  json phases = {{"qemu_start_to_agent_ready_s", 3.5},
                 {"guest_init_start_s", 1.25},
                 {"guest_modules_loaded_s", 1.75},
                 {"guest_agent_ready_s", 2.5}};
  return {{"variant", variant},
          {"release", "6.12.48+deb13-amd64"},
          {"package", "linux-image-6.12.48+deb13-amd64"},
          {"package_version", "6.12.48-1"},
          {"vmlinuz", "/cache/kernels/vmlinuz"},
          {"initramfs", "/cache/kernels/initramfs.cpio"},
          {"config", "/cache/kernels/config"},
          {"config_sha256", std::string(64, 'e')},
          {"modules", json::array({"nd_pmem.ko", "dm-mod.ko"})},
          {"build", nullptr},
          {"boot", phases},
          {"guest_kernel_release", "6.12.48+deb13-amd64"},
          {"target",
           {{"backend", "qemu"},
            {"accel", "tcg"},
            {"machine", "pc"},
            {"qemu_version", "10.0.2"},
            {"cpus", 2},
            {"memory_mib", 2048}}},
          {"serial_log", "vm-" + variant + "/serial.log"},
          {"boots", json::array({{{"vm_dir", "vm-" + variant},
                                  {"serial_log", "vm-" + variant + "/serial.log"},
                                  {"outcome", "ready"},
                                  {"phases", phases},
                                  {"cells", json::array({"a"})}},
                                 {{"vm_dir", "vm-" + variant + "-1"},
                                  {"serial_log", "vm-" + variant + "-1/serial.log"},
                                  {"outcome", "hang"},
                                  {"error", "no hello within 60 s"},
                                  {"serial_tail", "..."}}})}};
}

// Writes dir/report.json and its cell files. A cell above inline_cell_bytes
// keeps only pointers to its cell file (a small value exercises that form).
inline json write_sample_run(const fs::path& dir, size_t inline_cell_bytes = poisonlab::kInlineCellBytes) {
  json run = poisonlab::schema_test::sample_run_metadata();
  run["plan"]["not_applicable"] = {
      {{"id", "debian-6.12/raw/xfs/stripe-chunk"}, {"reason", "the stack is not dm-stripe"}}};
  poisonlab::RunReport report(dir / "report.json", run, inline_cell_bytes);
  size_t kernel = report.add_kernel(booted_kernel("debian-6.12"));
  for (const char* name : {"mce-ar-raw.json", "mce-dm-stripe.json", "reflink-raw-badblocks.json",
                           "reflink-raw-madvise.json", "reflink-raw-meta-inode.json", "reflink-raw-unbind.json"}) {
    json recorded = read_json(source_dir() / "runner/oracles/testdata" / name);
    report.add_cell(judged(recorded["id"].get<std::string>(), recorded["spec"], recorded["observation"]));
  }
  report.add_cell(sweep_cell(4, true, false));
  report.add_cell(sweep_cell(8, false, true));
  report.add_cell(sweep_cell(16, false, false));
  poisonlab::CellIdentity hung{
      "debian-6.12/dm-linear/xfs/unbind", "debian-6.12", "dm-linear", "unbind", "xfs", "device"};
  report.add_cell(
      poisonlab::judge_failed_cell(hung, "hang", "no agent message within 120 s",
                                   "[   50.1] BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
                                   "[   50.2] Oops: 0000 [#1] PREEMPT SMP NOPTI\n"));
  poisonlab::CellIdentity slow{
      "debian-6.12/raw/xfs/hwpoison-pfn@pages=65536", "debian-6.12", "raw", "hwpoison-pfn", "xfs", "file"};
  json timeout =
      poisonlab::judge_failed_cell(slow, "timeout", "the cell did not finish within timeouts.cell_s = 600 s", "");
  timeout["partial"] = {
      {"trials_done", json::array({{{"trial", 0}, {"units", 65536}, {"signals_received", 3}, {"time_ns", 9}}})},
      {"injection_progress", {{"units_done", 900}, {"units", 65536}, {"trial", 1}, {"time_ns", 12}}},
      {"last", {{"stage", "inject"}, {"units_done", 900}, {"trial", 1}, {"time_ns", 12}}}};
  report.add_cell(timeout);
  report.update_kernel(kernel, booted_kernel("debian-6.12"));
  report.add_kernel({{"variant", "debian-6.1"}, {"error", "no package linux-image-6.1 in the archive"}});
  poisonlab::CellIdentity missing{"debian-6.1/raw/xfs/madvise", "debian-6.1", "raw", "madvise", "xfs", "file"};
  report.add_cell(
      poisonlab::judge_failed_cell(missing, "kernel-error", "no package linux-image-6.1 in the archive", ""));
  report.finish({{"finished_at", "2026-01-01T12:40:00Z"},
                 {"status", "failed"},
                 {"speed_targets", poisonlab::speed_targets(report.json(), {2400.0, 61440})}});
  return report.json();
}

}  // namespace schema_fixture

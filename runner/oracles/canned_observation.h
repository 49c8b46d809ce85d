#pragma once
// Test helper (header only, used by the *_test.cpp files): a cell spec and a
// hand-built observation of two madvise trials on which every oracle passes.
// Tests mutate one thing and check the verdicts that change.
#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace poisonlab::canned {

using nlohmann::json;

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kFilePages = 16;
inline constexpr uint64_t kFirstPoisoned = 4;
inline constexpr uint64_t kPoisonedPages = 4;
inline constexpr uint64_t kInjectorPid = 500;

inline uint64_t trial_base_ns(int trial) { return 10'000'000'000ull + static_cast<uint64_t>(trial) * 1'000'000'000ull; }
inline uint64_t pfn_of(int trial, uint64_t file_page) {
  return 0x100200ull + static_cast<uint64_t>(trial) * 0x100 + file_page;
}
inline uint64_t map_addr_of(int victim) { return 0x7f0000000000ull + static_cast<uint64_t>(victim) * 0x100000; }
// Expected signals arrive 1000 ns apart per page, victims 100 ns apart.
inline uint64_t signal_time(int trial, int victim, uint64_t file_page) {
  return trial_base_ns(trial) + 20'000 + (file_page - kFirstPoisoned) * 1000 + static_cast<uint64_t>(victim) * 100;
}

inline json cell_spec() {
  return json::parse(R"({
    "stack": {"type": "raw"},
    "filesystem": {"type": "xfs", "mkfs_options": ["-m", "rmapbt=1"], "mount_options": ["dax=always"]},
    "namespace": {"mode": "fsdax", "map": "mem", "align": "2M"},
    "file_pages": 16,
    "victims": {"early_kill": 2, "late_kill": 1, "neighbour": 1},
    "injection": {"method": "madvise", "offset_pages": 4, "pages": 4, "pacing": "per-page", "settle_ms": 1000},
    "trials": 2, "trace": true, "reaccess": true})");
}

inline json probes() {
  json out = json::array();
  for (const char* name :
       {"memory_failure", "memory_failure_ret", "pmem_pagemap_memory_failure", "dax_holder_notify_failure",
        "dax_holder_notify_failure_ret", "xfs_dax_notify_failure", "xfs_dax_notify_failure_ret", "mf_dax_kill_procs",
        "unmap_mapping_range", "memory_failure_event", "signal_generate", "xfs_force_shutdown"})
    out.push_back({{"name", name}, {"kind", "kprobe"}, {"ok", true}, {"error", nullptr}});
  return out;
}

inline json full_file_victim(int trial, int number, const std::string& id, const std::string& role) {
  json v = {{"id", id},
            {"role", role},
            {"pid", 600 + number},
            {"map_addr", map_addr_of(number)},
            {"map_offset_pages", 0},
            {"map_pages", kFilePages},
            {"mapping_page_shift", 12},
            {"signals", json::array()},
            {"pagemap_after", json::array()},
            {"exit", {{"status", "killed-by-agent"}, {"code", 0}, {"signal", 9}}}};
  for (uint64_t p = kFirstPoisoned; p < kFirstPoisoned + kPoisonedPages; ++p) {
    bool early = role == "early-kill";
    if (early)
      v["signals"].push_back({{"signo", 7},
                              {"code", 5},
                              {"addr", map_addr_of(number) + p * kPageSize},
                              {"addr_lsb", 12},
                              {"time_ns", signal_time(trial, number, p)}});
    // Early-kill mappers are unmapped; a late-kill mapper keeps its PTE.
    v["pagemap_after"].push_back(
        {{"file_page", p}, {"present", !early}, {"pfn", early ? json(nullptr) : json(pfn_of(trial, p))}});
  }
  v["reaccess"] = {{"done", true},
                   {"outcome", role == "early-kill" ? "sigbus" : "read-ok"},
                   {"file_page", kFirstPoisoned},
                   {"code", role == "early-kill" ? json(4) : json(nullptr)},
                   {"time_ns", trial_base_ns(trial) + 500'000}};
  return v;
}

inline json neighbour_victim() {
  uint64_t first = kFirstPoisoned + kPoisonedPages;
  json v = {{"id", "neighbour-0"},
            {"role", "neighbour"},
            {"pid", 650},
            {"map_addr", map_addr_of(9)},
            {"map_offset_pages", first},
            {"map_pages", kFilePages - first},
            {"mapping_page_shift", 12},
            {"signals", json::array()},
            {"pagemap_after", json::array()},
            {"reaccess", {{"done", false}, {"outcome", "not-run"}}}};
  for (uint64_t p = first; p < kFilePages; ++p)
    v["pagemap_after"].push_back({{"file_page", p}, {"present", true}, {"pfn", 1}});
  return v;
}

inline json trace_events(int trial) {
  json events = json::array();
  for (uint64_t p = kFirstPoisoned; p < kFirstPoisoned + kPoisonedPages; ++p) {
    uint64_t t = trial_base_ns(trial) + 10'000 + (p - kFirstPoisoned) * 1000;
    std::string pfn = fmt::format("{:#x}", pfn_of(trial, p));
    auto ev = [&](uint64_t dt, const char* name, json args) {
      events.push_back({{"time_ns", t + dt},
                        {"cpu", 1},
                        {"pid", kInjectorPid},
                        {"comm", "poisonlab-agent"},
                        {"event", name},
                        {"args", args}});
    };
    ev(0, "memory_failure", {{"pfn", pfn}, {"flags", "0x0"}});
    ev(10, "pmem_pagemap_memory_failure", {{"pfn", pfn}, {"nr", "1"}, {"flags", "0x0"}});
    ev(20, "dax_holder_notify_failure", {{"off", "0x0"}, {"len", "0x1000"}, {"flags", "0x0"}});
    ev(30, "xfs_dax_notify_failure", {{"off", "0x0"}, {"len", "0x1000"}, {"flags", "0x0"}});
    ev(40, "mf_dax_kill_procs", {{"index", fmt::format("{:#x}", p)}, {"count", "1"}, {"flags", "0x0"}});
    ev(50, "unmap_mapping_range", {{"start", "0x0"}, {"len", "0x1000"}});
    ev(60, "xfs_dax_notify_failure_ret", {{"ret", "0"}});
    ev(70, "dax_holder_notify_failure_ret", {{"ret", "0"}});
    ev(80, "memory_failure_ret", {{"ret", "0"}});
  }
  return events;
}

inline json trial(int index) {
  uint64_t base = trial_base_ns(index);
  json t = {{"index", index},
            {"file", {{"path", fmt::format("/tmp/poisonlab/mnt/t{}-victim", index)}, {"size", kFilePages * kPageSize}}},
            {"page_size", kPageSize},
            {"range", {{"offset_pages", kFirstPoisoned}, {"pages", kPoisonedPages}}},
            {"pages", json::array()},
            {"injection",
             {{"method", "madvise"}, {"start_ns", base}, {"end_ns", base + 5'000'000}, {"steps", json::array()}}},
            {"victims", json::array()},
            {"kernel_log", json::array()},
            {"trace_events", trace_events(index)},
            {"errors", json::array()}};
  for (uint64_t p = kFirstPoisoned; p < kFirstPoisoned + kPoisonedPages; ++p) {
    uint64_t pfn = pfn_of(index, p);
    t["pages"].push_back({{"file_page", p},
                          {"fs_device_offset", p * kPageSize},
                          {"pmem_offset", p * kPageSize},
                          {"pfn_computed", pfn},
                          {"pfn_pagemap", pfn},
                          {"pfn_kernel", pfn}});
    t["injection"]["steps"].push_back(
        {{"file_page", p}, {"pfn", pfn}, {"start_ns", base}, {"end_ns", base + 1}, {"ret", 0}, {"errno", 0}});
    t["kernel_log"].push_back(
        fmt::format("[  {}.000100] Injecting memory failure for pfn {:#x} at process virtual address {:#x}", 10 + index,
                    pfn, 0x7f1000000000ull + p * kPageSize));
    t["kernel_log"].push_back(
        fmt::format("[  {}.000200] Memory failure: {:#x}: recovery action for dax page: Recovered", 10 + index, pfn));
  }
  t["victims"].push_back(full_file_victim(index, 0, "early-0", "early-kill"));
  t["victims"].push_back(full_file_victim(index, 1, "early-1", "early-kill"));
  t["victims"].push_back(full_file_victim(index, 2, "late-0", "late-kill"));
  t["victims"].push_back(neighbour_victim());
  json injector = full_file_victim(index, 3, "injector", "injector");
  injector["map_offset_pages"] = kFirstPoisoned;
  injector["map_pages"] = kPoisonedPages;
  injector["map_addr"] = 0x7f1000000000ull + kFirstPoisoned * kPageSize;
  t["victims"].push_back(injector);
  return t;
}

inline json observation() {
  json obs = {{"stack",
               {{"ok", true},
                {"error", nullptr},
                {"region", {{"dev", "region0"}, {"resource", 4294967296ull}, {"size", 1073741824ull}}},
                {"namespace", {{"dev", "namespace0.0"}, {"mode", "fsdax"}, {"blockdev", "pmem0"}, {"align", 2097152}}},
                {"fs_device", "/dev/pmem0"},
                {"dm_table", nullptr},
                {"dax", {{"statx_attr_dax", true}, {"mount_dax_option", true}}}}},
              {"trace", {{"enabled", true}, {"probes", probes()}}},
              {"trials", json::array({trial(0), trial(1)})},
              {"teardown", {{"umount_ok", true}, {"umount_error", nullptr}, {"dm_removed", true}}},
              {"kernel_log", json::array({"[    9.000000] XFS (pmem0): Mounting V5 Filesystem",
                                          "[    9.100000] XFS (pmem0): Ending clean mount"})},
              {"started_ns", trial_base_ns(0) - 1000},
              {"finished_ns", trial_base_ns(2)}};
  for (const json& t : obs["trials"])
    for (const json& line : t["kernel_log"]) obs["kernel_log"].push_back(line);
  return obs;
}

// The oracle called name in a judged cell (a null json if absent).
inline json oracle(const json& judged, const std::string& name) {
  for (const json& o : judged["oracles"])
    if (o["name"] == name) return o;
  return nullptr;
}

// The victim with the given id in a trial.
inline json& victim(json& obs, int trial, const std::string& id) {
  for (json& v : obs["trials"][trial]["victims"])
    if (v["id"] == id) return v;
  throw std::runtime_error("no victim " + id);
}

}  // namespace poisonlab::canned

#pragma once
// Test helper (header only, used by the *_test.cpp files): a cell spec and a
// hand-built observation in the agent's format (PROTOCOL.md) of two madvise
// trials on raw pmem, with a reflinked sharer, on which no oracle fails.
// Tests mutate one thing and check the verdicts that change.
//
// Per trial t: the victim file and sharer-0 share one 16-page extent at
// fs_offset extent_start(t); pages 4..7 are poisoned (one unit and one
// madvise step each); early-0, early-1 and late-0 map the victim's whole
// window, neighbour-0 its pages 8..15, the injector pages 4..7, and
// sharer-0-early-0 the sharer's whole window.
#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace poisonlab::canned {

using nlohmann::json;

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kFilePages = 16;
inline constexpr uint64_t kFirstPoisoned = 4;
inline constexpr uint64_t kPoisonedPages = 4;
inline constexpr uint64_t kInjectorPid = 500;
inline constexpr uint64_t kRegionStart = 0x100000000ull;
inline constexpr uint64_t kDataStart = kRegionStart + 0x200000;  // 2 MiB fsdax data offset
inline constexpr uint64_t kDiskBytes = 512ull << 20;

// Victim numbers: the order of the victims in a trial.
inline constexpr int kEarly0 = 0, kEarly1 = 1, kLate0 = 2, kNeighbour = 3, kInjector = 4, kSharerEarly = 5;

inline uint64_t trial_base_ns(int trial) { return 10'000'000'000ull + static_cast<uint64_t>(trial) * 1'000'000'000ull; }
// Each trial uses fresh blocks.
inline uint64_t extent_start(int trial) { return 0x19000ull + static_cast<uint64_t>(trial) * 0x100000ull; }
inline uint64_t fs_offset_of(int trial, uint64_t file_page) { return extent_start(trial) + file_page * kPageSize; }
inline uint64_t pfn_of(int trial, uint64_t file_page) {
  return (kDataStart + fs_offset_of(trial, file_page)) / kPageSize;
}
inline uint64_t map_addr_of(int victim) { return 0x7f0000000000ull + static_cast<uint64_t>(victim) * 0x100000; }
inline uint64_t map_first_of(int victim) {
  return victim == kNeighbour ? kFirstPoisoned + kPoisonedPages : victim == kInjector ? kFirstPoisoned : 0;
}
inline uint64_t page_addr(int victim, uint64_t file_page) {
  return map_addr_of(victim) + (file_page - map_first_of(victim)) * kPageSize;
}
// Expected signals arrive 1000 ns apart per page, victims 100 ns apart.
inline uint64_t signal_time(int trial, int victim, uint64_t file_page) {
  return trial_base_ns(trial) + 20'000 + (file_page - kFirstPoisoned) * 1000 + static_cast<uint64_t>(victim) * 100;
}

// enum mf_flags of the Debian 6.12 kernel (BTF).
inline json mf_flags() {
  return {{"MF_COUNT_INCREASED", 1}, {"MF_ACTION_REQUIRED", 2}, {"MF_MUST_KILL", 4}, {"MF_SOFT_OFFLINE", 8},
          {"MF_UNPOISON", 16},       {"MF_SW_SIMULATED", 32},   {"MF_NO_RETRY", 64}, {"MF_MEM_PRE_REMOVE", 128}};
}

inline json cell_spec() {
  return json::parse(R"({
    "stack": {"type": "raw"},
    "filesystem": {"type": "xfs", "mkfs_options": ["-m", "rmapbt=1,reflink=1"], "mount_options": ["dax=always"]},
    "namespace": {"mode": "fsdax", "map": "mem", "align": "2M"},
    "file_pages": 16, "sharers": 1,
    "victims": {"early_kill": 2, "late_kill": 1, "neighbour": 1},
    "injection": {"method": "madvise", "target": {"space": "file", "offset_pages": 4}, "pages": 4,
                  "pacing": "per-page", "settle_ms": 1000},
    "trials": 2, "trace": true, "reaccess": true, "fsck": true, "soft_offline": true})");
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

inline json stack() {
  return {
      {"ok", true},
      {"error", nullptr},
      {"type", "raw"},
      {"disks",
       {{{"name", "pmem0"},
         {"majmin", "259:0"},
         {"size_bytes", kDiskBytes},
         {"layout", {{"region_start", kRegionStart}, {"namespace_start", kRegionStart}, {"data_start", kDataStart}}}}}},
      {"fs_device", "/dev/pmem0"},
      {"fs_device_bytes", kDiskBytes},
      {"dm_table", nullptr},
      {"fs_type", "xfs"},
      {"dax", {{"statx_attr_dax", true}, {"mount_dax_option", true}, {"super_options", "rw,dax=always"}}}};
}

inline json files(int trial) {
  auto file = [&](const char* id, const char* role, uint64_t ino, uint32_t flags) {
    return json{
        {"id", id},
        {"role", role},
        {"path", fmt::format("/tmp/poisonlab/mnt/t{}-{}", trial, id)},
        {"ino", ino},
        {"size", kFilePages * kPageSize},
        {"extents",
         {{{"logical", 0}, {"physical", extent_start(trial)}, {"length", kFilePages * kPageSize}, {"flags", flags}}}},
        {"statx_attr_dax", true}};
  };
  return {file("victim", "victim", 131, 0x1), file("sharer-0", "sharer", 132, 0x2001)};
}

inline json pagemap(int trial, uint64_t first, uint64_t count, bool present) {
  json out = json::array();
  for (uint64_t p = first; p < first + count; ++p)
    out.push_back({{"file_page", p}, {"present", present}, {"pfn", present ? json(pfn_of(trial, p)) : json(nullptr)}});
  return out;
}

inline json victim_json(int trial, int number, const std::string& id, const std::string& role,
                        const std::string& file) {
  uint64_t first = map_first_of(number);
  uint64_t pages = number == kNeighbour ? kFilePages - first : number == kInjector ? kPoisonedPages : kFilePages;
  json v = {{"id", id},
            {"role", role},
            {"file", file},
            {"pid", 600 + number},
            {"map_addr", map_addr_of(number)},
            {"map_offset_pages", first},
            {"map_pages", pages},
            {"mapping_page_shift", 12},
            {"mce_kill_policy", role == "late-kill" || role == "injector" ? "late" : "early"},
            {"signals", json::array()},
            {"exit", {{"status", "exited"}, {"code", 0}, {"signal", 0}}}};
  if (number == kNeighbour) {
    v["pagemap_before"] = pagemap(trial, first, pages, true);
    v["pagemap_after"] = pagemap(trial, first, pages, true);
  } else {
    v["pagemap_before"] = pagemap(trial, kFirstPoisoned, kPoisonedPages, true);
    // Every mapper was collected, so the kernel unmapped the whole file's range.
    v["pagemap_after"] = pagemap(trial, kFirstPoisoned, kPoisonedPages, false);
  }
  bool early = role == "early-kill";
  if (early || number == kInjector)
    for (uint64_t p = kFirstPoisoned; p < kFirstPoisoned + kPoisonedPages; ++p)
      v["signals"].push_back({{"signo", 7},
                              {"code", early ? 5 : 4},
                              {"addr", page_addr(number, p)},
                              {"addr_lsb", 12},
                              {"time_ns", signal_time(trial, number, p)}});
  uint64_t reaccess_page = number == kNeighbour ? first : kFirstPoisoned;
  // Software-only poison: the re-fault maps the same pfn again and reads it.
  v["reaccess"] = {{"done", true},
                   {"outcome", "read-ok"},
                   {"file_page", reaccess_page},
                   {"code", nullptr},
                   {"data_matches", true},
                   {"error", nullptr},
                   {"time_ns", trial_base_ns(trial) + 500'000}};
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
                        {"comm", "pl-injector"},
                        {"event", name},
                        {"args", args}});
    };
    ev(0, "memory_failure", {{"pfn", pfn}, {"flags", "0x23"}});
    ev(10, "pmem_pagemap_memory_failure", {{"pfn", pfn}, {"nr", "1"}, {"flags", "0x23"}});
    ev(20, "dax_holder_notify_failure",
       {{"off", fmt::format("{:#x}", fs_offset_of(trial, p))}, {"len", "0x1000"}, {"flags", "0x23"}});
    ev(30, "xfs_dax_notify_failure",
       {{"off", fmt::format("{:#x}", fs_offset_of(trial, p))}, {"len", "0x1000"}, {"flags", "0x23"}});
    ev(40, "mf_dax_kill_procs", {{"index", fmt::format("{:#x}", p)}, {"count", "1"}, {"flags", "0x23"}});
    ev(50, "unmap_mapping_range", {{"start", fmt::format("{:#x}", p * kPageSize)}, {"len", "0x1000"}});
    ev(60, "xfs_dax_notify_failure_ret", {{"ret", "0"}});
    ev(70, "dax_holder_notify_failure_ret", {{"ret", "0"}});
    ev(80, "memory_failure_ret", {{"ret", "0"}});
  }
  return events;
}

inline std::string hex_checksum(int trial, const std::string& file, uint64_t page) {
  return fmt::format("{:016x}", 0x1000ull * static_cast<uint64_t>(trial + 1) + page + (file == "victim" ? 0 : 0x100));
}

inline json checksums(int trial, bool after) {
  json out = json::object();
  for (const char* file : {"victim", "sharer-0"}) {
    json pages = json::object();
    for (uint64_t p = 0; p < kFilePages; ++p) {
      if (after && p >= kFirstPoisoned && p < kFirstPoisoned + kPoisonedPages) continue;  // not read after
      // Sharers hold the same data: a reflink copy.
      pages[std::to_string(p)] = hex_checksum(trial, "victim", p);
    }
    out[file] = pages;
  }
  return out;
}

inline json trial(int index) {
  uint64_t base = trial_base_ns(index);
  json t = {
      {"index", index},
      {"files", files(index)},
      {"target",
       {{"space", "file"},
        {"file", "victim"},
        {"first_page", kFirstPoisoned},
        {"pages", kPoisonedPages},
        {"crosses_extent_boundary", false}}},
      {"window", {{"file", "victim"}, {"first_page", 0}, {"pages", kFilePages}}},
      {"page_size", kPageSize},
      {"units", json::array()},
      {"injection",
       {{"method", "madvise"},
        {"pacing", "per-page"},
        {"start_ns", base},
        {"end_ns", base + 5'000'000},
        {"steps", json::array()}}},
      {"victims", json::array()},
      {"checksums", {{"before", checksums(index, false)}, {"after", checksums(index, true)}}},
      {"pread", json::array()},
      {"badblocks", {{"before", {{"pmem0", json::array()}}}, {"after", {{"pmem0", json::array()}}}}},
      {"fs_write_probe", {{"path", "/tmp/poisonlab/mnt/t0-probe"}, {"ok", true}, {"errno", 0}, {"error", nullptr}}},
      {"soft_offline", index == 0 ? json{{"victim", "early-0"},
                                         {"file_page", 0},
                                         {"replied", true},
                                         {"ret", -1},
                                         {"errno", 5},
                                         {"error", "Input/output error"}}
                                  : json(nullptr)},
      {"kernel_log", json::array()},
      {"trace_events", trace_events(index)},
      {"errors", json::array()}};
  for (uint64_t p = kFirstPoisoned; p < kFirstPoisoned + kPoisonedPages; ++p) {
    uint64_t i = p - kFirstPoisoned, pfn = pfn_of(index, p);
    t["units"].push_back({{"index", i},
                          {"file_page", p},
                          {"fs_offset", fs_offset_of(index, p)},
                          {"disk", "pmem0"},
                          {"disk_offset", fs_offset_of(index, p)},
                          {"phys_addr", pfn * kPageSize},
                          {"pfn_computed", pfn},
                          {"pfn_pagemap", pfn},
                          {"pfn_kernel", pfn},
                          {"kernel_recovery", "dax page: Recovered"}});
    json log = json::array(
        {fmt::format("[  {}.000100] Injecting memory failure for pfn {:#x} at process virtual address {:#x}",
                     10 + index, pfn, page_addr(kInjector, p)),
         fmt::format("[  {}.000200] Memory failure: {:#x}: recovery action for dax page: Recovered", 10 + index, pfn)});
    t["injection"]["steps"].push_back({{"first_unit", i},
                                       {"units", 1},
                                       {"action", fmt::format("madvise(MADV_HWPOISON) pages {}..{}", p, p)},
                                       {"start_ns", base + i * 1000},
                                       {"end_ns", base + i * 1000 + 500},
                                       {"ret", 0},
                                       {"errno", 0},
                                       {"signals_seen_ns", signal_time(index, kSharerEarly, p) + 100},
                                       {"kernel_log", log},
                                       {"host_reply", nullptr},
                                       {"hung", false},
                                       {"error", nullptr}});
    for (const json& line : log) t["kernel_log"].push_back(line);
    for (const char* file : {"victim", "sharer-0"})
      t["pread"].push_back({{"file", file},
                            {"file_page", p},
                            {"bytes", kPageSize},
                            {"errno", 0},
                            {"error", nullptr},
                            {"pattern_ok", true}});
  }
  t["victims"].push_back(victim_json(index, kEarly0, "early-0", "early-kill", "victim"));
  t["victims"].push_back(victim_json(index, kEarly1, "early-1", "early-kill", "victim"));
  t["victims"].push_back(victim_json(index, kLate0, "late-0", "late-kill", "victim"));
  t["victims"].push_back(victim_json(index, kNeighbour, "neighbour-0", "neighbour", "victim"));
  t["victims"].push_back(victim_json(index, kInjector, "injector", "injector", "victim"));
  t["victims"].push_back(victim_json(index, kSharerEarly, "sharer-0-early-0", "early-kill", "sharer-0"));
  return t;
}

inline json teardown() {
  return {{"umount_ok", true},
          {"umount_error", nullptr},
          {"fsck",
           {{"runs",
             {{{"argv", {"xfs_repair", "-n", "/dev/pmem0"}},
               {"exit_code", 0},
               {"timed_out", false},
               {"output_tail", "Phase 1 - find and verify superblock...\n"}}}},
            {"log_replay", nullptr},
            {"clean", true},
            {"skipped", nullptr}}},
          {"dm_removed", nullptr},
          {"dm_error", nullptr},
          {"region_badblocks", {{"region0", json::array()}}}};
}

inline json observation() {
  json obs = {{"stack", stack()},
              {"trace", {{"enabled", true}, {"probes", probes()}, {"error", nullptr}}},
              {"kernel_enums", {{"mf_flags", mf_flags()}}},
              {"trials", json::array({trial(0), trial(1)})},
              {"teardown", teardown()},
              {"kernel_taint", {{"before", 0}, {"after", 0}}},
              {"vm_unusable", nullptr},
              {"kernel_log", json::array({"[    9.000000] XFS (pmem0): Mounting V5 Filesystem",
                                          "[    9.100000] XFS (pmem0): Ending clean mount"})},
              {"kernel_log_clock", "printk"},
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

// The same cell with method hwpoison-pfn on an XFS inode chunk (one unit at
// fs_offset 64 KiB, which no trial file owns): no signals, no pagemap; the
// file system shut down (trace event, log line, EIO on new writes).
// A one-step injection whose step ran from base to step_end_ns and logged log.
inline json one_step_injection(const std::string& method, uint64_t base, uint64_t end_ns, uint64_t step_end_ns,
                               uint64_t units, const std::string& action, const json& log) {
  return {{"method", method},
          {"pacing", "per-page"},
          {"start_ns", base},
          {"end_ns", end_ns},
          {"steps",
           {{{"first_unit", 0},
             {"units", units},
             {"action", action},
             {"start_ns", base},
             {"end_ns", step_end_ns},
             {"ret", 0},
             {"errno", 0},
             {"signals_seen_ns", nullptr},
             {"kernel_log", log},
             {"host_reply", nullptr},
             {"hung", false},
             {"error", nullptr}}}}};
}

// A trace event of the agent's own task (pid 77), base + dt ns.
inline json agent_event(uint64_t base, uint64_t dt, const char* name, json args) {
  return {{"time_ns", base + dt}, {"cpu", 0}, {"pid", 77}, {"comm", "poisonlab-agent"}, {"event", name}, {"args", args}};
}

inline json metadata_spec() {
  json spec = cell_spec();
  spec["injection"] = {{"method", "hwpoison-pfn"},
                       {"target", {{"space", "metadata"}, {"structure", "inode-chunk"}, {"ag", 0}}},
                       {"pages", 1},
                       {"pacing", "per-page"},
                       {"settle_ms", 1000}};
  spec["victims"] = {{"early_kill", 2}, {"late_kill", 1}, {"neighbour", 0}};
  return spec;
}

inline json metadata_observation() {
  json obs = observation();
  obs["kernel_log"] = json::array();
  for (int i = 0; i < 2; ++i) {
    json& t = obs["trials"][i];
    uint64_t fs_offset = 0x10000, pfn = (kDataStart + fs_offset) / kPageSize, base = trial_base_ns(i);
    std::string hex = fmt::format("{:#x}", pfn);
    t["target"] = {{"space", "metadata"}, {"structure", "inode-chunk"}, {"ag", 0}, {"daddr", 128}, {"inode", 131}};
    t["units"] = {{{"index", 0},
                   {"file_page", nullptr},
                   {"fs_offset", fs_offset},
                   {"disk", "pmem0"},
                   {"disk_offset", fs_offset},
                   {"phys_addr", pfn * kPageSize},
                   {"pfn_computed", pfn},
                   {"pfn_pagemap", nullptr},
                   {"pfn_kernel", pfn},
                   {"kernel_recovery", "dax page: Failed"}}};
    json log = {fmt::format("[ 32.6] Injecting memory failure at pfn {}", hex),
                "[ 32.7] XFS (pmem0): Corruption of on-disk metadata (0x10) detected at xfs_dax_notify_ddev_failure. "
                "Shutting down filesystem.",
                fmt::format("[ 32.8] Memory failure: {}: recovery action for dax page: Failed", hex)};
    t["injection"] = one_step_injection("hwpoison-pfn", base, base + 10'000, base + 5000, 1, "corrupt-pfn <- " + hex, log);
    t["kernel_log"] = log;
    auto ev = [&](uint64_t dt, const char* name, json args) { return agent_event(base, dt, name, std::move(args)); };
    t["trace_events"] = {
        ev(10, "memory_failure", {{"pfn", hex}, {"flags", "0x20"}}),
        ev(20, "pmem_pagemap_memory_failure", {{"pfn", hex}, {"nr", "1"}, {"flags", "0x20"}}),
        ev(30, "dax_holder_notify_failure", {{"off", "0x10000"}, {"len", "0x1000"}, {"flags", "0x20"}}),
        ev(40, "xfs_dax_notify_failure", {{"off", "0x10000"}, {"len", "0x1000"}, {"flags", "0x20"}}),
        ev(50, "xfs_force_shutdown", {{"flags", "corrupt_ondisk"}, {"dev", "259:0"}}),
        ev(60, "xfs_dax_notify_failure_ret", {{"ret", "0"}}),
        ev(70, "dax_holder_notify_failure_ret", {{"ret", "0"}}),
        ev(80, "memory_failure_ret", {{"ret", "0"}})};
    json victims = json::array();
    for (json& v : t["victims"]) {
      if (v["role"] == "neighbour" || v["role"] == "injector") continue;
      v["signals"] = json::array();
      v["pagemap_before"] = json::array();
      v["pagemap_after"] = json::array();
      v["reaccess"]["file_page"] = 0;
      victims.push_back(v);
    }
    t["victims"] = victims;
    t["pread"] = json::array();
    t["checksums"]["after"] = checksums(i, false);
    t["fs_write_probe"] = {{"ok", false}, {"errno", 5}, {"error", "Input/output error"}};
    for (const json& line : log) obs["kernel_log"].push_back(line);
  }
  return obs;
}

// The same cell unbinding the namespace (method unbind): no units; XFS gets
// the whole-device notification with MF_MEM_PRE_REMOVE; every mapper is
// signalled once; the agent records no pagemap.
inline json unbind_spec() {
  json spec = cell_spec();
  spec["injection"] = {
      {"method", "unbind"}, {"target", {{"space", "namespace"}}}, {"pacing", "per-page"}, {"settle_ms", 1000}};
  spec["victims"] = {{"early_kill", 2}, {"late_kill", 1}, {"neighbour", 0}};
  spec["trials"] = 1;
  return spec;
}

inline json unbind_observation() {
  json obs = observation();
  obs["trials"].erase(1);
  json& t = obs["trials"][0];
  uint64_t base = trial_base_ns(0);
  t["target"] = {{"space", "namespace"}, {"disk", "pmem0"}};
  t["units"] = json::array();
  json log = {"[ 37.7] XFS (pmem0): Device is about to be removed!",
              "[ 37.8] XFS (pmem0): User initiated shutdown received."};
  t["injection"] = one_step_injection("unbind", base, base + 200'000'000, base + 150'000'000, 0,
                                     "/sys/bus/nd/drivers/nd_pmem/unbind <- pfn0.0", log);
  t["kernel_log"] = log;
  obs["kernel_log"] = log;
  auto ev = [&](uint64_t dt, const char* name, json args) { return agent_event(base, dt, name, std::move(args)); };
  json whole = {{"off", "0x0"}, {"len", "0xffffffffffffffff"}, {"flags", "0x80"}};
  t["trace_events"] = {ev(1000, "dax_holder_notify_failure", whole), ev(2000, "xfs_dax_notify_failure", whole),
                       ev(3000, "xfs_force_shutdown", {{"flags", "force_umount"}}),
                       ev(4000, "xfs_dax_notify_failure_ret", {{"ret", "0"}}),
                       ev(5000, "dax_holder_notify_failure_ret", {{"ret", "0"}})};
  json victims = json::array();
  for (json& v : t["victims"]) {
    if (v["role"] == "neighbour" || v["role"] == "injector") continue;
    v["pagemap_before"] = json::array();
    v["pagemap_after"] = json::array();
    json signals = json::array();
    int number = v["id"] == "early-1"   ? kEarly1
                 : v["id"] == "late-0"  ? kLate0
                 : v["id"] == "early-0" ? kEarly0
                                        : kSharerEarly;
    signals.push_back({{"signo", 7},
                       {"code", 5},
                       {"addr", page_addr(number, 0)},
                       {"addr_lsb", 12},
                       {"time_ns", base + 10'000'000 + static_cast<uint64_t>(number) * 1000}});
    v["signals"] = signals;
    v["reaccess"] = {
        {"done", true},     {"outcome", "sigbus"},          {"file_page", 0}, {"code", 2}, {"data_matches", nullptr},
        {"error", nullptr}, {"time_ns", base + 300'000'000}};
    victims.push_back(v);
  }
  t["victims"] = victims;
  t["pread"] = json::array();
  t["checksums"]["after"] = json::object();
  for (const char* file : {"victim", "sharer-0"})
    for (uint64_t p = 0; p < kFilePages; ++p)
      t["checksums"]["after"][file][std::to_string(p)] = "error: Input/output error";
  t["fs_write_probe"] = {{"ok", false}, {"errno", 5}, {"error", "Input/output error"}};
  t["soft_offline"] = {{"victim", "early-0"}, {"file_page", 0}, {"replied", true},
                       {"ret", -1},           {"errno", 14},    {"error", "Bad address"}};
  json td = teardown();
  td["fsck"] = {{"runs",
                 {{{"argv", {"xfs_repair", "-n", "/dev/pmem0"}},
                   {"exit_code", 1},
                   {"timed_out", false},
                   {"output_tail",
                    "/dev/pmem0: No such file or directory\n\nfatal error -- couldn't "
                    "initialize XFS library\n"}}}},
                {"log_replay", nullptr},
                {"clean", false},
                {"skipped", nullptr}};
  obs["stacks"] = json::array({obs["stack"]});
  obs["teardowns"] = json::array({td});
  obs["teardown"] = td;
  return obs;
}

}  // namespace poisonlab::canned

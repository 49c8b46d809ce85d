#pragma once
// Generator of a large agent message (bench and tests only): the
// "cell-result" line the agent sends for corrupt-pfn (hwpoison-pfn) poison
// on N pages of a file on XFS-DAX over raw pmem, burst pacing, one unit and
// one step per page, as a sweep-range point sends it (PROTOCOL.md). It is
// the canned observation (runner/oracles/canned_observation.h) scaled up:
// victims early-0, early-1 and late-0 map the whole window (N + 8 pages),
// neighbour-0 its 4 pages after the range; per page a unit, a step, a
// pread, a checksum, 4 kernel log lines (in the step, the trial and the
// cell), 2 AO signals, 3 pagemap entries before and after, and 13 trace
// events of one memory_failure (memory_failure, pmem_pagemap_memory_failure,
// dax_holder_notify_failure, xfs_dax_notify_failure, mf_dax_kill_procs,
// unmap_mapping_range and its return, 2 signal_generate, the two notify
// returns, ras:memory_failure_event, memory_failure_ret) with increasing
// times, `where` and the old `text` field as the agent wrote them.
//
// The line is streamed to an ostream piece by piece, so generating a
// 16384-page line (about 200 MB) costs the generator a few MB, not the
// hundreds of MB of a JSON tree. Every oracle passes on it.
#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "oracles/canned_observation.h"

namespace poisonlab::large {

using nlohmann::json;
using canned::kDataStart;
using canned::kPageSize;
using canned::kRegionStart;

inline constexpr uint64_t kOffsetPages = 4;  // first poisoned file page
inline constexpr uint64_t kExtraPages = 8;   // window pages outside the range: 4 before, 4 after
inline constexpr uint64_t kAgentPid = 77;
inline constexpr uint64_t kDiskBytes = 8ull << 30;
inline constexpr uint64_t kPerPageNs = 2'000'000;  // about 2 ms a page under TCG

struct Shape {
  uint64_t pages = 16384;
  int trials = 1;
  bool text_field = true;  // the TraceEvent "text" the agent wrote before it was dropped
};

inline uint64_t window_pages(const Shape& s) { return s.pages + kExtraPages; }
inline uint64_t extent_start(int trial) { return 0x100000ull + static_cast<uint64_t>(trial) * 0x40000000ull; }
inline uint64_t fs_offset_of(int trial, uint64_t page) { return extent_start(trial) + page * kPageSize; }
inline uint64_t pfn_of(int trial, uint64_t page) { return (kDataStart + fs_offset_of(trial, page)) / kPageSize; }
inline uint64_t trial_base_ns(int trial) { return 100'000'000'000ull + static_cast<uint64_t>(trial) * 500'000'000'000ull; }
inline uint64_t page_ns(int trial, uint64_t i) { return trial_base_ns(trial) + 1'000'000 + i * kPerPageNs; }
inline uint64_t map_addr_of(int victim) { return 0x7f0000000000ull + static_cast<uint64_t>(victim) * 0x100000000ull; }
inline int victim_pid(int victim) { return 600 + victim; }

inline json cell_spec(const Shape& s) {
  json spec = canned::cell_spec();
  spec["file_pages"] = window_pages(s);
  spec["sharers"] = 0;
  spec["injection"] = {{"method", "hwpoison-pfn"},
                       {"target", {{"space", "file"}, {"offset_pages", kOffsetPages}}},
                       {"pages", s.pages},
                       {"pacing", "burst"},
                       {"settle_ms", 1000}};
  spec["trials"] = s.trials;
  spec["fsck"] = false;
  spec["soft_offline"] = false;
  return spec;
}

inline std::string stamp(uint64_t ns) { return fmt::format("[{:5}.{:06}]", ns / 1'000'000'000, ns / 1000 % 1'000'000); }

// The 4 kernel log lines of page i.
inline json page_log(int trial, uint64_t i) {
  uint64_t pfn = pfn_of(trial, kOffsetPages + i), t = page_ns(trial, i);
  return json::array({fmt::format("{} Injecting memory failure at pfn {:#x}", stamp(t), pfn),
                      fmt::format("{} Memory failure: {:#x}: Sending SIGBUS to pl-victim:{} due to hardware memory "
                                  "corruption", stamp(t + 100'000), pfn, victim_pid(0)),
                      fmt::format("{} Memory failure: {:#x}: Sending SIGBUS to pl-victim:{} due to hardware memory "
                                  "corruption", stamp(t + 101'000), pfn, victim_pid(1)),
                      fmt::format("{} Memory failure: {:#x}: recovery action for dax page: Recovered",
                                  stamp(t + 150'000), pfn)});
}

// One trace event as trace_parse's to_json wrote it (with `text` when asked).
inline void put_event(std::ostream& out, const Shape& s, bool& first, uint64_t time_ns, const char* event,
                      const std::string& where, const std::string& payload, json args) {
  json e = {{"time_ns", time_ns}, {"cpu", 1},     {"pid", kAgentPid}, {"comm", "poisonlab-agent"},
            {"event", event},     {"args", args}, {"where", where}};
  if (s.text_field) e["text"] = where.empty() ? payload : payload.empty() ? where : where + " " + payload;
  out << (first ? "" : ",") << e.dump();
  first = false;
}

inline void put_trace_events(std::ostream& out, const Shape& s, int trial) {
  out << "[";
  bool first = true;
  for (uint64_t i = 0; i < s.pages; ++i) {
    uint64_t page = kOffsetPages + i, t = page_ns(trial, i) + 50'000;
    std::string pfn = fmt::format("{:#x}", pfn_of(trial, page)), off = fmt::format("{:#x}", fs_offset_of(trial, page));
    auto ev = [&](uint64_t dt, const char* name, const std::string& where, json args) {
      std::string payload;
      for (const auto& [k, v] : args.items()) payload += (payload.empty() ? "" : " ") + k + "=" + v.get<std::string>();
      put_event(out, s, first, t + dt, name, where, payload, std::move(args));
    };
    ev(0, "memory_failure", "(memory_failure+0x4/0xd80)", {{"pfn", pfn}, {"flags", "0x20"}});
    ev(8'000, "pmem_pagemap_memory_failure", "(pmem_pagemap_memory_failure+0x4/0x60 [nd_pmem])",
       {{"pfn", pfn}, {"nr", "0x1"}, {"flags", "0x20"}});
    ev(10'000, "dax_holder_notify_failure", "(dax_holder_notify_failure+0x4/0x90)",
       {{"off", off}, {"len", "0x1000"}, {"flags", "0x20"}});
    ev(12'000, "xfs_dax_notify_failure", "(xfs_dax_notify_failure+0x4/0x1d0 [xfs])",
       {{"off", off}, {"len", "0x1000"}, {"flags", "0x20"}});
    ev(40'000, "mf_dax_kill_procs", "(mf_dax_kill_procs+0x4/0x230)",
       {{"index", fmt::format("{:#x}", page)}, {"count", "1"}, {"flags", "0x20"}});
    ev(45'000, "unmap_mapping_range", "(unmap_mapping_range+0x4/0x140)",
       {{"start", fmt::format("{:#x}", page * kPageSize)}, {"len", "0x1000"}});
    ev(60'000, "unmap_mapping_range_ret", "(mf_dax_kill_procs+0x1a5/0x230 <- unmap_mapping_range)", json::object());
    for (int v = 0; v < 2; ++v)
      put_event(out, s, first, t + 70'000 + static_cast<uint64_t>(v) * 1000, "signal_generate", "",
                fmt::format("sig=7 errno=0 code=5 comm=pl-victim pid={} grp=0 res=0", victim_pid(v)),
                {{"sig", "7"}, {"errno", "0"}, {"code", "5"}, {"comm", "pl-victim"},
                 {"pid", std::to_string(victim_pid(v))}, {"grp", "0"}, {"res", "0"}});
    ev(80'000, "xfs_dax_notify_failure_ret", "(dax_holder_notify_failure+0x5e/0x90 <- xfs_dax_notify_failure)",
       {{"ret", "0"}});
    ev(81'000, "dax_holder_notify_failure_ret", "(memory_failure+0x2c1/0xd80 <- dax_holder_notify_failure)",
       {{"ret", "0"}});
    put_event(out, s, first, t + 90'000, "memory_failure_event", "",
              fmt::format("pfn {}: recovery action for dax page: Recovered", pfn),
              {{"pfn", pfn}, {"type", "dax page"}, {"result", "Recovered"}});
    ev(95'000, "memory_failure_ret", "(hwpoison_inject+0x123/0x1c0 [hwpoison_inject] <- memory_failure)",
       {{"ret", "0"}});
  }
  out << "]";
}

// Writes a JSON array whose items item(i) makes, i < n.
template <typename F>
void put_array(std::ostream& out, uint64_t n, F item) {
  out << "[";
  for (uint64_t i = 0; i < n; ++i) out << (i ? "," : "") << item(i).dump();
  out << "]";
}

inline json victim_head(const Shape& s, int number, const char* id, const char* role) {
  bool neighbour = number == 3;
  return {{"id", id},
          {"role", role},
          {"file", "victim"},
          {"pid", victim_pid(number)},
          {"map_addr", map_addr_of(number)},
          {"map_offset_pages", neighbour ? kOffsetPages + s.pages : 0},
          {"map_pages", neighbour ? kExtraPages / 2 : window_pages(s)},
          {"mapping_page_shift", nullptr},
          {"mce_kill_policy", number == 2 ? "late" : "early"},
          {"signals_dropped", 0},
          {"reaccess",
           {{"done", true},
            {"outcome", "read-ok"},
            {"file_page", neighbour ? kOffsetPages + s.pages : kOffsetPages},
            {"code", nullptr},
            {"data_matches", true},
            {"error", nullptr},
            {"time_ns", page_ns(0, s.pages) + 900'000'000}}},
          {"exit", {{"status", "exited"}, {"code", 0}, {"signal", 0}}}};
}

inline void put_victim(std::ostream& out, const Shape& s, int trial, int number, const char* id, const char* role) {
  json head = victim_head(s, number, id, role);
  std::string text = head.dump();
  out << text.substr(0, text.size() - 1);  // without the closing brace
  bool neighbour = number == 3, early = number < 2;
  uint64_t first = neighbour ? kOffsetPages + s.pages : kOffsetPages, count = neighbour ? kExtraPages / 2 : s.pages;
  out << ",\"signals\":";
  put_array(out, early ? s.pages : 0, [&](uint64_t i) {
    uint64_t page = kOffsetPages + i;
    return json{{"signo", 7},
                {"code", 5},
                {"addr", map_addr_of(number) + page * kPageSize},
                {"addr_lsb", 12},
                {"time_ns", page_ns(trial, i) + 150'000 + static_cast<uint64_t>(number) * 1000}};
  });
  for (bool after : {false, true}) {
    out << (after ? ",\"pagemap_after\":" : ",\"pagemap_before\":");
    put_array(out, count, [&](uint64_t i) {
      uint64_t page = first + i, pfn = pfn_of(trial, page);
      bool present = neighbour || !after;
      return json{{"file_page", page},
                  {"present", present},
                  {"pfn", present ? json(pfn) : json(nullptr)},
                  {"raw", present ? (0xa1ull << 56) | pfn : 0ull}};
    });
  }
  out << "}";
}

inline void put_trial(std::ostream& out, const Shape& s, int index) {
  uint64_t base = trial_base_ns(index), end = page_ns(index, s.pages);
  uint64_t window = window_pages(s);
  json head = {
      {"index", index},
      {"files",
       {{{"id", "victim"},
         {"role", "victim"},
         {"path", fmt::format("/tmp/poisonlab/mnt/t{}-victim", index)},
         {"ino", 131 + index},
         {"size", window * kPageSize},
         {"extents", {{{"logical", 0}, {"physical", extent_start(index)}, {"length", window * kPageSize}, {"flags", 1}}}},
         {"statx_attr_dax", true}}}},
      {"target",
       {{"space", "file"}, {"file", "victim"}, {"first_page", kOffsetPages}, {"pages", s.pages},
        {"crosses_extent_boundary", false}}},
      {"window", {{"file", "victim"}, {"first_page", 0}, {"pages", window}}},
      {"page_size", kPageSize},
      {"badblocks", {{"before", {{"pmem0", json::array()}}}, {"after", {{"pmem0", json::array()}}}}},
      {"fs_write_probe", {{"path", fmt::format("/tmp/poisonlab/mnt/t{}-probe", index)}, {"ok", true}, {"errno", 0},
                          {"error", nullptr}}},
      {"soft_offline", nullptr},
      {"perf", nullptr},
      {"errors", json::array()},
      {"phases_ns", {{"aim", 1'000'000}, {"victims_ready", 20'000'000}, {"before", 30'000'000},
                     {"inject", end - base}, {"after", 40'000'000}, {"exit", 5'000'000}, {"trace_read", 900'000'000}}},
      {"start_ns", base - 100'000'000},
      {"end_ns", end + 2'000'000'000}};
  std::string text = head.dump();
  out << text.substr(0, text.size() - 1);
  out << ",\"units\":";
  put_array(out, s.pages, [&](uint64_t i) {
    uint64_t page = kOffsetPages + i, pfn = pfn_of(index, page);
    return json{{"index", i},
                {"file_page", page},
                {"fs_offset", fs_offset_of(index, page)},
                {"disk", "pmem0"},
                {"disk_offset", fs_offset_of(index, page)},
                {"phys_addr", pfn * kPageSize},
                {"pfn_computed", pfn},
                {"pfn_pagemap", pfn},
                {"pfn_kernel", pfn},
                {"kernel_recovery", "dax page: Recovered"}};
  });
  out << ",\"injection\":{\"method\":\"hwpoison-pfn\",\"pacing\":\"burst\",\"start_ns\":" << base
      << ",\"end_ns\":" << end << ",\"steps\":";
  put_array(out, s.pages, [&](uint64_t i) {
    uint64_t pfn = pfn_of(index, kOffsetPages + i), t = page_ns(index, i);
    return json{{"first_unit", i},
                {"units", 1},
                {"action", fmt::format("/sys/kernel/debug/hwpoison/corrupt-pfn <- {:#x}", pfn)},
                {"start_ns", t},
                {"end_ns", t + 1'500'000},
                {"ret", 0},
                {"errno", 0},
                {"signals_seen_ns", i + 1 == s.pages ? json(end + 1000) : json(nullptr)},
                {"kernel_log", page_log(index, i)},
                {"host_reply", nullptr},
                {"consumer", nullptr},
                {"hung", false},
                {"error", nullptr}};
  });
  out << "},\"victims\":[";
  put_victim(out, s, index, 0, "early-0", "early-kill");
  out << ",";
  put_victim(out, s, index, 1, "early-1", "early-kill");
  out << ",";
  put_victim(out, s, index, 2, "late-0", "late-kill");
  out << ",";
  put_victim(out, s, index, 3, "neighbour-0", "neighbour");
  out << "],\"checksums\":{\"before\":{\"victim\":{";
  for (uint64_t p = 0; p < window; ++p)
    out << (p ? "," : "") << fmt::format("\"{}\":\"{:016x}\"", p, 0x5000000ull * (index + 1) + p);
  out << "}},\"after\":{\"victim\":{";
  bool first = true;
  for (uint64_t p = 0; p < window; ++p) {
    if (p >= kOffsetPages && p < kOffsetPages + s.pages) continue;
    out << (first ? "" : ",") << fmt::format("\"{}\":\"{:016x}\"", p, 0x5000000ull * (index + 1) + p);
    first = false;
  }
  out << "}}},\"pread\":";
  put_array(out, s.pages, [&](uint64_t i) {
    return json{{"file", "victim"}, {"file_page", kOffsetPages + i}, {"bytes", kPageSize}, {"errno", 0},
                {"error", nullptr}, {"pattern_ok", true}};
  });
  out << ",\"kernel_log\":[";
  for (uint64_t i = 0; i < s.pages; ++i) {
    std::string lines = page_log(index, i).dump();
    out << (i ? "," : "") << lines.substr(1, lines.size() - 2);
  }
  out << "],\"trace_events\":";
  put_trace_events(out, s, index);
  out << "}";
}

inline json stack() {
  json st = canned::stack();
  st["disks"][0]["size_bytes"] = kDiskBytes;
  st["fs_device_bytes"] = kDiskBytes;
  st["namespaces"] = json::array();
  st["phases_ns"] = {{"namespace", 1'000'000'000}, {"dm", nullptr}, {"mkfs", 2'000'000'000}, {"mount", 100'000'000}};
  return st;
}

// The whole message line (with its newline).
inline void write_cell_result(std::ostream& out, const Shape& s, const std::string& cell_id) {
  json trace = {{"enabled", true}, {"probes", canned::probes()}, {"error", nullptr},
                {"instance", "/sys/kernel/tracing/instances/poisonlab"}, {"trace_clock", "mono"},
                {"probe_setup_ns", 40'000'000}};
  out << "{\"type\":\"cell-result\",\"cell_id\":" << json(cell_id).dump() << ",\"observation\":{";
  out << "\"stack\":" << stack().dump() << ",\"trace\":" << trace.dump()
      << ",\"kernel_enums\":" << json{{"mf_flags", canned::mf_flags()}}.dump() << ",\"trials\":[";
  for (int t = 0; t < s.trials; ++t) {
    if (t) out << ",";
    put_trial(out, s, t);
  }
  out << "],\"teardown\":" << canned::teardown().dump()
      << ",\"kernel_taint\":{\"before\":0,\"after\":0},\"vm_unusable\":null,\"kernel_log\":[";
  bool first = true;
  for (int t = 0; t < s.trials; ++t)
    for (uint64_t i = 0; i < s.pages; ++i) {
      std::string lines = page_log(t, i).dump();
      out << (first ? "" : ",") << lines.substr(1, lines.size() - 2);
      first = false;
    }
  out << "],\"kernel_log_clock\":\"printk\",\"started_ns\":" << trial_base_ns(0) - 1'000'000'000
      << ",\"finished_ns\":" << page_ns(s.trials - 1, s.pages) + 3'000'000'000ull << "}}\n";
}

}  // namespace poisonlab::large

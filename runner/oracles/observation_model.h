#pragma once
// The parts of an observation (PROTOCOL.md) the oracles read, checked and
// typed once, so each oracle works on plain structs. A field of the wrong
// type or a missing required field throws InputError naming its JSON
// pointer (file "observation").
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace poisonlab::oracles {

inline constexpr int kSigbus = 7;
inline constexpr int kBusMceerrAr = 4;  // action required: the accessing task
inline constexpr int kBusMceerrAo = 5;  // action optional: early kill

inline constexpr std::string_view kRoleEarlyKill = "early-kill";
inline constexpr std::string_view kRoleLateKill = "late-kill";
inline constexpr std::string_view kRoleNeighbour = "neighbour";

struct SignalRecord {
  int signo = 0;
  int code = 0;
  uint64_t addr = 0;
  std::optional<int> addr_lsb;
  std::optional<uint64_t> time_ns;
};

struct PagemapEntry {
  uint64_t file_page = 0;
  std::optional<bool> present;  // null: the agent could not read pagemap
  std::optional<uint64_t> pfn;
};

struct ReaccessRecord {
  bool done = false;
  std::string outcome;  // "sigbus" | "read-ok" | "timeout" | "not-run"
  std::optional<uint64_t> file_page;
  std::optional<int> code;
  std::optional<uint64_t> time_ns;
  std::optional<bool> data_matches;  // read-ok: the page still held its pattern
  std::optional<std::string> error;
};

struct VictimRecord {
  std::string id;
  std::string role;
  int64_t pid = 0;
  uint64_t map_addr = 0;
  uint64_t map_offset_pages = 0;
  uint64_t map_pages = 0;
  std::optional<int> mapping_page_shift;
  std::vector<SignalRecord> signals;
  std::optional<std::vector<PagemapEntry>> pagemap_after;
  std::optional<ReaccessRecord> reaccess;

  bool covers(uint64_t file_page) const {
    return file_page >= map_offset_pages && file_page - map_offset_pages < map_pages;
  }
};

struct PoisonedPage {
  uint64_t file_page = 0;
  std::optional<uint64_t> pfn_computed;
  std::optional<uint64_t> pfn_pagemap;
  std::optional<uint64_t> pfn_kernel;
};

struct InjectionStep {
  uint64_t file_page = 0;
  uint64_t pages = 1;  // a burst madvise step covers [file_page, file_page + pages)
  std::optional<uint64_t> pfn;
  int64_t ret = 0;
  int64_t err = 0;                   // errno
  std::optional<std::string> error;  // the agent could not run the step
};

struct InjectionRecord {
  std::string method;
  std::optional<uint64_t> start_ns;
  std::optional<uint64_t> end_ns;
  std::vector<InjectionStep> steps;
};

struct TrialRecord {
  uint64_t index = 0;
  uint64_t page_size = 4096;
  std::vector<PoisonedPage> pages;
  std::vector<uint64_t> poisoned_file_pages;  // from pages, or from range when pages is empty
  std::optional<InjectionRecord> injection;
  std::vector<VictimRecord> victims;
  std::vector<std::string> kernel_log;
  nlohmann::json trace_events = nlohmann::json::array();
  std::vector<std::string> errors;
};

struct ObservationRecord {
  bool stack_ok = false;
  std::string stack_error;
  nlohmann::json dax;  // stack.dax as observed, or null
  bool trace_enabled = false;
  nlohmann::json probes = nlohmann::json::array();
  std::vector<TrialRecord> trials;
  bool teardown_recorded = false;
  std::optional<bool> umount_ok;
  nlohmann::json umount_error;
  std::vector<std::string> kernel_log;  // the cell's, or all trials' when the cell's is absent
};

ObservationRecord parse_observation(const nlohmann::json& observation);

// Whether the probe called name was created (trace.probes[].ok).
bool probe_ok(const ObservationRecord& obs, std::string_view name);

}  // namespace poisonlab::oracles

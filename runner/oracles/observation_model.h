#pragma once
// The parts of an observation (PROTOCOL.md, "Observation") the oracles read,
// checked and typed once, so each oracle works on plain structs. A field of
// the wrong type or a missing required field throws InputError naming its
// JSON pointer (file "observation"). Fields a trial that was aborted early
// leaves null or empty (files, target, window, units, injection, ...) parse
// as empty.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "address/extents.h"
#include "observe/trace_parse.h"

namespace poisonlab::oracles {

inline constexpr int kSigbus = 7;
inline constexpr int kBusAdrerr = 2;    // a fault on an address with no backing (removed device, ...)
inline constexpr int kBusMceerrAr = 4;  // action required: the accessing task
inline constexpr int kBusMceerrAo = 5;  // action optional: early kill
inline constexpr int kEio = 5;
inline constexpr uint64_t kPageBytes = 4096;
inline constexpr uint64_t kSectorBytes = 512;

inline constexpr std::string_view kRoleEarlyKill = "early-kill";
inline constexpr std::string_view kRoleLateKill = "late-kill";
inline constexpr std::string_view kRoleNeighbour = "neighbour";
inline constexpr std::string_view kRoleInjector = "injector";
inline constexpr std::string_view kRoleConsumer = "consumer";  // mce action required

struct SignalRecord {
  int signo = 0;
  int code = 0;
  uint64_t addr = 0;
  std::optional<int> addr_lsb;
  std::optional<uint64_t> time_ns;
  bool machine_check() const { return signo == kSigbus && (code == kBusMceerrAo || code == kBusMceerrAr); }
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
  std::string file;  // the trial file id it maps ("victim", "sharer-0")
  int64_t pid = 0;
  uint64_t map_addr = 0;
  uint64_t map_offset_pages = 0;  // file page of the mapping's first page
  uint64_t map_pages = 0;
  std::optional<int> mapping_page_shift;
  std::vector<SignalRecord> signals;
  std::vector<PagemapEntry> pagemap_before;
  std::vector<PagemapEntry> pagemap_after;
  std::optional<ReaccessRecord> reaccess;
  nlohmann::json exit;

  bool covers(uint64_t file_page) const {
    return file_page >= map_offset_pages && file_page - map_offset_pages < map_pages;
  }
  uint64_t page_address(uint64_t file_page) const { return map_addr + (file_page - map_offset_pages) * kPageBytes; }
  // The file page an address falls in, if it is inside the mapping.
  std::optional<uint64_t> file_page_of(uint64_t addr) const;
  bool early_kill() const { return role == kRoleEarlyKill || role == kRoleNeighbour; }
  const PagemapEntry* before(uint64_t file_page) const;
  const PagemapEntry* after(uint64_t file_page) const;
};

struct FileRecord {
  std::string id;    // "victim", "sharer-0", "filler"
  std::string role;  // "victim" | "sharer" | "filler"
  std::string path;
  uint64_t ino = 0;
  uint64_t size = 0;
  std::vector<address::Extent> extents;
  std::optional<bool> statx_dax;
};

// One poisoned 4 KiB page as the agent aimed it.
struct UnitRecord {
  uint64_t index = 0;
  std::optional<uint64_t> file_page;  // victim file page, for file targets
  std::optional<uint64_t> fs_offset;
  std::string disk;
  uint64_t disk_offset = 0;
  uint64_t phys_addr = 0;
  uint64_t pfn_computed = 0;
  std::optional<uint64_t> pfn_pagemap;
  std::optional<uint64_t> pfn_kernel;
};

struct StepRecord {
  uint64_t first_unit = 0;
  uint64_t units = 0;
  std::string action;
  std::optional<uint64_t> start_ns;
  std::optional<uint64_t> end_ns;
  int64_t ret = -1;
  int64_t err = 0;  // errno
  std::optional<uint64_t> signals_seen_ns;
  std::vector<std::string> kernel_log;
  nlohmann::json host_reply;  // mce: the runner's reply, else null
  bool hung = false;
  std::optional<std::string> error;
};

struct InjectionRecord {
  std::string method;
  std::string pacing;
  std::optional<uint64_t> start_ns;
  std::optional<uint64_t> end_ns;
  std::vector<StepRecord> steps;
};

struct PreadRecord {
  std::string file;
  uint64_t file_page = 0;
  int64_t bytes = 0;
  int64_t err = 0;
  std::optional<bool> pattern_ok;
};

struct WindowRecord {
  std::string file;
  uint64_t first_page = 0;
  uint64_t pages = 0;
};

struct FsWriteProbe {
  bool ok = false;
  int64_t err = 0;
};

struct SoftOfflineRecord {
  std::optional<std::string> victim;
  std::optional<uint64_t> file_page;
  bool replied = false;
  std::optional<int64_t> ret;
  int64_t err = 0;
  std::optional<std::string> error;
};

// file id -> page -> "0123abcd..." or "error: ..."
using Checksums = std::map<std::string, std::map<uint64_t, std::string>>;
// pmem disk name -> "sector count" lines
using Badblocks = std::map<std::string, std::vector<std::string>>;

struct TrialRecord {
  uint64_t index = 0;
  std::optional<uint64_t> stack_index;  // which of observation.stacks it ran on (absent: one stack per trial or one stack)
  uint64_t page_size = kPageBytes;
  std::vector<FileRecord> files;
  nlohmann::json target;  // how the target was resolved, or null
  nlohmann::json cxl;     // CXL cells: {"region", "memdev", "units": [{"unit","phys","dpa"}], "poison_list_read"}, or null
  std::optional<WindowRecord> window;
  std::vector<UnitRecord> units;
  std::optional<InjectionRecord> injection;
  std::vector<VictimRecord> victims;
  Checksums checksums_before;
  Checksums checksums_after;
  std::vector<PreadRecord> pread;
  Badblocks badblocks_before;
  Badblocks badblocks_after;
  std::optional<FsWriteProbe> fs_write_probe;
  std::optional<SoftOfflineRecord> soft_offline;
  std::vector<std::string> kernel_log;
  std::vector<TraceRecord> trace_events;  // as stored, checked (trace_parse.h)
  std::vector<std::string> errors;

  // target.space ("file", "metadata", "namespace", ...), "" when unknown.
  std::string target_space() const;
  const FileRecord* file(std::string_view id) const;
};

struct FsckRecord {
  std::optional<bool> clean;           // null when skipped
  std::optional<std::string> skipped;  // why no check ran
  std::optional<std::string> log_replay;
  nlohmann::json runs = nlohmann::json::array();
};

struct TeardownRecord {
  std::optional<bool> umount_ok;
  nlohmann::json umount_error;
  std::optional<FsckRecord> fsck;
  std::optional<bool> dm_removed;  // null: no dm device
  Badblocks region_badblocks;
  std::optional<std::string> skipped;  // the agent left the stack alone (a wedged device)
};

struct ObservationRecord {
  bool stack_ok = false;
  std::string stack_error;
  nlohmann::json stack;                // observation.stack as sent
  std::vector<nlohmann::json> stacks;  // unbind: one stack per trial
  nlohmann::json dax;                  // stack.dax as observed, or null
  bool trace_enabled = false;
  nlohmann::json probes = nlohmann::json::array();
  nlohmann::json mf_flags;  // kernel_enums.mf_flags, or null
  std::vector<TrialRecord> trials;
  std::optional<TeardownRecord> teardown;
  std::vector<TeardownRecord> teardowns;  // unbind: one per trial
  std::vector<std::string> kernel_log;    // the cell's, or all trials' when the cell's is absent
  std::optional<uint64_t> taint_before;
  std::optional<uint64_t> taint_after;
  std::optional<std::string> vm_unusable;

  // The stack a trial ran on (unbind: its own), as JSON.
  size_t stack_position(size_t trial_position) const;
  const nlohmann::json& stack_of(size_t trial_position) const;
  // The teardown after a trial (unbind: its own), or nullptr.
  const TeardownRecord* teardown_of(size_t trial_position) const;
  // Every teardown recorded (unbind: all of them).
  std::vector<const TeardownRecord*> all_teardowns() const;
};

ObservationRecord parse_observation(const nlohmann::json& observation);

// Whether the probe called name was created (trace.probes[].ok).
bool probe_ok(const ObservationRecord& obs, std::string_view name);

}  // namespace poisonlab::oracles

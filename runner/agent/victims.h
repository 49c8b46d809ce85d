#pragma once
// Victim processes of a trial. Each is forked by the agent, maps (part of)
// the trial file MAP_SHARED, touches every page and waits for commands on a
// pipe. A SA_SIGINFO SIGBUS handler records every SIGBUS into an area shared
// with the agent (MAP_SHARED|MAP_ANONYMOUS, created before fork), so the
// agent sees signals even of a victim that later dies.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/cell_spec.h"
#include "common/unique_fd.h"

namespace poisonlab::agent {

enum class Role { kEarlyKill, kLateKill, kNeighbour, kInjector, kConsumer };

// The CPU an action-required machine check is delivered to, where the
// consumer spins in user mode.
inline constexpr int kConsumerCpu = 0;
const char* role_name(Role role);

struct VictimPlan {
  std::string id;  // "early-0", "late-0", "neighbour-0", "injector", "sharer-0-early-0"
  Role role{};
  std::string file;  // the trial file id it maps ("victim", "sharer-0")
  std::filesystem::path path;
  uint64_t map_offset_pages = 0;  // file page of the mapping's first page
  uint64_t map_pages = 0;
  int pin_cpu = -1;  // sched_setaffinity to this CPU when >= 0
  bool early_kill() const { return role == Role::kEarlyKill || role == Role::kNeighbour; }
  bool maps_page(uint64_t file_page) const {
    return file_page >= map_offset_pages && file_page - map_offset_pages < map_pages;
  }
};

// Where a trial's victims map: a window of the victim file, the poisoned
// range inside it (file targets only), and the sharers' same windows.
struct VictimLayout {
  std::filesystem::path victim;
  uint64_t window_first = 0;
  uint64_t window_pages = 0;
  std::optional<uint64_t> range_first;  // nullopt: the poison is not aimed at the victim file
  uint64_t range_pages = 0;
  std::vector<std::pair<std::string, std::filesystem::path>> sharers;  // id, path
  // Victim files after the first ("victim-1", ...): same window and range, own victims.
  std::vector<std::pair<std::string, std::filesystem::path>> more_victims;  // id, path
};

// The victims of a trial (pure): early- and late-kill mappers of the
// window, a neighbour mapping the window's pages after the range (or before
// it when none are after; none when the range covers the window, with a
// note in errors), the madvise injector over the range, and one early-kill
// mapper of each sharer's window; for an action-required machine check, a
// late-kill consumer over the range pinned to kConsumerCpu. Each further
// victim file ("victim-K") gets its own early-kill, late-kill and neighbour
// mappers, with ids prefixed "fK-".
std::vector<VictimPlan> plan_victims(const CellSpec& spec, const VictimLayout& layout, std::vector<std::string>& errors);

struct SignalRecord {
  int signo = 0;
  int code = 0;
  uint64_t addr = 0;
  int addr_lsb = 0;
  uint64_t time_ns = 0;
};

struct MadviseReply {
  int64_t ret = -1;
  int err = 0;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  bool replied = false;
};

struct ReaccessResult {
  bool done = false;
  std::string outcome = "not-run";  // "sigbus" | "read-ok" | "timeout" | "not-run"
  std::optional<uint64_t> file_page;
  std::optional<int> code;
  std::optional<uint64_t> time_ns;
  std::optional<bool> data_matches;  // read-ok: the page still holds its pattern
  std::optional<std::string> error;
  nlohmann::json to_json() const;
};

struct ExitInfo {
  std::string status = "running";  // "exited" | "signaled" | "killed-by-agent" | "unreapable"
  int code = 0;
  int signal = 0;
  nlohmann::json to_json() const;
};

struct SharedRecord;  // lives in the shared area

class VictimGroup {
 public:
  // Forks one process per plan, each mapping its plan's file; throws
  // UserError if fork or the shared area fails. Victims still alive at
  // destruction are SIGKILLed and reaped (a few seconds at most each: a task
  // stuck in the kernel is left behind rather than hanging the agent).
  VictimGroup(std::vector<VictimPlan> plans, uint64_t page_size);
  ~VictimGroup();
  VictimGroup(const VictimGroup&) = delete;
  VictimGroup& operator=(const VictimGroup&) = delete;

  size_t size() const { return plans_.size(); }
  const VictimPlan& plan(size_t i) const { return plans_[i]; }
  pid_t pid(size_t i) const { return pids_[i]; }
  // Virtual address of the victim's mapping, 0 until it is ready.
  uint64_t map_addr(size_t i) const;
  bool ready(size_t i) const;
  std::vector<SignalRecord> signals(size_t i) const;
  // Signals victim i received after its log was full (0 unless a mapping
  // got more than one signal per page and the slack ran out).
  uint32_t signals_dropped(size_t i) const;
  // Whether victim i has recorded a SIGBUS whose address lies in file_page.
  bool has_signal_for(size_t i, uint64_t file_page) const;

  // Waits until every victim mapped and touched its pages; appends one
  // error per victim that failed or did not get ready in time.
  void wait_ready(std::chrono::milliseconds timeout, std::vector<std::string>& errors);
  // madvise(MADV_HWPOISON) in victim i over [file_page, +pages).
  MadviseReply madvise_hwpoison(size_t i, uint64_t file_page, uint64_t pages, std::chrono::milliseconds timeout);
  // madvise(MADV_SOFT_OFFLINE) in victim i over one page.
  MadviseReply madvise_soft_offline(size_t i, uint64_t file_page, std::chrono::milliseconds timeout);
  // The consumer reads file_page in a loop (user mode) until a SIGBUS or
  // stop_spin; stop_spin returns how the spin ended.
  bool start_spin(size_t i, uint64_t file_page);
  ReaccessResult stop_spin(size_t i, uint64_t file_page, std::chrono::milliseconds timeout);
  // Victim i reads one byte of file_page; a hang past timeout is killed.
  ReaccessResult reaccess(size_t i, uint64_t file_page, std::chrono::milliseconds timeout);
  // Asks victim i to exit, kills it if it does not within timeout.
  ExitInfo finish(size_t i, std::chrono::milliseconds timeout);

 private:
  SharedRecord& record(size_t i) const;
  bool send(size_t i, uint32_t op, uint64_t a, uint64_t b);
  MadviseReply madvise(size_t i, uint32_t op, uint64_t file_page, uint64_t pages, std::chrono::milliseconds timeout);
  std::optional<int> reap(size_t i, std::chrono::milliseconds timeout);
  void kill_and_reap(size_t i);

  std::vector<VictimPlan> plans_;
  uint64_t page_size_;
  void* shared_ = nullptr;
  size_t shared_bytes_ = 0;
  size_t record_stride_ = 0;      // bytes per victim in the shared area
  uint32_t signal_capacity_ = 0;  // SignalRecords per victim
  std::vector<pid_t> pids_;
  std::vector<UniqueFd> cmd_fds_;    // agent -> victim
  std::vector<UniqueFd> reply_fds_;  // victim -> agent
  std::vector<std::optional<int>> wait_status_;
  std::vector<bool> killed_by_agent_;
  std::vector<bool> unreapable_;  // SIGKILLed but never exited (stuck in the kernel)
};

}  // namespace poisonlab::agent

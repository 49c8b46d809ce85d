#pragma once
// perf around one trial's injection (PROTOCOL.md, Trial "perf"): `perf stat`
// counts of the memory-failure tracepoints and kprobes, and for large
// injections `perf record -a -g` call graphs, folded into the run directory
// as stackcollapse lines and ranked into the top kernel functions.
//
// Both perf processes start with their events disabled (-D -1) and are
// enabled through a control FIFO, which acknowledges once counting runs: the
// window opens at a known moment just before the injection, however long
// perf takes to start under TCG. They stop on SIGINT after the settle period;
// the destructor kills whatever still runs, so perf never outlives a trial.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/cell_spec.h"
#include "common/process.h"
#include "common/unique_fd.h"

namespace poisonlab::agent {

struct PerfEvent {
  std::string name;    // "ras:memory_failure_event", "poisonlab:memory_failure"
  std::string filter;  // --filter for it, "" for none
};

// The tracepoints and kprobes of default_probes() (tracefs.h) that exist
// under events_dir (the kprobes only once the trace session created them):
// perf refuses the whole command for one unknown event.
std::vector<PerfEvent> perf_stat_events(const std::filesystem::path& events_dir);
std::vector<std::string> perf_stat_argv(const std::vector<PerfEvent>& events, const std::filesystem::path& out);
// cpu-clock: a software event, as there is no PMU under TCG. No build-id
// work: symbols come from this boot's /proc/kallsyms.
std::vector<std::string> perf_record_argv(uint64_t frequency, const std::filesystem::path& data);
std::vector<std::string> perf_script_argv(const std::filesystem::path& data);
// Why this cell's injections are too small to record, or nullopt.
std::optional<std::string> record_skip_reason(const CellSpec& spec);
// A cell id as a file name: "debian-6.12/raw/xfs/x@pages=64" -> "debian-6.12_raw_xfs_x@pages=64".
std::string file_slug(std::string_view cell_id);

// One perf process driven through --control fifo:CTL,ACK.
class ControlledPerf {
 public:
  // Starts argv with events disabled, enables them and waits for perf's
  // ack. Throws std::runtime_error with perf's output if it exits first or
  // does not answer within timeout.
  ControlledPerf(std::vector<std::string> argv, const std::filesystem::path& work_dir, const std::string& name,
                 std::chrono::milliseconds timeout);
  ~ControlledPerf();
  ControlledPerf(const ControlledPerf&) = delete;
  ControlledPerf& operator=(const ControlledPerf&) = delete;

  // SIGINT without waiting: perf writes its results and exits.
  void interrupt();
  // SIGINT unless interrupted, up to timeout, else kill.
  // Returns "" when perf exited normally, else what happened.
  std::string stop(std::chrono::milliseconds timeout);
  std::string output_tail() const;

 private:
  void wait_for_ack(std::chrono::milliseconds timeout);

  // A FIFO that is removed with the object, even when the constructor throws.
  struct Fifo {
    explicit Fifo(std::filesystem::path p);
    ~Fifo();
    Fifo(const Fifo&) = delete;
    Fifo& operator=(const Fifo&) = delete;
    std::filesystem::path path;
  };

  Fifo ctl_, ack_;
  std::filesystem::path log_;
  UniqueFd ctl_fd_, ack_fd_;
  ChildProcess child_;
  bool interrupted_ = false;
};

struct PerfPaths {
  std::filesystem::path work_dir = "/tmp/poisonlab/perf";  // guest tmpfs: perf.data, FIFOs, logs
  std::filesystem::path out_dir = "/run/poisonlab/out";    // the run directory (host's <vm_dir>/guest)
  std::string stem;                                        // "<cell slug>.t<trial>"
};

// perf of one trial.
class TrialPerf {
 public:
  TrialPerf(const CellSpec& spec, PerfPaths paths);
  ~TrialPerf();
  TrialPerf(const TrialPerf&) = delete;
  TrialPerf& operator=(const TrialPerf&) = delete;

  // Just before the injection. Trouble is recorded in the result, not thrown.
  void start();
  // After the settle period.
  void stop();
  // perf script, folding, ranking; the trial's "perf" object.
  nlohmann::json finish();

 private:
  void finish_record();

  const CellSpec& spec_;
  PerfPaths paths_;
  std::unique_ptr<ControlledPerf> stat_, record_;
  std::optional<std::string> record_skipped_;
  bool stopped_ = false;
  std::vector<PerfEvent> events_;
  nlohmann::json stat_json_ = nullptr, record_json_ = nullptr;
};

}  // namespace poisonlab::agent

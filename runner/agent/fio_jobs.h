#pragma once
// fio under fault: the cell's fio jobs run through a trial, one fio process
// per job, started before the injection and stopped a while after it. The
// bandwidth logs are stamped with CLOCK_MONOTONIC (fio's
// log_alternate_epoch_clock_id=1), the clock of the injection times, so the
// runner can cut them at the injection window. Observes only: whether a job
// survived is the runner's call (report/fio_summary.h).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/fio_spec.h"
#include "common/process.h"
#include "common/temp_dir.h"

namespace poisonlab::agent {

// The file a job works on.
struct FioFile {
  std::filesystem::path path;
  uint64_t bytes = 0;
};

// The fio command line of one job; out_prefix names its output and log.
std::vector<std::string> fio_argv(const FioJobSpec& job, const FioFile& file, uint64_t log_avg_ms,
                                  uint64_t runtime_s, const std::filesystem::path& out_prefix);

class FioJobs {
 public:
  // Starts every job. "victim" jobs read victim; "separate" jobs get a new
  // pattern file t<trial>-fio-<name> in dir. A job that cannot start is
  // recorded with its error (and in errors).
  FioJobs(const FioSpec& spec, int trial, const std::optional<FioFile>& victim, const std::filesystem::path& dir,
          std::vector<std::string>& errors);
  FioJobs(const FioJobs&) = delete;
  FioJobs& operator=(const FioJobs&) = delete;

  // Waits until every job runs (fio has forked its job process; up to
  // 60 s), then before_ms more: the baseline.
  void wait_baseline();
  // Returns after_ms after from_ns, with every job stopped.
  void stop_after(uint64_t from_ns);
  // Stops what still runs and reads each job's output (PROTOCOL.md, Trial "fio").
  nlohmann::json to_json();

 private:
  struct Job {
    FioJobSpec spec;
    FioFile file;
    std::vector<std::string> argv;
    std::filesystem::path out_prefix;
    ChildProcess process;
    uint64_t spawn_ns = 0;
    std::optional<uint64_t> running_ns;  // when its job process was seen
    std::optional<uint64_t> stop_ns;  // when it was asked to stop
    std::string stopped_by;           // "" (not started) | "exited" | "term" | "kill"
    int status = 0;
    std::string error;
  };
  void wait_running();
  void stop_all();
  nlohmann::json job_json(const Job& job) const;

  FioSpec spec_;
  TempDir work_{"poisonlab-fio"};
  std::vector<Job> jobs_;
  uint64_t started_ns_ = 0;
  bool stopped_ = false;
};

}  // namespace poisonlab::agent

#include "agent/fio_jobs.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "agent/clock.h"
#include "agent/fio_output.h"
#include "agent/trial_file.h"
#include "common/fs_util.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// fio ends its jobs on SIGTERM and still writes its output; a TCG guest
// under load can take a while.
constexpr milliseconds kStopGrace{10000};
// fio's start-up (its binary and libraries come over 9p) took over 5 s in a
// busy TCG guest; its job process exists once the jobs run.
constexpr milliseconds kStartTimeout{60000};
// time_based jobs run until stopped; this only bounds a forgotten one.
constexpr uint64_t kRuntimeSlackS = 900;

void sleep_until_ns(uint64_t t) {
  uint64_t now = monotonic_ns();
  if (t > now) std::this_thread::sleep_for(std::chrono::nanoseconds(t - now));
}

std::string read_or_empty(const std::filesystem::path& path) {
  try {
    return read_file(path);
  } catch (const std::exception&) {
    return "";
  }
}

// fio installs its SIGTERM handler before it forks the job processes:
// before that, SIGTERM kills it without output.
bool has_children(pid_t pid) {
  std::string children = read_or_empty(fmt::format("/proc/{}/task/{}/children", pid, pid));
  return children.find_first_not_of(" \n") != std::string::npos;
}

}  // namespace

std::vector<std::string> fio_argv(const FioJobSpec& job, const FioFile& file, uint64_t log_avg_ms,
                                  uint64_t runtime_s, const std::filesystem::path& out_prefix) {
  std::vector<std::string> argv{"fio",
                                "--name=" + job.name,
                                "--ioengine=" + job.ioengine,
                                "--rw=" + job.rw,
                                fmt::format("--bs={}k", job.bs_kib),
                                "--filename=" + file.path.string(),
                                fmt::format("--size={}", file.bytes),
                                "--allow_file_create=0",
                                "--time_based",
                                fmt::format("--runtime={}s", runtime_s),
                                "--output-format=json",
                                "--output=" + out_prefix.string() + ".json",
                                "--write_bw_log=" + out_prefix.string(),
                                fmt::format("--log_avg_msec={}", log_avg_ms),
                                "--log_alternate_epoch=1",
                                "--log_alternate_epoch_clock_id=1"};  // CLOCK_MONOTONIC
  if (job.target == "victim") argv.push_back("--readonly");
  if (job.continue_on_error) argv.push_back("--continue_on_error=all");
  return argv;
}

FioJobs::FioJobs(const FioSpec& spec, int trial, const std::optional<FioFile>& victim,
                 const std::filesystem::path& dir, std::vector<std::string>& errors)
    : spec_(spec) {
  uint64_t runtime_s = (spec.before_ms + spec.after_ms) / 1000 + kRuntimeSlackS;
  jobs_.reserve(spec.jobs.size());
  for (const FioJobSpec& js : spec.jobs) {
    Job& job = jobs_.emplace_back();
    job.spec = js;
    job.out_prefix = work_ / js.name;
    try {
      if (js.target == "victim") {
        if (!victim) throw std::runtime_error("the trial has no victim file");
        job.file = *victim;
      } else {
        auto path = dir / fmt::format("t{}-fio-{}", trial, js.name);
        job.file = {path, create_pattern_file(path, "fio-" + js.name, js.size_pages).size};
      }
      job.argv = fio_argv(js, job.file, spec.log_avg_ms, runtime_s, job.out_prefix);
      SpawnOptions options;
      options.stdout_path = job.out_prefix.string() + ".stdout";
      options.stderr_path = job.out_prefix.string() + ".stderr";
      job.spawn_ns = monotonic_ns();
      job.process = ChildProcess::spawn(job.argv, options);
    } catch (const std::exception& e) {
      job.error = e.what();
      errors.push_back(fmt::format("fio job {}: {}", js.name, e.what()));
    }
  }
  started_ns_ = monotonic_ns();
}

void FioJobs::wait_running() {
  uint64_t deadline = monotonic_ns() + static_cast<uint64_t>(kStartTimeout.count()) * 1000000ull;
  for (Job& job : jobs_) {
    while (job.process.running() && !job.process.try_wait() && !has_children(job.process.pid()) &&
           monotonic_ns() < deadline)
      std::this_thread::sleep_for(milliseconds(10));
    if (job.process.running() && has_children(job.process.pid())) job.running_ns = monotonic_ns();
  }
}

void FioJobs::wait_baseline() {
  wait_running();
  uint64_t from = started_ns_;
  for (const Job& job : jobs_) from = std::max(from, job.running_ns.value_or(0));
  sleep_until_ns(from + spec_.before_ms * 1000000ull);
}

void FioJobs::stop_all() {
  uint64_t now = monotonic_ns();
  for (Job& job : jobs_) {
    if (job.process.pid() <= 0 || !job.stopped_by.empty()) continue;
    if (auto status = job.process.try_wait()) {
      job.status = *status;
      job.stopped_by = "exited";  // before it was asked to: the job died or failed
      continue;
    }
    job.stop_ns = now;
    job.process.signal(SIGTERM);
  }
  for (Job& job : jobs_) {
    if (!job.stop_ns || !job.stopped_by.empty()) continue;
    job.status = job.process.wait_for(kStopGrace).value_or(-1);
    job.stopped_by = "term";
    if (job.status == -1) {
      // fio forks a process per job into its process group (ChildProcess gave it one).
      ::kill(-job.process.pid(), SIGKILL);
      job.status = job.process.terminate(milliseconds(0));
      job.stopped_by = "kill";
    }
  }
  stopped_ = true;
}

void FioJobs::stop_after(uint64_t from_ns) {
  sleep_until_ns(from_ns + spec_.after_ms * 1000000ull);
  stop_all();
}

json FioJobs::job_json(const Job& job) const {
  json j{{"name", job.spec.name},       {"ioengine", job.spec.ioengine}, {"rw", job.spec.rw},
         {"bs_kib", job.spec.bs_kib},   {"target", job.spec.target},     {"file", job.file.path.string()},
         {"bytes", job.file.bytes},     {"argv", job.argv},              {"spawn_ns", job.spawn_ns},
         {"running_ns", job.running_ns ? json(*job.running_ns) : json(nullptr)},
         {"stop_ns", job.stop_ns ? json(*job.stop_ns) : json(nullptr)},
         {"stopped_by", job.stopped_by.empty() ? json(nullptr) : json(job.stopped_by)},
         {"exit", job.stopped_by.empty() ? json(nullptr) : json(describe_wait_status(job.status))},
         {"error", job.error.empty() ? json(nullptr) : json(job.error)}};
  std::string base = job.out_prefix.string();
  FioOutput out = parse_fio_output(read_or_empty(base + ".json"), read_or_empty(base + ".stdout") +
                                                                      read_or_empty(base + ".stderr"));
  j["result"] = out.result;
  j["result_error"] = out.parse_error.empty() || job.stopped_by.empty() ? json(nullptr) : json(out.parse_error);
  j["messages"] = out.messages;
  j["signals_reported"] = out.signals;
  size_t bad = 0;
  // One job, one process: its log is <prefix>_bw.1.log.
  json samples = parse_bw_log(read_or_empty(base + "_bw.1.log"), &bad);
  j["bw_log"] = {{"clock", "mono"}, {"interval_ms", spec_.log_avg_ms}, {"bad_lines", bad}, {"samples", samples}};
  return j;
}

json FioJobs::to_json() {
  if (!stopped_) stop_all();
  json jobs = json::array();
  for (const Job& job : jobs_) jobs.push_back(job_json(job));
  return {{"before_ms", spec_.before_ms}, {"after_ms", spec_.after_ms}, {"log_avg_ms", spec_.log_avg_ms},
          {"started_ns", started_ns_}, {"jobs", jobs}};
}

}  // namespace poisonlab::agent

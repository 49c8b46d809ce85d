#include "agent/perf_session.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "agent/tracefs.h"
#include "common/fs_util.h"
#include "observe/perf_parse.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kStartTimeout{30000};  // perf record -a -g synthesizes every task first
constexpr milliseconds kStopTimeout{30000};
constexpr milliseconds kScriptTimeout{300000};
// Per trial; the report sums the trials' lists, so keep more than it shows.
constexpr size_t kTopFunctions = 50;

// The perf event name of a probe: kprobes live in tracefs group "poisonlab".
std::string perf_name(const ProbeDef& def) {
  return def.kind == "tracepoint" ? def.definition : "poisonlab:" + def.name;
}

std::filesystem::path event_dir(const std::filesystem::path& events_dir, const std::string& name) {
  auto colon = name.find(':');
  return events_dir / name.substr(0, colon) / name.substr(colon + 1);
}

UniqueFd open_fifo(const std::filesystem::path& path, int extra_flags) {
  // O_RDWR: opening never blocks for the other end, and the FIFO stays open
  // should perf close and reopen its end.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | extra_flags));
  if (!fd) throw std::runtime_error("open " + path.string() + ": " + strerror(errno));
  return fd;
}

std::string read_or_empty(const std::filesystem::path& path) {
  try {
    return read_file(path);
  } catch (const std::exception&) {
    return "";
  }
}

std::string error_text(const std::string& what, const ControlledPerf* perf) {
  std::string tail = perf ? perf->output_tail() : "";
  return tail.empty() ? what : what + "; perf said: " + tail;
}

}  // namespace

std::vector<PerfEvent> perf_stat_events(const std::filesystem::path& events_dir) {
  std::vector<PerfEvent> events;
  for (const auto& def : default_probes()) {
    std::string name = perf_name(def);
    if (std::filesystem::is_directory(event_dir(events_dir, name))) events.push_back({name, def.filter});
  }
  return events;
}

std::vector<std::string> perf_stat_argv(const std::vector<PerfEvent>& events, const std::filesystem::path& out) {
  std::vector<std::string> argv{"perf", "stat", "-a", "-x", ",", "-o", out.string()};
  for (const auto& e : events) {
    argv.insert(argv.end(), {"-e", e.name});
    if (!e.filter.empty()) argv.insert(argv.end(), {"--filter", e.filter});  // applies to the -e before it
  }
  return argv;
}

std::vector<std::string> perf_record_argv(uint64_t frequency, const std::filesystem::path& data) {
  return {"perf", "record", "-a", "-g", "-e", "cpu-clock", "-F", std::to_string(frequency),
          "-N", "-B", "-q", "-o", data.string()};
}

std::vector<std::string> perf_script_argv(const std::filesystem::path& data) {
  return {"perf", "script", "-i", data.string(), "-F", "comm,pid,tid,period,event,ip,sym,dso"};
}

std::optional<std::string> record_skip_reason(const CellSpec& spec) {
  if (spec.pages < spec.perf.record_min_pages)
    return fmt::format("{} pages < record_min_pages {}", spec.pages, spec.perf.record_min_pages);
  if (static_cast<uint64_t>(spec.early_kill) < spec.perf.record_min_early_kill)
    return fmt::format("{} early-kill mappers < record_min_early_kill {}", spec.early_kill,
                       spec.perf.record_min_early_kill);
  return std::nullopt;
}

std::string file_slug(std::string_view cell_id) {
  std::string out;
  for (char c : cell_id) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '@' || c == '=';
    out += keep ? c : '_';
  }
  return out.empty() ? "cell" : out;
}

ControlledPerf::Fifo::Fifo(std::filesystem::path p) : path(std::move(p)) {
  std::filesystem::remove(path);
  if (::mkfifo(path.c_str(), 0600) != 0) throw std::runtime_error("mkfifo " + path.string() + ": " + strerror(errno));
}

ControlledPerf::Fifo::~Fifo() {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

ControlledPerf::ControlledPerf(std::vector<std::string> argv, const std::filesystem::path& work_dir,
                               const std::string& name, milliseconds timeout)
    : ctl_(work_dir / (name + ".ctl")), ack_(work_dir / (name + ".ack")), log_(work_dir / (name + ".log")) {
  ctl_fd_ = open_fifo(ctl_.path, 0);
  ack_fd_ = open_fifo(ack_.path, O_NONBLOCK);
  argv.insert(argv.end(), {"-D", "-1", "--control", "fifo:" + ctl_.path.string() + "," + ack_.path.string()});
  SpawnOptions options;
  options.stdout_path = log_;
  options.stderr_to_stdout = true;
  child_ = ChildProcess::spawn(argv, options);
  static constexpr std::string_view kEnable = "enable\n";
  if (::write(ctl_fd_.get(), kEnable.data(), kEnable.size()) != static_cast<ssize_t>(kEnable.size()))
    throw std::runtime_error("write to " + ctl_.path.string() + ": " + strerror(errno));
  wait_for_ack(timeout);
}

ControlledPerf::~ControlledPerf() = default;  // the members kill perf and remove the FIFOs

void ControlledPerf::wait_for_ack(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string got;
  while (got.find("ack") == std::string::npos) {
    if (auto status = child_.try_wait())
      throw std::runtime_error(fmt::format("perf ended before counting ({}): {}", describe_wait_status(*status),
                                           output_tail()));
    if (Clock::now() >= deadline) throw std::runtime_error(fmt::format("perf did not enable its events within {} ms", timeout.count()));
    pollfd p{ack_fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[64];
    ssize_t n = ::read(ack_fd_.get(), buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
  }
}

void ControlledPerf::interrupt() {
  if (!interrupted_) child_.signal(SIGINT);
  interrupted_ = true;
}

std::string ControlledPerf::stop(milliseconds timeout) {
  interrupt();
  auto status = child_.wait_for(timeout);
  if (!status) {
    child_.terminate(milliseconds(0));
    return fmt::format("perf did not stop within {} ms of SIGINT; killed", timeout.count());
  }
  // perf exits 0 on SIGINT, or dies of it if it arrived before its handler.
  if ((WIFEXITED(*status) && WEXITSTATUS(*status) == 0) || (WIFSIGNALED(*status) && WTERMSIG(*status) == SIGINT))
    return "";
  return "perf " + describe_wait_status(*status);
}

std::string ControlledPerf::output_tail() const {
  std::string tail = tail_file(log_, 5);
  // Its own enable/disable chatter is no news.
  for (const char* noise : {"Events disabled\n", "Events enabled\n"})
    for (size_t at; (at = tail.find(noise)) != std::string::npos;) tail.erase(at, strlen(noise));
  while (!tail.empty() && tail.back() == '\n') tail.pop_back();
  return tail;
}

TrialPerf::TrialPerf(const CellSpec& spec, PerfPaths paths) : spec_(spec), paths_(std::move(paths)) {
  if (spec_.perf.record) record_skipped_ = record_skip_reason(spec_);
}

TrialPerf::~TrialPerf() {
  stat_.reset();
  record_.reset();
  std::error_code ec;
  std::filesystem::remove(paths_.work_dir / (paths_.stem + ".data"), ec);
  std::filesystem::remove(paths_.work_dir / (paths_.stem + ".stat"), ec);
}

void TrialPerf::start() {
  std::error_code ec;
  std::filesystem::create_directories(paths_.work_dir, ec);
  if (spec_.perf.stat) {
    events_ = perf_stat_events("/sys/kernel/tracing/events");
    stat_json_ = {{"ok", false}, {"error", nullptr}, {"counts", json::object()}};
    json names = json::array();
    for (const auto& e : events_) names.push_back(e.filter.empty() ? e.name : e.name + " if " + e.filter);
    stat_json_["events"] = names;
    try {
      if (events_.empty()) throw std::runtime_error("none of the tracepoints or kprobes exists");
      stat_ = std::make_unique<ControlledPerf>(perf_stat_argv(events_, paths_.work_dir / (paths_.stem + ".stat")),
                                               paths_.work_dir, "stat", kStartTimeout);
    } catch (const std::exception& e) {
      stat_json_["error"] = std::string("perf stat: ") + e.what();
    }
  }
  if (spec_.perf.record) {
    record_json_ = {{"ok", false}, {"error", nullptr}, {"skipped", record_skipped_ ? json(*record_skipped_) : json(nullptr)},
                    {"frequency", spec_.perf.frequency}, {"folded", nullptr}};
    if (record_skipped_) return;
    try {
      record_ = std::make_unique<ControlledPerf>(
          perf_record_argv(spec_.perf.frequency, paths_.work_dir / (paths_.stem + ".data")), paths_.work_dir, "record",
          kStartTimeout);
    } catch (const std::exception& e) {
      record_json_["error"] = std::string("perf record: ") + e.what();
    }
  }
}

void TrialPerf::stop() {
  if (stopped_) return;
  stopped_ = true;
  // Both get SIGINT at once: the windows close together.
  if (stat_) stat_->interrupt();
  if (record_) record_->interrupt();
  if (stat_) {
    std::string trouble = stat_->stop(kStopTimeout);
    auto out = parse_perf_stat_csv(read_or_empty(paths_.work_dir / (paths_.stem + ".stat")));
    stat_json_["counts"] = stat_counts_json(out);
    stat_json_["unparsed"] = out.unparsed;
    stat_json_["ok"] = trouble.empty() && !out.counts.empty();
    if (!trouble.empty() || out.counts.empty())
      stat_json_["error"] = error_text(trouble.empty() ? "perf stat wrote no counts" : trouble, stat_.get());
    stat_.reset();
  }
  if (record_) {
    std::string trouble = record_->stop(kStopTimeout);
    if (!trouble.empty()) record_json_["error"] = error_text(trouble, record_.get());
  }
}

void TrialPerf::finish_record() {
  auto data = paths_.work_dir / (paths_.stem + ".data");
  RunOptions options;
  options.timeout = kScriptTimeout;
  CommandResult script = run_command(perf_script_argv(data), options);
  if (!script.ok()) {
    std::string err = script.err.substr(0, 2000);
    record_json_["error"] = fmt::format("perf script: {}{}", script.timed_out ? "timed out" : "failed", err.empty() ? "" : ": " + err);
    return;
  }
  std::vector<PerfSample> samples = parse_perf_script(script.out);
  auto folded = fold_stacks(samples);
  std::filesystem::path rel = std::filesystem::path("perf") / (paths_.stem + ".folded");
  std::filesystem::create_directories(paths_.out_dir / "perf");
  write_file_atomic(paths_.out_dir / rel, folded_text(folded));
  record_json_.update(to_json(rank_kernel_functions(samples, kTopFunctions)));
  record_json_["folded"] = rel.string();
  record_json_["stacks"] = folded.size();
  record_json_["ok"] = record_json_["error"].is_null() && !samples.empty();
  if (samples.empty() && record_json_["error"].is_null()) record_json_["error"] = "perf recorded no samples";
}

json TrialPerf::finish() {
  stop();  // no-op when already stopped; covers a trial that aborted in between
  if (record_) {
    record_.reset();
    try {
      finish_record();
    } catch (const std::exception& e) {
      record_json_["error"] = std::string("folding the stacks: ") + e.what();
    }
    std::error_code ec;
    std::filesystem::remove(paths_.work_dir / (paths_.stem + ".data"), ec);
  }
  return {{"stat", stat_json_}, {"record", record_json_}};
}

}  // namespace poisonlab::agent

#include "target/local/local_target.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "common/fs_util.h"

namespace poisonlab {
namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr size_t kConsoleTailLines = 50;
constexpr milliseconds kTerminateGrace(3000);

std::string meminfo_total() {
  std::ifstream in("/proc/meminfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("MemTotal:", 0) == 0) return line.substr(line.find_first_not_of(" ", 9));
  return "";
}

json device_record(const fs::path& path) {
  json d = {{"path", path.string()}};
  if (auto id = local::HostView().block_device(path)) {
    d["real"] = id->real.string();
    d["majmin"] = id->majmin;
    d["name"] = id->name;
    try {
      d["size_bytes"] = std::stoull(read_file(fs::path("/sys/class/block") / id->name / "size")) * 512;
    } catch (const std::exception&) {
      d["size_bytes"] = nullptr;
    }
  }
  return d;
}

std::vector<std::string> path_strings(const std::vector<fs::path>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) out.push_back(p.string());
  return out;
}

}  // namespace

void check_local_target_safety(const LocalTargetOptions& options, const std::vector<local::NamedCellSpec>& cells,
                               const local::HostView& view) {
  local::check_devices({options.used_devices(), options.allow_devices, options.force}, view);
  bool any_physical = std::any_of(cells.begin(), cells.end(), [](const local::NamedCellSpec& c) {
    const json& spec = c.second;
    return spec.contains("injection") && spec["injection"].is_object() &&
           spec["injection"].value("target", json::object()).value("space", "") == "physical";
  });
  if (any_physical) local::check_physical_targets(cells, local::parse_iomem(view.iomem()));
}

LocalTarget::LocalTarget(LocalTargetOptions options, fs::path run_dir)
    : options_(std::move(options)), run_dir_(std::move(run_dir)) {}

LocalTarget::~LocalTarget() { stop_all(); }

void LocalTarget::stop_all() {
  if (agent_.pid() > 0 && !poll_exit()) exit_status_ = agent_.terminate(kTerminateGrace);
  if (kernel_log_.running()) kernel_log_.terminate(milliseconds(0));
}

// `dmesg --follow-new` appends each new kernel log line, formatted like a
// serial console ("[  12.345678] text"), to console.log.
void LocalTarget::start_kernel_log() {
  if (!find_program("dmesg")) {
    kernel_log_source_ = "none: dmesg not found (Debian package util-linux)";
    return;
  }
  SpawnOptions options;
  options.stdout_path = serial_log();
  options.stderr_to_stdout = true;
  options.append_output = true;
  kernel_log_ = ChildProcess::spawn({"dmesg", "--follow-new"}, options);
  kernel_log_source_ = "dmesg --follow-new";
}

void LocalTarget::spawn_agent() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
    throw UserError(std::string("local target: socketpair failed: ") + strerror(errno));
  UniqueFd ours(ends[0]), theirs(ends[1]);
  // Only the agent's end is inherited across exec.
  if (::fcntl(theirs.get(), F_SETFD, 0) != 0)
    throw UserError(std::string("local target: fcntl failed: ") + strerror(errno));
  fs::path agent = options_.agent_path.value_or(executable_dir() / "poisonlab-agent");
  if (!fs::exists(agent)) throw UserError("local target: agent not found: " + agent.string());
  agent_command_ = {agent.string(), "--channel-fd", std::to_string(theirs.get()), "--local"};
  for (const auto& d : options_.used_devices()) agent_command_.insert(agent_command_.end(), {"--device", d.string()});
  for (const auto& d : options_.allow_devices) agent_command_.insert(agent_command_.end(), {"--allow-device", d.string()});
  if (options_.force) agent_command_.push_back("--force");
  SpawnOptions options;
  options.stdout_path = serial_log();
  options.stderr_to_stdout = true;
  options.append_output = true;
  agent_ = ChildProcess::spawn(agent_command_, options);
  channel_.emplace(std::move(ours));
}

void LocalTarget::start() {
  if (agent_.pid() > 0) throw UserError("internal: LocalTarget::start called twice");
  fs::create_directories(local_dir());
  { std::ofstream touch(serial_log(), std::ios::app); }
  start_kernel_log();
  spawn_agent();
}

std::optional<int> LocalTarget::poll_exit() {
  if (!exit_status_) exit_status_ = agent_.try_wait();
  return exit_status_;
}

std::optional<int> LocalTarget::wait_exit(milliseconds timeout) {
  if (!exit_status_ && agent_.pid() > 0) exit_status_ = agent_.wait_for(timeout);
  return exit_status_;
}

void LocalTarget::fail(const std::string& kind, const std::string& detail) {
  throw TargetFailure(kind, detail, tail_file(serial_log(), kConsoleTailLines), exit_status_);
}

void LocalTarget::fail_exited() {
  fail("agent-exited", "the local agent ended (" + describe_wait_status(exit_status_.value_or(0)) + ")");
}

void LocalTarget::shutdown(milliseconds grace) {
  if (agent_.pid() <= 0 || poll_exit()) {
    shutdown_outcome_ = "already-exited";
  } else {
    try {
      if (channel_) channel_->send({{"type", "shutdown"}});
    } catch (const UserError&) {
    }
    shutdown_outcome_ = wait_exit(grace) ? "agent" : "killed";
  }
  stop_all();
}

void LocalTarget::abort(const std::string& kind, const std::string& detail) {
  stop_all();
  fail(kind, detail);
}

fs::path LocalTarget::serial_log() const { return local_dir() / "console.log"; }

json LocalTarget::describe() const {
  utsname u{};
  ::uname(&u);
  json devices = json::array();
  for (const auto& d : options_.used_devices()) devices.push_back(device_record(d));
  return {{"backend", "local"},
          {"hostname", u.nodename},
          {"kernel_release", u.release},
          {"kernel_version", u.version},
          {"machine", u.machine},
          {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
          {"memory", meminfo_total()},
          {"devices", devices},
          {"allow_devices", path_strings(options_.allow_devices)},
          {"force", options_.force},
          {"agent_command", agent_command_},
          {"console_log", serial_log().string()},
          {"kernel_log_source", kernel_log_source_}};
}

std::string LocalTarget::human_monitor(const std::string& command) {
  throw UserError("the local target has no machine monitor, so \"" + command +
                  "\" cannot run: machine checks (method mce) need the QEMU target; on real hardware use einj, "
                  "ndctl-inject-error, madvise or hwpoison-pfn");
}

json LocalTarget::qmp_command(const std::string& name, const json& arguments) {
  (void)arguments;
  throw UserError("QMP command " + name + ": the local target has no QMP monitor (it needs the QEMU target)");
}

std::unique_ptr<Target> make_local_target(const LocalTargetOptions& options, const fs::path& run_dir) {
  return std::make_unique<LocalTarget>(options, run_dir);
}

}  // namespace poisonlab

// poisonlab-agent: runs inside the guest, executes one cell at a time and
// reports raw observations (runner/protocol/PROTOCOL.md).
//   poisonlab-agent [--port NAME]                  channel mode (the runner)
//   poisonlab-agent --run-cell CELL.json --out OBS.json   one cell, to a file
//   poisonlab-agent --channel-fd N --local --allow-device /dev/pmem0 [--device ...] [--force]
//                                                  the local target (issue 7): an inherited
//                                                  socket, existing pmem devices
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "agent/agent_env.h"
#include "agent/cell_runner.h"
#include "agent/cell_spec.h"
#include "agent/heartbeat.h"
#include "agent/local_devices.h"
#include "agent/runner_fault.h"
#include "agent/sysfs.h"
#include "agent/tracefs.h"
#include "common/error.h"
#include "common/fs_util.h"
#include "protocol/channel.h"
#include "version.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;

constexpr auto kHeartbeat = std::chrono::seconds(5);
constexpr auto kPortWait = std::chrono::seconds(30);
constexpr auto kRequestTimeout = std::chrono::seconds(60);

// Probes are created once and removed at exit; created on the first cell
// that wants tracing.
class TraceHolder {
 public:
  TraceSession* get(bool wanted) {
    if (wanted && !session_) session_ = std::make_unique<TraceSession>();
    return session_.get();
  }

 private:
  std::unique_ptr<TraceSession> session_;
};

UniqueFd open_port(std::string name) {
  if (name.empty()) {
    auto cmdline = read_attr("/proc/cmdline").value_or("");
    auto v = cmdline_value(cmdline, "poisonlab.port");
    if (!v) throw UserError("no --port and no poisonlab.port= on the kernel command line", kExitBadInput);
    name = *v;
  }
  auto deadline = std::chrono::steady_clock::now() + kPortWait;
  std::optional<std::filesystem::path> dev;
  while (!(dev = find_virtio_port(name))) {
    if (std::chrono::steady_clock::now() > deadline)
      throw UserError("no virtio port named '" + name + "' under /sys/class/virtio-ports");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  UniqueFd fd(::open(dev->c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) throw UserError("cannot open " + dev->string() + ": " + strerror(errno));
  return fd;
}

json error_message(const std::string& cell_id, const std::string& stage, const std::string& message) {
  return {{"type", "error"}, {"cell_id", cell_id}, {"stage", stage}, {"message", message}};
}

void handle_run_cell(const json& msg, ChannelSender& sender, TraceHolder& traces) {
  std::string cell_id = msg.value("cell_id", std::string());
  std::string stage = "spec";
  try {
    if (msg.contains("runner_fault")) {
      stage = "runner-fault";
      provoke_runner_fault(msg.value("runner_fault", std::string()));
    }
    if (!msg.contains("cell")) throw InputError("run-cell message", "/cell", "a CellSpec object (required)");
    CellSpec spec = parse_cell_spec(msg["cell"], "run-cell " + cell_id);
    CellContext ctx;
    ctx.trace = traces.get(spec.trace);
    ctx.cell_id = cell_id;
    ctx.progress = [&](const std::string& s, std::optional<int> trial, const json& detail) {
      stage = s;
      sender.progress(cell_id, s, trial, detail);
    };
    ctx.host = [&](const json& request) { return sender.request(cell_id, request, kRequestTimeout); };
    json observation = run_cell(spec, ctx);
    sender.end_cell();
    sender.send({{"type", "cell-result"}, {"cell_id", cell_id}, {"observation", std::move(observation)}});
  } catch (const std::exception& e) {
    sender.end_cell();
    sender.send(error_message(cell_id, stage, e.what()));
  }
}

// The runner's end: a virtio port in a VM, an inherited socket on the local target.
UniqueFd open_channel(const std::string& port, std::optional<int> channel_fd) {
  if (!channel_fd) return open_port(port);
  if (::fcntl(*channel_fd, F_SETFD, FD_CLOEXEC) != 0)  // victims and tools must not hold the runner's socket
    throw UserError("--channel-fd " + std::to_string(*channel_fd) + ": " + strerror(errno), kExitBadInput);
  return UniqueFd(*channel_fd);
}

int channel_mode(const std::string& port, std::optional<int> channel_fd) {
  JsonLineChannel channel(open_channel(port, channel_fd));
  ChannelSender sender(channel, kHeartbeat);
  TraceHolder traces;
  sender.send(hello_message());
  for (;;) {
    auto msg = channel.receive(std::chrono::seconds(1));
    if (!msg) continue;
    std::string type = msg->value("type", std::string());
    if (type == "run-cell") {
      handle_run_cell(*msg, sender, traces);
    } else if (type == "shutdown") {
      sender.send({{"type", "bye"}});
      return kExitOk;
    } else {
      sender.send(error_message(msg->value("cell_id", std::string()), "protocol",
                                "unknown message type '" + type + "'"));
    }
  }
}

int dev_mode(const std::string& cell_path, const std::string& out_path) {
  json doc = json::parse(read_file(cell_path), nullptr, false);
  if (doc.is_discarded()) throw InputError(cell_path, "", "valid JSON");
  // Either a CellSpec or a whole run-cell message.
  const json& cell = doc.contains("cell") ? doc["cell"] : doc;
  CellSpec spec = parse_cell_spec(cell, cell_path);
  TraceHolder traces;
  CellContext ctx;
  ctx.trace = traces.get(spec.trace);
  ctx.progress = [](const std::string& stage, std::optional<int> trial, const json&) {
    std::cerr << "poisonlab-agent: " << stage << (trial ? " " + std::to_string(*trial) : "") << "\n";
  };
  ctx.host = [](const json&) -> json { throw UserError("no runner to ask (dev mode): host-side methods need the channel"); };
  json observation = run_cell(spec, ctx);
  write_file_atomic(out_path, observation.dump(1) + "\n");
  if (!observation["stack"].value("ok", false)) {
    std::cerr << "poisonlab-agent: stack failed: " << observation["stack"].value("error", "?") << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace
}  // namespace poisonlab::agent

// A victim costs the agent two pipe ends; 1000 mappers need more than the
// default 1024 descriptors. The agent runs as root in the guest, so it may
// raise the hard limit too.
void raise_fd_limit() {
  constexpr rlim_t kWanted = 16384;
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= kWanted) return;
  struct rlimit raised = {kWanted, std::max(limit.rlim_max, kWanted)};
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int main(int argc, char** argv) {
  using namespace poisonlab;
  raise_fd_limit();
  CLI::App app{"poisonlab in-guest agent: runs cells and reports raw observations"};
  std::string port, cell_path, out_path;
  std::optional<int> channel_fd;
  bool local_mode = false;
  agent::LocalDevicesOptions local_options;
  app.add_option("--port", port, "virtio-serial port name (default: poisonlab.port= of /proc/cmdline)");
  app.add_option("--channel-fd", channel_fd, "talk to the runner over this inherited socket (the local target)");
  auto* local = app.add_flag("--local", local_mode,
                             "build stacks on the existing pmem devices named by --device/--allow-device "
                             "instead of creating namespaces (the local target)");
  app.add_option("--device", local_options.devices, "pmem block device to use, in order (default: the allowed ones)")
      ->needs(local);
  app.add_option("--allow-device", local_options.allow_devices, "pmem block device poisonlab may format and poison")
      ->needs(local);
  app.add_flag("--force", local_options.force, "allow devices that hold a file system or signature")->needs(local);
  auto* run = app.add_option("--run-cell", cell_path, "run one CellSpec JSON file and exit (dev mode)");
  app.add_option("--out", out_path, "observation JSON file written by --run-cell")->needs(run);
  app.set_version_flag("--version", std::string(kVersion) + " (" + kGitSha + ")");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }
  signal(SIGPIPE, SIG_IGN);  // a dead victim's pipe must not kill the agent
  // ndctl, mkfs.xfs, dmsetup and mount are found through PATH; an init may
  // start us without one (execvp's default lacks the sbin directories).
  setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 0);
  try {
    std::unique_ptr<agent::LocalDevices> local_devices;
    if (local_mode) {
      local_devices = std::make_unique<agent::LocalDevices>(local_options);
      agent::install_local_devices(local_devices.get());
    }
    if (!cell_path.empty()) {
      if (out_path.empty()) throw UserError("--run-cell needs --out", kExitBadInput);
      return agent::dev_mode(cell_path, out_path);
    }
    return agent::channel_mode(port, channel_fd);
  } catch (const UserError& e) {
    std::cerr << "poisonlab-agent: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "poisonlab-agent: " << e.what() << "\n";
    return kExitFailure;
  }
}

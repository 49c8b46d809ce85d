#pragma once
// The local backend of Target (issue 7): the agent's steps run on this
// machine itself, for lab machines with real pmem or CXL memory. The agent
// is a child process (it dies with the runner) speaking the same JSON lines
// over a socketpair; it uses the existing pmem block devices it is given
// instead of creating namespaces on emulated NVDIMMs.
//
// Files, in <run dir>/local/: console.log (the agent's stderr and the kernel
// log lines logged while the target runs, from `dmesg --follow-new`): the
// runner's console watch and oops parsing read it as a VM's serial log.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/process.h"
#include "protocol/channel.h"
#include "target/local/local_safety.h"
#include "target/agent_channel_target.h"

namespace poisonlab {

struct LocalTargetOptions {
  std::vector<std::filesystem::path> allow_devices;  // --allow-device
  // --device: the pmem block devices the cells use, in order (a two-disk
  // stack takes the first two). Empty: every allowed device.
  std::vector<std::filesystem::path> devices;
  bool force = false;  // --force: allow devices holding a file system or signature
  // Default: poisonlab-agent beside the running executable.
  std::optional<std::filesystem::path> agent_path;

  const std::vector<std::filesystem::path>& used_devices() const { return devices.empty() ? allow_devices : devices; }
};

// Every check of local_safety.h against this machine, before any cell:
// the devices (allowed, not mounted, blank unless --force) and the cells'
// physical targets (clear of System RAM). Throws UserError(exit 2) listing
// every refusal.
void check_local_target_safety(const LocalTargetOptions& options, const std::vector<local::NamedCellSpec>& cells,
                               const local::HostView& view = local::HostView());

class LocalTarget : public AgentChannelTarget {
 public:
  LocalTarget(LocalTargetOptions options, std::filesystem::path run_dir);
  ~LocalTarget() override;

  void start() override;
  void shutdown(std::chrono::milliseconds grace) override;
  [[noreturn]] void abort(const std::string& kind, const std::string& detail) override;
  std::filesystem::path serial_log() const override;
  nlohmann::json describe() const override;
  std::string human_monitor(const std::string& command) override;
  nlohmann::json qmp_command(const std::string& name, const nlohmann::json& arguments) override;

  // The agent's command line (after start()).
  const std::vector<std::string>& agent_command() const { return agent_command_; }
  // How shutdown() ended the agent: "agent" (it said bye and exited),
  // "killed", "already-exited"; empty before shutdown().
  const std::string& shutdown_outcome() const { return shutdown_outcome_; }

 private:
  std::filesystem::path local_dir() const { return run_dir_ / "local"; }
  void start_kernel_log();
  void spawn_agent();
  JsonLineChannel* agent_channel() override { return channel_ ? &*channel_ : nullptr; }
  std::optional<int> poll_exit() override;
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) override;
  void stop_all();
  [[noreturn]] void fail(const std::string& kind, const std::string& detail) override;
  [[noreturn]] void fail_exited() override;

  LocalTargetOptions options_;
  std::filesystem::path run_dir_;
  std::vector<std::string> agent_command_;
  ChildProcess agent_;
  ChildProcess kernel_log_;
  std::string kernel_log_source_;  // the command feeding console.log, or why there is none
  std::optional<JsonLineChannel> channel_;
  std::optional<int> exit_status_;
  std::string shutdown_outcome_;
};

// For the run stage: a LocalTarget writing into run_dir/local.
std::unique_ptr<Target> make_local_target(const LocalTargetOptions& options, const std::filesystem::path& run_dir);

}  // namespace poisonlab

#pragma once
// The QEMU backend of Target: one TCG VM with emulated NVDIMMs, the host
// root shared read-only, the agent on a virtio-serial port and QMP for the
// monitor. All files go to the VM folder (serial.log, qemu.log, guest/,
// nvdimm<i>.img, and the sockets when the path is short enough).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/process.h"
#include "protocol/channel.h"
#include "target/qemu/qemu_command.h"
#include "target/qemu/qmp_client.h"
#include "target/qemu/unix_socket.h"
#include "target/agent_channel_target.h"

namespace poisonlab {

class QemuTarget : public AgentChannelTarget {
 public:
  explicit QemuTarget(VmConfig config);
  ~QemuTarget() override;

  void start() override;
  void shutdown(std::chrono::milliseconds grace) override;
  [[noreturn]] void abort(const std::string& kind, const std::string& detail) override;
  std::filesystem::path serial_log() const override;
  nlohmann::json describe() const override;
  std::string human_monitor(const std::string& command) override;
  nlohmann::json qmp_command(const std::string& name, const nlohmann::json& arguments) override;
  void kill_vm_process() override;

  // Boot phases, on the steady clock: QEMU spawned, agent socket connected.
  std::optional<Clock::time_point> spawned_at() const { return spawned_at_; }
  std::optional<Clock::time_point> channel_connected_at() const { return channel_connected_at_; }
  // Raw wait status once QEMU has ended.
  std::optional<int> qemu_wait_status() const { return exit_status_; }
  const std::vector<std::string>& command() const { return command_; }
  const VmConfig& config() const { return config_; }
  // How shutdown() ended the VM: "agent" (it powered off), "qmp-quit",
  // "killed", "already-exited"; empty before shutdown().
  const std::string& shutdown_outcome() const { return shutdown_outcome_; }

 private:
  void prepare_vm_dir();
  void spawn_qemu();
  UniqueFd connect_socket(const std::filesystem::path& path, const std::string& what);
  void connect_qmp();
  JsonLineChannel* agent_channel() override { return agent_ ? &*agent_ : nullptr; }
  std::optional<int> poll_exit() override;
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) override;
  [[noreturn]] void fail(const std::string& kind, const std::string& detail) override;
  [[noreturn]] void fail_exited() override;
  void kill_qemu();
  void remove_nvdimm_images();

  VmConfig config_;
  std::unique_ptr<QemuSocketDir> socket_dir_;
  std::vector<std::string> command_;
  ChildProcess qemu_;
  std::optional<JsonLineChannel> agent_;
  QmpClient qmp_;
  nlohmann::json qemu_version_ = nlohmann::json::object();  // QMP query-version
  std::optional<Clock::time_point> spawned_at_, channel_connected_at_;
  std::optional<int> exit_status_;
  std::string shutdown_outcome_;
};

}  // namespace poisonlab

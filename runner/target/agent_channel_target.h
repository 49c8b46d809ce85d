#pragma once
// What every backend whose agent talks JSON lines over one channel shares:
// receiving with a liveness check of the process behind it (QEMU, or the
// local agent), draining what it said just before it died, and turning a
// closed channel or a dead process into a TargetFailure. A backend supplies
// the channel and how its process is watched and described.
#include <chrono>
#include <optional>

#include <nlohmann/json.hpp>

#include "protocol/channel.h"
#include "target/target.h"

namespace poisonlab {

class AgentChannelTarget : public Target {
 public:
  using Clock = std::chrono::steady_clock;

  nlohmann::json receive(std::chrono::milliseconds no_progress_timeout) override;
  std::optional<nlohmann::json> try_receive(std::chrono::milliseconds timeout) override;
  void send(const nlohmann::json& message) override;

 protected:
  // How often a wait for a message checks that the process still lives.
  static constexpr std::chrono::milliseconds kLivenessPollInterval{150};
  // After the channel failed: how long the process gets to show it exited.
  static constexpr std::chrono::milliseconds kExitAfterCloseWait{2000};

  // The agent's channel; nullptr before start().
  virtual JsonLineChannel* agent_channel() = 0;
  // The process's wait status once it ended (non-blocking / up to timeout).
  virtual std::optional<int> poll_exit() = 0;
  virtual std::optional<int> wait_exit(std::chrono::milliseconds timeout) = 0;
  [[noreturn]] virtual void fail(const std::string& kind, const std::string& detail) = 0;
  [[noreturn]] virtual void fail_exited() = 0;
  // Messages the agent sent just before its process ended, still buffered.
  std::optional<nlohmann::json> drain_after_exit();

 private:
  JsonLineChannel& started_channel(const char* what);
};

}  // namespace poisonlab

#include "target/agent_channel_target.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "target/qemu/unix_socket.h"

namespace poisonlab {
using std::chrono::milliseconds;

JsonLineChannel& AgentChannelTarget::started_channel(const char* what) {
  JsonLineChannel* channel = agent_channel();
  if (!channel) throw UserError(std::string("internal: Target::") + what + " before start");
  return *channel;
}

std::optional<nlohmann::json> AgentChannelTarget::drain_after_exit() {
  try {
    return started_channel("receive").receive(milliseconds(20));
  } catch (const UserError&) {
    return std::nullopt;
  }
}

std::optional<nlohmann::json> AgentChannelTarget::try_receive(milliseconds timeout) {
  JsonLineChannel& channel = started_channel("try_receive");
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (poll_exit()) {
      if (auto message = drain_after_exit()) return std::move(*message);
      fail_exited();
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    try {
      if (auto message = channel.receive(std::clamp(left, milliseconds(0), kLivenessPollInterval)))
        return std::move(*message);
    } catch (const UserError& e) {
      if (wait_exit(kExitAfterCloseWait)) fail_exited();
      fail("channel-closed", e.what());
    }
    if (Clock::now() >= deadline) return std::nullopt;
  }
}

nlohmann::json AgentChannelTarget::receive(milliseconds no_progress_timeout) {
  if (auto message = try_receive(no_progress_timeout)) return std::move(*message);
  abort("hang", fmt::format("no agent message within {} ms", no_progress_timeout.count()));
}

void AgentChannelTarget::send(const nlohmann::json& message) {
  JsonLineChannel& channel = started_channel("send");
  if (poll_exit()) fail_exited();
  try {
    ScopedSigpipeBlock no_sigpipe;  // a closed channel is an error here, not a signal
    channel.send(message);
  } catch (const UserError& e) {
    if (wait_exit(kExitAfterCloseWait)) fail_exited();
    fail("channel-closed", e.what());
  }
}

}  // namespace poisonlab

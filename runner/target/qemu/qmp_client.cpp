#include "target/qemu/qmp_client.h"

#include <algorithm>

#include "target/qemu/unix_socket.h"

namespace poisonlab {

void QmpClient::connect(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
  auto fd = connect_unix_with_retry(path, timeout);
  if (!fd) throw UserError("cannot connect to QMP socket " + path.string() + " within " +
                           std::to_string(timeout.count()) + " ms");
  connect_fd(std::move(*fd));
}

void QmpClient::connect_fd(UniqueFd fd) {
  channel_.emplace(std::move(fd));
  greeting_ = next_message(reply_timeout_, "the QMP greeting");
  if (!greeting_.contains("QMP")) {
    channel_.reset();
    throw UserError("QMP: expected a greeting with \"QMP\", got " + greeting_.dump());
  }
  execute("qmp_capabilities");
}

nlohmann::json QmpClient::next_message(std::chrono::milliseconds timeout, const std::string& waiting_for) {
  if (!channel_) throw UserError("QMP: not connected");
  std::optional<nlohmann::json> message;
  try {
    message = channel_->receive(timeout);
  } catch (const UserError& e) {
    throw UserError("QMP connection lost while waiting for " + waiting_for + ": " + e.what());
  }
  if (!message)
    throw UserError("QMP: no answer within " + std::to_string(timeout.count()) + " ms while waiting for " +
                    waiting_for);
  return *message;
}

nlohmann::json QmpClient::execute(const std::string& command, const nlohmann::json& arguments) {
  if (!channel_) throw UserError("QMP: not connected");
  uint64_t id = next_id_++;
  nlohmann::json request = {{"execute", command}, {"id", id}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  try {
    ScopedSigpipeBlock no_sigpipe;
    channel_->send(request);
  } catch (const UserError& e) {
    throw UserError("QMP " + command + ": cannot send: " + e.what());
  }
  auto deadline = std::chrono::steady_clock::now() + reply_timeout_;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    nlohmann::json message = next_message(std::max(left, std::chrono::milliseconds(0)), "the reply to " + command);
    if (message.contains("event")) {
      events_.push_back(std::move(message));
      continue;
    }
    // Replies to an earlier command that timed out carry another id.
    if (message.value("id", nlohmann::json()) != nlohmann::json(id)) continue;
    if (message.contains("error")) {
      const auto& err = message["error"];
      throw QmpError(command, err.value("class", "?"), err.value("desc", err.dump()));
    }
    if (message.contains("return")) return message["return"];
  }
}

std::string QmpClient::human_monitor_command(const std::string& command_line) {
  auto result = execute("human-monitor-command", {{"command-line", command_line}});
  return result.is_string() ? result.get<std::string>() : result.dump();
}

bool QmpClient::poll_events(std::chrono::milliseconds timeout) {
  if (!channel_) return false;
  // The channel reads the socket only when its timeout (in whole ms, minus
  // the time already spent) is still positive.
  const auto minimum = std::chrono::milliseconds(5);
  try {
    auto wait = std::max(timeout, minimum);
    while (auto message = channel_->receive(wait)) {
      if (message->contains("event")) events_.push_back(std::move(*message));
      wait = minimum;
    }
    return true;
  } catch (const UserError&) {
    return false;
  }
}

}  // namespace poisonlab

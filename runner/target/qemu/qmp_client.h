#pragma once
// A small QMP (QEMU Machine Protocol) client over QEMU's unix socket:
// greeting, capability negotiation, synchronous commands, and the async
// events QEMU interleaves with replies (SHUTDOWN, GUEST_PANICKED, ...).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/unique_fd.h"
#include "protocol/channel.h"

namespace poisonlab {

// QEMU answered a command with {"error":{"class":...,"desc":...}}.
class QmpError : public UserError {
 public:
  QmpError(std::string command, std::string error_class, std::string desc)
      : UserError("QMP " + command + " failed: " + error_class + ": " + desc),
        command(std::move(command)), error_class(std::move(error_class)), desc(std::move(desc)) {}
  std::string command, error_class, desc;
};

class QmpClient {
 public:
  // Connects (retrying while the socket does not exist yet, up to timeout),
  // reads the greeting and negotiates capabilities. Throws UserError.
  void connect(const std::filesystem::path& path, std::chrono::milliseconds timeout);
  // The same handshake on an already connected socket.
  void connect_fd(UniqueFd fd);
  bool connected() const { return channel_.has_value(); }

  // Runs one command and returns its "return" value. Throws QmpError with
  // QEMU's description on an error reply, UserError on timeout or when QEMU
  // closed the connection.
  nlohmann::json execute(const std::string& command, const nlohmann::json& arguments = nullptr);
  // HMP through QMP human-monitor-command; returns the monitor's output.
  std::string human_monitor_command(const std::string& command_line);

  // Reads the events QEMU has sent (waiting up to timeout for the first);
  // returns false once QEMU closed the connection.
  bool poll_events(std::chrono::milliseconds timeout);
  // Async events seen so far, in arrival order.
  std::vector<nlohmann::json> events() const { return events_; }
  const nlohmann::json& greeting() const { return greeting_; }

  void set_reply_timeout(std::chrono::milliseconds timeout) { reply_timeout_ = timeout; }

 private:
  nlohmann::json next_message(std::chrono::milliseconds timeout, const std::string& waiting_for);
  std::optional<JsonLineChannel> channel_;
  nlohmann::json greeting_;
  std::vector<nlohmann::json> events_;
  uint64_t next_id_ = 1;
  std::chrono::milliseconds reply_timeout_ = std::chrono::seconds(30);
};

}  // namespace poisonlab

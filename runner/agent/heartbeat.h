#pragma once
// Thread-safe sending on the runner channel, with a heartbeat thread that
// repeats the last progress message while a cell runs, so the runner's
// watchdog (reset by any message) hears from the agent at least every
// `interval` even during long settle waits or a slow mkfs.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "protocol/channel.h"

namespace poisonlab::agent {

class ChannelSender {
 public:
  ChannelSender(JsonLineChannel& channel, std::chrono::milliseconds interval);
  ~ChannelSender();
  ChannelSender(const ChannelSender&) = delete;
  ChannelSender& operator=(const ChannelSender&) = delete;

  void send(const nlohmann::json& message);
  // Sends a progress message now and keeps repeating it until end_cell().
  // detail (an object, or null for none) travels with it: what the runner
  // keeps as partial data should the cell never finish.
  void progress(const std::string& cell_id, const std::string& stage, std::optional<int> trial,
                const nlohmann::json& detail = nullptr);
  void end_cell();
  // Sends {"type":"request", "cell_id", "request_id", ...request} and waits
  // for the runner's {"type":"reply"} with the same request_id (other
  // messages are dropped). Throws UserError on timeout or a closed channel.
  nlohmann::json request(const std::string& cell_id, nlohmann::json request, std::chrono::milliseconds timeout);

 private:
  void heartbeat_loop();
  void send_locked(const nlohmann::json& message);

  JsonLineChannel& channel_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<nlohmann::json> last_progress_;
  std::chrono::steady_clock::time_point last_sent_;
  bool stop_ = false;
  int next_request_id_ = 0;
  std::thread thread_;
};

// {"type":"progress", ...} with time_ns = CLOCK_MONOTONIC now.
nlohmann::json progress_message(const std::string& cell_id, const std::string& stage, std::optional<int> trial,
                                const nlohmann::json& detail = nullptr);

}  // namespace poisonlab::agent

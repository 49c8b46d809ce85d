#include "agent/heartbeat.h"

#include "agent/clock.h"
#include "common/error.h"

namespace poisonlab::agent {

nlohmann::json progress_message(const std::string& cell_id, const std::string& stage, std::optional<int> trial,
                                const nlohmann::json& detail) {
  nlohmann::json m = {{"type", "progress"},
                      {"cell_id", cell_id},
                      {"stage", stage},
                      {"trial", trial ? nlohmann::json(*trial) : nlohmann::json(nullptr)},
                      {"time_ns", monotonic_ns()}};
  if (!detail.is_null()) m["detail"] = detail;
  return m;
}

ChannelSender::ChannelSender(JsonLineChannel& channel, std::chrono::milliseconds interval)
    : channel_(channel), interval_(interval), last_sent_(std::chrono::steady_clock::now()),
      thread_([this] { heartbeat_loop(); }) {}

ChannelSender::~ChannelSender() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ChannelSender::send_locked(const nlohmann::json& message) {
  channel_.send(message);
  last_sent_ = std::chrono::steady_clock::now();
}

void ChannelSender::send(const nlohmann::json& message) {
  std::lock_guard lock(mutex_);
  send_locked(message);
}

void ChannelSender::progress(const std::string& cell_id, const std::string& stage, std::optional<int> trial,
                             const nlohmann::json& detail) {
  std::lock_guard lock(mutex_);
  last_progress_ = progress_message(cell_id, stage, trial, detail);
  send_locked(*last_progress_);
}

void ChannelSender::end_cell() {
  std::lock_guard lock(mutex_);
  last_progress_.reset();
}

nlohmann::json ChannelSender::request(const std::string& cell_id, nlohmann::json request,
                                     std::chrono::milliseconds timeout) {
  int id = ++next_request_id_;
  request["type"] = "request";
  request["cell_id"] = cell_id;
  request["request_id"] = id;
  send(request);
  // Only the thread running the cell reads the channel while a cell runs.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto now = std::chrono::steady_clock::now(); now < deadline; now = std::chrono::steady_clock::now()) {
    auto message = channel_.receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    if (message && message->value("type", "") == "reply" && message->value("request_id", -1) == id) return *message;
  }
  throw UserError("no reply from the runner to request " + std::to_string(id) + " within " +
                  std::to_string(timeout.count()) + " ms");
}

void ChannelSender::heartbeat_loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(500));
    if (stop_ || !last_progress_) continue;
    if (std::chrono::steady_clock::now() - last_sent_ < interval_) continue;
    (*last_progress_)["time_ns"] = monotonic_ns();
    try {
      send_locked(*last_progress_);
    } catch (const std::exception&) {
      // The main loop sees the closed channel on its next send or receive.
      last_progress_.reset();
    }
  }
}

}  // namespace poisonlab::agent

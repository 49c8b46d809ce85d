#pragma once
// JSON-lines channel between the runner and the in-guest agent. The same
// class serves both ends: the runner over the virtio-serial chardev's unix
// socket, the agent over /dev/vportNpM.
#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"

namespace poisonlab {

class JsonLineChannel {
 public:
  explicit JsonLineChannel(UniqueFd fd) : fd_(std::move(fd)) {}
  // Writes one message as a single line. Throws UserError on a closed peer.
  void send(const nlohmann::json& message);
  // The next message, or nullopt when the timeout passes with none. Throws
  // UserError when the peer closed the channel; lines that are not JSON
  // (stray console output) are skipped.
  std::optional<nlohmann::json> receive(std::chrono::milliseconds timeout);
  int fd() const { return fd_.get(); }

 private:
  // The buffer's capacity kept between messages; a larger one is released.
  static constexpr size_t kKeptBufferBytes = 1u << 20;
  std::optional<nlohmann::json> pop_line();
  UniqueFd fd_;
  std::string buffer_;
};

}  // namespace poisonlab

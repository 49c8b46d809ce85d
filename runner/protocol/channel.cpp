#include "protocol/channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace poisonlab {

void JsonLineChannel::send(const nlohmann::json& message) {
  std::string line = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  size_t done = 0;
  while (done < line.size()) {
    // MSG_NOSIGNAL: a dead peer is an error to report, not a SIGPIPE that
    // kills the runner. The guest's virtio port is not a socket: plain write.
    ssize_t n = ::send(fd_.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd_.get(), line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd_.get(), POLLOUT, 0};
        poll(&p, 1, 1000);
        continue;
      }
      throw UserError(std::string("agent channel write failed: ") + strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
}

std::optional<nlohmann::json> JsonLineChannel::pop_line() {
  // Lines are parsed where they lie in the buffer, never copied out: a
  // cell-result line can be hundreds of MB (a large range's observation).
  size_t start = 0, nl;
  std::optional<nlohmann::json> message;
  while (!message && (nl = buffer_.find('\n', start)) != std::string::npos) {
    const char* line = buffer_.data() + start;
    size_t length = nl - start;
    start = nl + 1;
    if (length == 0 || line[0] != '{') continue;
    auto parsed = nlohmann::json::parse(line, line + length, nullptr, false);
    if (!parsed.is_discarded()) message = std::move(parsed);
  }
  buffer_.erase(0, start);
  // A large line leaves a large buffer behind: give it back.
  if (buffer_.capacity() > kKeptBufferBytes && buffer_.size() < kKeptBufferBytes / 2) {
    std::string rest(buffer_);
    buffer_.swap(rest);
  }
  return message;
}

std::optional<nlohmann::json> JsonLineChannel::receive(std::chrono::milliseconds timeout) {
  if (auto m = pop_line()) return m;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    bool last_look = left.count() <= 0;  // still poll once: data may be waiting
    pollfd p{fd_.get(), POLLIN, 0};
    int r = poll(&p, 1, last_look ? 0 : static_cast<int>(left.count()));
    if (r == 0 && last_look) return std::nullopt;
    if (r < 0 && errno != EINTR) throw UserError(std::string("agent channel poll failed: ") + strerror(errno));
    if (r <= 0) continue;
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) throw UserError(std::string("agent channel read failed: ") + strerror(errno));
    if (n == 0) {
      // A virtio-serial port reads 0 while the host end is not connected;
      // a socket reads 0 when the peer went away.
      if (p.revents & POLLHUP) throw UserError("agent channel closed by the peer");
      usleep(20000);
      continue;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    // Only a chunk with a newline can complete a line: a long line is not
    // searched again for every chunk of it.
    if (!std::memchr(buf, '\n', static_cast<size_t>(n))) continue;
    if (auto m = pop_line()) return m;
  }
}

}  // namespace poisonlab

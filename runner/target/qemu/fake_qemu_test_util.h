#pragma once
// Test helpers (header-only, used by the *_test.cpp files only): unix socket
// servers standing in for QEMU's QMP monitor and agent chardev.
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "common/temp_dir.h"

namespace poisonlab::testing {

// A private folder under /tmp, removed at the end of the test.
class UnixListener {
 public:
  explicit UnixListener(const std::filesystem::path& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_.get(), 4) != 0)
      throw std::runtime_error("cannot listen on " + path.string());
  }
  // Invalid fd when nobody connects within timeout_ms.
  UniqueFd accept(int timeout_ms = 10000) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return UniqueFd();
    return UniqueFd(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  }

 private:
  UniqueFd fd_;
};

inline void write_line(int fd, const std::string& line) {
  std::string s = line + "\n";
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// One line without the newline; "" on EOF or after timeout_ms.
inline std::string read_line(int fd, int timeout_ms = 10000) {
  std::string line;
  char c;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return "";
    if (::read(fd, &c, 1) != 1) return "";
    if (c == '\n') return line;
    line += c;
  }
}

// Serves QMP on a unix socket in a thread: greeting, then each request is
// recorded and answered with the lines the responder returns ("{id}" in a
// line is replaced by the request's id as JSON).
class FakeQmpServer {
 public:
  using Responder = std::function<std::vector<std::string>(const nlohmann::json& request)>;

  FakeQmpServer(const std::filesystem::path& path, Responder responder)
      : listener_(path), responder_(std::move(responder)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeQmpServer() {
    stop_ = true;
    thread_.join();
  }
  // Requests received, in order (read after the client is done).
  std::vector<nlohmann::json> requests() const { return requests_; }

  static std::string greeting() {
    return R"({"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": "fake"}, "capabilities": ["oob"]}})";
  }
  static std::vector<std::string> ok(const std::string& value = "{}") {
    return {"{\"return\": " + value + ", \"id\": {id}}"};
  }

 private:
  void serve() {
    UniqueFd conn = listener_.accept();
    if (!conn) return;
    write_line(conn.get(), greeting());
    while (!stop_) {
      std::string line = read_line(conn.get(), 100);
      if (line.empty()) {
        pollfd p{conn.get(), POLLIN, 0};
        if (::poll(&p, 1, 0) > 0) {
          char c;
          if (::recv(conn.get(), &c, 1, MSG_PEEK) == 0) return;  // client closed
        }
        continue;
      }
      auto request = nlohmann::json::parse(line);
      requests_.push_back(request);
      for (auto reply : responder_(request)) {
        auto pos = reply.find("{id}");
        if (pos != std::string::npos) reply.replace(pos, 4, request.value("id", nlohmann::json()).dump());
        if (reply == "CLOSE") return;
        write_line(conn.get(), reply);
      }
    }
  }

  UnixListener listener_;
  Responder responder_;
  std::vector<nlohmann::json> requests_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace poisonlab::testing

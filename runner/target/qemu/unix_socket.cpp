#include "target/qemu/unix_socket.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/error.h"

namespace poisonlab {
namespace fs = std::filesystem;

std::optional<UniqueFd> try_connect_unix(const fs::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string& p = path.native();
  if (p.size() > kMaxUnixSocketPath)
    throw UserError("unix socket path longer than " + std::to_string(kMaxUnixSocketPath) + " bytes: " + p);
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw UserError(std::string("socket() failed: ") + strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return fd;
  if (errno == ENOENT || errno == ECONNREFUSED || errno == EAGAIN || errno == EINTR) return std::nullopt;
  throw UserError("cannot connect to " + p + ": " + strerror(errno));
}

std::optional<UniqueFd> connect_unix_with_retry(const fs::path& path, std::chrono::milliseconds timeout,
                                                const std::function<bool()>& keep_trying) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto step = std::chrono::milliseconds(5);
  for (;;) {
    if (auto fd = try_connect_unix(path)) return fd;
    if (keep_trying && !keep_trying()) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(step);
    step = std::min(step * 2, std::chrono::milliseconds(100));
  }
}

QemuSocketDir::QemuSocketDir(const fs::path& vm_dir) {
  fs::path dir = vm_dir;
  if ((vm_dir / "agent.sock").native().size() > kMaxUnixSocketPath) {
    std::string templ = "/tmp/poisonlab-sock-XXXXXX";
    if (!::mkdtemp(templ.data())) throw UserError(std::string("mkdtemp failed: ") + strerror(errno));
    temp_dir_ = templ;
    dir = temp_dir_;
  }
  sockets_ = {dir / "agent.sock", dir / "qmp.sock"};
}

QemuSocketDir::~QemuSocketDir() {
  if (temp_dir_.empty()) return;
  std::error_code ignored;
  fs::remove_all(temp_dir_, ignored);
}

ScopedSigpipeBlock::ScopedSigpipeBlock() {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  was_blocked_ = sigismember(&old, SIGPIPE);
}

ScopedSigpipeBlock::~ScopedSigpipeBlock() {
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  if (!was_pending_) {
    // Consume the SIGPIPE our write raised, if any.
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
    }
  }
  if (!was_blocked_) pthread_sigmask(SIG_UNBLOCK, &pipe_set, nullptr);
}

}  // namespace poisonlab

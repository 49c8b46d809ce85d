#pragma once
// Unix stream sockets to QEMU's server sockets (QMP, agent chardev), and a
// short private folder for them when the VM folder's path is too long.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>

#include "common/unique_fd.h"
#include "target/qemu/qemu_command.h"

namespace poisonlab {

// sun_path holds 108 bytes including the terminating NUL.
inline constexpr size_t kMaxUnixSocketPath = 107;

// One connection attempt; nullopt while the socket does not exist or nobody
// listens yet. Throws UserError for a path that cannot be a socket address.
std::optional<UniqueFd> try_connect_unix(const std::filesystem::path& path);

// Retries until connected, until timeout (nullopt), or until keep_trying
// returns false (nullopt).
std::optional<UniqueFd> connect_unix_with_retry(const std::filesystem::path& path,
                                                std::chrono::milliseconds timeout,
                                                const std::function<bool()>& keep_trying = {});

// Where QEMU's sockets go: in the VM folder when the paths fit, otherwise in
// a private folder under /tmp that is removed with this object.
class QemuSocketDir {
 public:
  explicit QemuSocketDir(const std::filesystem::path& vm_dir);
  QemuSocketDir(const QemuSocketDir&) = delete;
  QemuSocketDir& operator=(const QemuSocketDir&) = delete;
  ~QemuSocketDir();

  const QemuSockets& sockets() const { return sockets_; }
  bool is_private_temp() const { return !temp_dir_.empty(); }

 private:
  std::filesystem::path temp_dir_;
  QemuSockets sockets_;
};

// Blocks SIGPIPE in this thread while alive and discards one raised meanwhile,
// so writing to a socket whose VM died fails with EPIPE instead of killing
// the runner.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock();
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;
  ~ScopedSigpipeBlock();

 private:
  bool was_blocked_ = false;
  bool was_pending_ = false;
};

}  // namespace poisonlab

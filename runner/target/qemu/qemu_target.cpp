#include "target/qemu/qemu_target.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "common/fs_util.h"

namespace poisonlab {
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

constexpr size_t kSerialTailLines = 50;
// After the agent socket closes, QEMU normally ends within this time if it
// is ending at all.
constexpr milliseconds kQuitWait(5000);

void create_sparse_file(const fs::path& path, uint64_t bytes) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0)
    throw UserError("cannot create NVDIMM image " + path.string() + ": " + strerror(errno));
}

void require_file(const fs::path& path, const std::string& what) {
  if (!fs::is_regular_file(path)) throw UserError(what + " not found: " + path.string());
}

std::string version_string(const nlohmann::json& version) {
  if (!version.contains("qemu")) return "";
  const auto& q = version["qemu"];
  return fmt::format("{}.{}.{}", q.value("major", 0), q.value("minor", 0), q.value("micro", 0));
}

std::string describe_shutdown_events(const std::vector<nlohmann::json>& events) {
  std::string out;
  for (const auto& e : events) {
    std::string name = e.value("event", "");
    if (name != "SHUTDOWN" && name != "GUEST_PANICKED" && name != "RESET") continue;
    out += "; QMP event " + name;
    if (e.contains("data")) out += " " + e["data"].dump();
  }
  return out;
}

}  // namespace

QemuTarget::QemuTarget(VmConfig config) : config_(std::move(config)) {
  validate_vm_config(config_);
  if (const char* fast_boot = std::getenv("POISONLAB_FAST_BOOT")) apply_fast_boot_setting(config_.boot, fast_boot);
}

QemuTarget::~QemuTarget() {
  kill_qemu();
  if (socket_dir_ && !socket_dir_->is_private_temp()) {
    std::error_code ignored;
    fs::remove(socket_dir_->sockets().agent, ignored);
    fs::remove(socket_dir_->sockets().qmp, ignored);
  }
  if (!config_.keep_nvdimm_images) remove_nvdimm_images();
}

void QemuTarget::prepare_vm_dir() {
  require_file(config_.kernel_image, "kernel image");
  require_file(config_.initramfs, "initramfs");
  fs::create_directories(config_.vm_dir);
  fs::create_directories(guest_share_path(config_));
  for (size_t i = 0; i < config_.nvdimms.size(); ++i)
    create_sparse_file(nvdimm_image_path(config_, i), nvdimm_backing_bytes(config_.nvdimms[i]));
  if (config_.cxl) {  // CXL (issue 5): the type-3 device's memory and label area
    create_sparse_file(cxl_image_path(config_), config_.cxl->size_bytes);
    create_sparse_file(cxl_lsa_path(config_), config_.cxl->lsa_bytes);
  }
}

void QemuTarget::spawn_qemu() {
  SpawnOptions options;
  options.stdout_path = qemu_log_path(config_);
  options.stderr_to_stdout = true;
  qemu_ = ChildProcess::spawn(command_, options);
  spawned_at_ = Clock::now();
}

void QemuTarget::start() {
  if (spawned_at_) throw UserError("internal: QemuTarget::start called twice");
  require_program(config_.qemu_binary.string(), "qemu-system-x86");
  prepare_vm_dir();
  resolve_boot_files(config_);
  socket_dir_ = std::make_unique<QemuSocketDir>(config_.vm_dir);
  command_ = build_qemu_command(config_, socket_dir_->sockets());
  spawn_qemu();
  agent_.emplace(connect_socket(socket_dir_->sockets().agent, "agent"));
  channel_connected_at_ = Clock::now();
  connect_qmp();
}

UniqueFd QemuTarget::connect_socket(const fs::path& path, const std::string& what) {
  auto fd = connect_unix_with_retry(path, config_.start_timeout, [this] { return !poll_exit(); });
  if (fd) return std::move(*fd);
  if (poll_exit()) fail_exited();
  kill_qemu();
  fail("start-timeout", fmt::format("QEMU did not open its {} socket {} within {} ms", what, path.string(),
                                    config_.start_timeout.count()));
}

void QemuTarget::connect_qmp() {
  try {
    qmp_.connect_fd(connect_socket(socket_dir_->sockets().qmp, "QMP"));
    qemu_version_ = qmp_.execute("query-version");
  } catch (const TargetFailure&) {
    throw;
  } catch (const UserError& e) {
    if (wait_exit(kExitAfterCloseWait)) fail_exited();
    kill_qemu();
    throw UserError(std::string("QEMU monitor handshake failed: ") + e.what());
  }
}

std::optional<int> QemuTarget::poll_exit() {
  if (!exit_status_) exit_status_ = qemu_.try_wait();
  return exit_status_;
}

std::optional<int> QemuTarget::wait_exit(milliseconds timeout) {
  if (!exit_status_ && qemu_.pid() > 0) exit_status_ = qemu_.wait_for(timeout);
  return exit_status_;
}

void QemuTarget::kill_qemu() {
  if (qemu_.pid() > 0 && !poll_exit()) exit_status_ = qemu_.terminate(milliseconds(0));
}

void QemuTarget::remove_nvdimm_images() {
  std::error_code ignored;
  for (size_t i = 0; i < config_.nvdimms.size(); ++i) fs::remove(nvdimm_image_path(config_, i), ignored);
  if (config_.cxl) {
    fs::remove(cxl_image_path(config_), ignored);
    fs::remove(cxl_lsa_path(config_), ignored);
  }
}

void QemuTarget::fail(const std::string& kind, const std::string& detail) {
  qmp_.poll_events(milliseconds(0));
  throw TargetFailure(kind, detail, tail_file(serial_log_path(config_), kSerialTailLines), exit_status_,
                      nlohmann::json(qmp_.events()));
}

void QemuTarget::fail_exited() {
  // QEMU sends SHUTDOWN (with its reason: guest-shutdown, guest-reset after
  // a panic with panic=-1, host-qmp-quit, ...) just before it exits.
  qmp_.poll_events(milliseconds(100));
  std::string detail = "QEMU ended (" + describe_wait_status(exit_status_.value_or(0)) + ")" +
                       describe_shutdown_events(qmp_.events());
  std::string log = tail_file(qemu_log_path(config_), 10);
  if (!log.empty()) detail += "; qemu.log: " + log;
  fail("qemu-exited", detail);
}

void QemuTarget::shutdown(milliseconds grace) {
  if (qemu_.pid() <= 0 || poll_exit()) {
    shutdown_outcome_ = "already-exited";
    return;
  }
  try {
    ScopedSigpipeBlock no_sigpipe;
    if (agent_) agent_->send({{"type", "shutdown"}});
  } catch (const UserError&) {
  }
  if (wait_exit(grace)) {
    shutdown_outcome_ = "agent";
    return;
  }
  try {
    qmp_.set_reply_timeout(milliseconds(2000));
    if (qmp_.connected()) qmp_.execute("quit");
  } catch (const UserError&) {
    // QEMU may close the monitor before its reply arrives.
  }
  if (wait_exit(kQuitWait)) {
    shutdown_outcome_ = "qmp-quit";
    return;
  }
  kill_qemu();
  shutdown_outcome_ = "killed";
}

void QemuTarget::kill_vm_process() {
  if (qemu_.running()) qemu_.signal(SIGKILL);
}

void QemuTarget::abort(const std::string& kind, const std::string& detail) {
  std::string status;
  if (!poll_exit()) {
    try {
      qmp_.set_reply_timeout(milliseconds(2000));
      status = "; QEMU run state: " + qmp_.execute("query-status").value("status", "?");
    } catch (const UserError&) {
    }
  }
  kill_qemu();
  fail(kind, detail + status);
}

fs::path QemuTarget::serial_log() const { return serial_log_path(config_); }

nlohmann::json QemuTarget::describe() const {
  nlohmann::json nvdimms = nlohmann::json::array();
  for (const auto& nv : config_.nvdimms) nvdimms.push_back({{"size_bytes", nv.size_bytes}, {"label_bytes", nv.label_bytes}});
  nlohmann::json d = {{"backend", "qemu"},
                      {"accel", "tcg"},
                      {"machine", config_.cxl ? "q35" : "pc"},
                      {"qemu_binary", config_.qemu_binary.string()},
                      {"qemu_version", version_string(qemu_version_)},
                      {"qemu_package", qemu_version_.value("package", "")},
                      {"command", command_},
                      {"cpus", config_.cpus},
                      {"memory_mib", config_.memory_mib},
                      {"nvdimms", nvdimms},
                      {"boot", describe_boot(config_)},
                      {"vm_dir", config_.vm_dir.string()}};
  if (config_.cxl)
    d["cxl"] = {{"size_bytes", config_.cxl->size_bytes},
                {"lsa_bytes", config_.cxl->lsa_bytes},
                {"window_bytes", cxl_window_bytes(*config_.cxl)},
                {"type3_id", kCxlType3Id}};
  if (auto p = find_program(config_.qemu_binary.string())) d["qemu_binary_path"] = p->string();
  return d;
}

nlohmann::json QemuTarget::qmp_command(const std::string& name, const nlohmann::json& arguments) {
  if (!qmp_.connected()) throw UserError("QMP " + name + ": the VM was not started");
  if (poll_exit()) fail_exited();
  try {
    return qmp_.execute(name, arguments);
  } catch (const QmpError&) {
    throw;
  } catch (const UserError&) {
    if (wait_exit(kExitAfterCloseWait)) fail_exited();
    throw;
  }
}

std::string QemuTarget::human_monitor(const std::string& command) {
  if (!qmp_.connected()) throw UserError("human monitor: the VM was not started");
  if (poll_exit()) fail_exited();
  try {
    return qmp_.human_monitor_command(command);
  } catch (const QmpError&) {
    throw;
  } catch (const UserError&) {
    if (wait_exit(kExitAfterCloseWait)) fail_exited();
    throw;
  }
}

}  // namespace poisonlab

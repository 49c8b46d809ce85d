#pragma once
// The machine a run executes on, in the style of syzkaller's vm package: one
// abstract Target so the orchestration does not care whether the kernel runs
// in QEMU (runner/target/qemu) or, later, on lab hardware (a `local` backend).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace poisonlab {

// What went wrong with the machine itself (not with a scenario); the
// orchestration turns it into a verdict with the evidence kept here.
// Kinds:
//   "hang"           no agent message within the no-progress timeout (the VM was killed)
//   "timeout"        the cell ran past timeouts.cell_s while the agent still sent messages
//   "qemu-exited"    the VM process ended (power-off, or a guest panic with
//                    panic=-1 and -no-reboot, or a QEMU crash)
//   "channel-closed" the agent channel was closed while the VM still ran
//   "start-timeout"  the VM process never opened its agent/monitor sockets
//   "agent-exited"   the local target's agent process ended (runner/target/local)
class TargetFailure : public UserError {
 public:
  TargetFailure(std::string kind, std::string detail, std::string serial_tail,
                std::optional<int> qemu_wait_status = std::nullopt,
                nlohmann::json monitor_events = nlohmann::json::array());

  std::string kind;
  std::string detail;
  std::string serial_tail;               // last lines of the serial console
  std::optional<int> qemu_wait_status;   // raw waitpid status when the VM process ended
  nlohmann::json monitor_events;         // async monitor events seen (e.g. QMP SHUTDOWN)

  // {"kind","detail","serial_tail","qemu_status","qemu_wait_status","monitor_events"}
  nlohmann::json to_json() const;
};

class Target {
 public:
  virtual ~Target() = default;
  // Boots; returns once the agent channel is connected (the agent itself may
  // not have said hello yet: wait for it with receive()).
  virtual void start() = 0;
  // The next agent message. Throws TargetFailure when nothing arrives within
  // no_progress_timeout ("hang", after killing the VM), when the VM process
  // ended ("qemu-exited") or the channel closed ("channel-closed").
  virtual nlohmann::json receive(std::chrono::milliseconds no_progress_timeout) = 0;
  // The next agent message, or nullopt when none came within timeout (the
  // VM is left running). Throws TargetFailure when the VM is gone.
  virtual std::optional<nlohmann::json> try_receive(std::chrono::milliseconds timeout) = 0;
  // Throws TargetFailure when the VM is gone.
  virtual void send(const nlohmann::json& message) = 0;
  // Asks the agent to shut down, waits up to grace for the VM to power off,
  // then asks the monitor to quit, then kills. Never throws.
  virtual void shutdown(std::chrono::milliseconds grace) = 0;
  // Kills the VM and throws TargetFailure(kind, detail): for limits the
  // orchestration enforces itself (a cell running past its deadline).
  [[noreturn]] virtual void abort(const std::string& kind, const std::string& detail) = 0;
  virtual std::filesystem::path serial_log() const = 0;
  // e.g. {"backend":"qemu","qemu_version":"10.0.2","command":[...],"accel":"tcg"}
  virtual nlohmann::json describe() const = 0;
  // A human monitor command (QEMU HMP, e.g. "mce ..."); backends without a
  // monitor throw UserError.
  virtual std::string human_monitor(const std::string& command) = 0;
  // A runner self-test (runner_fault "qemu-crash"): the machine's process
  // dies at once, as in a crash. Backends without one throw UserError.
  virtual void kill_vm_process() { throw UserError("this target has no VM process to kill"); }
  // CXL (issue 5): one QMP command (e.g. "cxl-inject-poison") with its
  // arguments; returns its "return" value. Backends without QMP throw
  // UserError; QEMU refusing it is a UserError naming its reason.
  virtual nlohmann::json qmp_command(const std::string& name, const nlohmann::json& arguments) {
    (void)arguments;
    throw UserError("QMP command " + name + ": this target has no QMP monitor");
  }
};

}  // namespace poisonlab

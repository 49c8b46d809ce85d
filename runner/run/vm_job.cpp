#include "run/vm_job.h"

#include <sys/wait.h>

#include <chrono>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "kernel/kernel.h"
#include "observe/kernel_log.h"
#include "oracles/oracles.h"
#include "run/agent_requests.h"
#include "run/partial_progress.h"
#include "run/serial_watch.h"
#include "run/stop_request.h"
#include "target/local/local_target.h"
#include "target/qemu/qemu_target.h"

namespace poisonlab {
namespace fs = std::filesystem;
using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

CellIdentity identity_of(const Cell& cell) {
  return CellIdentity{cell.id, cell.kernel, cell.stack, cell.method, cell.filesystem, cell.target};
}

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct JobContext {
  const VmJob& job;
  const KernelSource& source;
  JobSink& sink;
  std::ostream& log;
  const Scenario& scenario() const { return *job.scenario; }
};

KernelArtifacts prepare_kernel(const JobContext& ctx) {
  auto cache = KernelCache::from_environment();
  if (ctx.job.kernel == "custom") return prepare_custom(*ctx.source.kernel_image, ctx.source.modules_dir, cache, ctx.log);
  return prepare_variant(*ctx.source.registry, ctx.job.kernel, cache, ctx.log);
}

void fail_cells_from(const JobContext& ctx, size_t from, const std::string& status, const std::string& error,
                     const std::string& serial_tail) {
  for (size_t i = from; i < ctx.job.cells.size(); ++i) {
    const Cell& cell = ctx.job.cells[i];
    ctx.sink.cell_done(cell, ctx.job.slots[i], judge_failed_cell(identity_of(cell), status, error, serial_tail));
  }
}

// Waits for the agent's hello; anything else before it is ignored.
json wait_for_hello(Target& target, seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    throw_if_stop_requested();
    auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= milliseconds(0)) target.abort("start-timeout", fmt::format("no agent hello within {} s", timeout.count()));
    auto message = target.try_receive(std::min(left, milliseconds(1000)));
    if (message && message->value("type", "") == "hello") return *message;
  }
}

json boot_phases(const json& hello, double host_start_to_hello_s) {
  auto uptime_s = [&](const char* key) -> json {
    if (!hello.contains(key) || !hello[key].is_number()) return nullptr;
    return hello[key].get<double>() / 1e9;
  };
  return {{"qemu_start_to_agent_ready_s", host_start_to_hello_s},
          {"guest_init_start_s", uptime_s("init_start_uptime_ns")},
          {"guest_modules_loaded_s", uptime_s("modules_loaded_uptime_ns")},
          {"guest_agent_ready_s", uptime_s("uptime_ns")}};
}

// Requests the agent may make of the host while a cell runs. Only typed
// requests are served, never raw monitor commands: a guest must not be able
// to make QEMU write host files.
json serve_agent_request(Target& target, const json& request) {
  json reply = {{"type", "reply"}, {"request_id", request.value("request_id", 0)}};
  try {
    if (auto qmp = qmp_request_for(request))  // CXL (issue 5): QMP cxl-inject-poison
      serve_qmp_request([&target](const std::string& n, const json& a) { return target.qmp_command(n, a); }, *qmp, reply);
    else
      serve_monitor_request([&target](const std::string& c) { return target.human_monitor(c); }, request, reply);
    reply["ok"] = true;
  } catch (const TargetFailure&) {
    throw;
  } catch (const UserError& e) {
    reply["ok"] = false;
    reply["error"] = e.what();
  }
  return reply;
}

// After a kernel oops on the console, the agent gets this long to send the
// cell's result before the VM is killed.
constexpr seconds kAfterOopsGrace{30};

void start_cell(const Cell& cell, Target& target) {
  json message = {{"type", "run-cell"}, {"cell_id", cell.id}, {"cell", cell.spec}};
  if (!cell.runner_fault.empty() && cell.runner_fault != "qemu-crash") message["runner_fault"] = cell.runner_fault;
  target.send(message);
  // A runner self-test: QEMU dies as if it had crashed (SIGKILL, as the
  // OOM killer would; no core file of the guest's memory).
  if (cell.runner_fault == "qemu-crash") target.kill_vm_process();
}

// Runs one cell on a booted VM. TargetFailure propagates: the VM is gone.
// The agent's heartbeats prove it alive, not the kernel's progress: a cell
// stuck in a syscall still ends at its deadline.
json run_cell(const JobContext& ctx, Target& target, const Cell& cell, json& partial) {
  SerialWatch console(target.serial_log());
  start_cell(cell, target);
  const auto& timeouts = ctx.scenario().timeouts;
  milliseconds progress_timeout = seconds(timeouts.progress_s);
  auto deadline = std::chrono::steady_clock::now() + seconds(timeouts.cell_s);
  std::string deadline_reason = fmt::format("the cell did not finish within timeouts.cell_s = {} s", timeouts.cell_s);
  bool oops_seen = false;
  auto last_message = std::chrono::steady_clock::now();
  for (;;) {
    throw_if_stop_requested();
    if (!oops_seen)
      if (auto oops = console.poll()) {
        oops_seen = true;
        deadline = std::min(deadline, std::chrono::steady_clock::now() + kAfterOopsGrace);
        deadline_reason = fmt::format("the kernel crashed ({}) and the agent sent no result within {} s", oops->title,
                                      kAfterOopsGrace.count());
      }
    auto now = std::chrono::steady_clock::now();
    // Past timeouts.cell_s while the agent still talks: a timeout (a range
    // too large for the time given), not a hang; its partial data is kept.
    if (now >= deadline) target.abort(oops_seen ? "kernel-crash" : "timeout", deadline_reason);
    if (now - last_message >= progress_timeout)
      target.abort("hang", fmt::format("no agent message within timeouts.progress_s = {} s", timeouts.progress_s));
    auto message_or_none = target.try_receive(milliseconds(1000));
    if (!message_or_none) continue;
    last_message = std::chrono::steady_clock::now();
    json message = std::move(*message_or_none);
    std::string type = message.value("type", "");
    if (type == "progress") {
      if (message.value("cell_id", "") == cell.id) note_progress(message, partial);
      continue;
    }
    if (message.value("cell_id", "") != cell.id) continue;
    if (type == "request") {
      target.send(serve_agent_request(target, message));
      continue;
    }
    if (type == "error")
      return judge_failed_cell(identity_of(cell), "agent-error",
                               message.value("stage", "?") + ": " + message.value("message", "?"), "");
    if (type == "cell-result") return judge_cell(identity_of(cell), cell.spec, std::move(message.at("observation")));
  }
}

// The agent says when a cell left the VM unfit for the next one (a wedged
// device, media errors that outlive the namespace).
std::optional<std::string> vm_unusable_after(const json& judged) {
  // Looked up in place: json::value() would copy the whole observation.
  auto obs = judged.find("observation");
  if (obs == judged.end() || !obs->is_object()) return std::nullopt;
  auto why = obs->find("vm_unusable");
  if (why != obs->end() && why->is_string()) return why->get<std::string>();
  return std::nullopt;
}

VmConfig vm_config(const Scenario& scenario, const KernelArtifacts& artifacts, const fs::path& vm_dir) {
  VmConfig vm;
  vm.vm_dir = vm_dir;
  vm.kernel_image = artifacts.vmlinuz;
  vm.pvh_image = artifacts.pvh_image;
  vm.initramfs = artifacts.initramfs;
  vm.agent_path = executable_dir() / "poisonlab-agent";
  vm.cpus = scenario.vm.cpus;
  vm.memory_mib = scenario.vm.memory_mib;
  for (const auto& nv : scenario.topology.nvdimms)
    vm.nvdimms.push_back(NvdimmSpec{static_cast<uint64_t>(nv.size_mib) << 20});
  if (scenario.topology.is_cxl())  // CXL (issue 5)
    vm.cxl = CxlDeviceSpec{static_cast<uint64_t>(scenario.topology.first_pmem_mib()) << 20};
  return vm;
}

// One boot of a kernel's VM, in a folder of its own that keeps its serial
// log: vm-<kernel>, then vm-<kernel>-<n> (after a failed boot, a cell that
// took the VM down, or in a resumed run).
struct VmBoot {
  fs::path vm_dir;
  fs::path serial;  // relative to the job's out_dir
  std::unique_ptr<Target> target;
  json record;      // the kernel entry's boots[] item
};

fs::path next_vm_dir(const fs::path& out_dir, const std::string& kernel, int& boot_index) {
  for (;; ++boot_index) {
    fs::path dir = out_dir / (boot_index == 0 ? "vm-" + kernel : fmt::format("vm-{}-{}", kernel, boot_index));
    if (!fs::exists(dir)) {
      ++boot_index;
      return dir;
    }
  }
}

// Boots until the agent says hello, up to kBootAttempts times: under TCG a
// boot can stall (e.g. an RCU stall of a starved vCPU) without any fault of
// the kernel under test. Throws the last TargetFailure when every attempt failed.
constexpr int kBootAttempts = 2;

VmBoot boot_vm(const JobContext& ctx, const KernelArtifacts& artifacts, int& boot_index, json& kernel_info) {
  for (int attempt = 1;; ++attempt) {
    VmBoot boot;
    boot.vm_dir = next_vm_dir(ctx.job.out_dir, ctx.job.kernel, boot_index);
    if (ctx.source.local)
      boot.target = make_local_target(*ctx.source.local, boot.vm_dir);
    else
      boot.target = std::make_unique<QemuTarget>(vm_config(ctx.scenario(), artifacts, boot.vm_dir));
    boot.serial = fs::relative(boot.target->serial_log(), ctx.job.out_dir);
    boot.record = {{"vm_dir", fs::relative(boot.vm_dir, ctx.job.out_dir).string()}, {"serial_log", boot.serial.string()}};
    auto started = std::chrono::steady_clock::now();
    try {
      boot.target->start();
      json hello = wait_for_hello(*boot.target, seconds(ctx.scenario().timeouts.boot_s));
      boot.record["phases"] = boot_phases(hello, seconds_between(started, std::chrono::steady_clock::now()));
      boot.record["outcome"] = "ready";
      if (!kernel_info.contains("boot")) {
        kernel_info["boot"] = boot.record["phases"];
        kernel_info["guest_kernel_release"] = hello.value("kernel_release", "");
        kernel_info["target"] = boot.target->describe();
        kernel_info["serial_log"] = boot.serial.string();
      }
      return boot;
    } catch (const TargetFailure& failure) {
      boot.record["outcome"] = failure.kind;
      boot.record["error"] = failure.what();
      boot.record["serial_tail"] = failure.serial_tail;
      kernel_info["boots"].push_back(boot.record);
      ctx.sink.kernel_changed(kernel_info);
      ctx.log << fmt::format("boot {} of {} failed ({}): {}\n", attempt, ctx.job.kernel, failure.kind, failure.what());
      if (attempt >= kBootAttempts) throw;
    }
  }
}

// A VM failure's evidence: the console's last lines before it (the agent's
// last words, the init's report of its exit, QEMU's silence).
constexpr size_t kConsoleTailLines = 40;

json last_lines(const std::string& text, size_t count) {
  std::vector<std::string> lines = split_log_lines(text);
  size_t from = lines.size() > count ? lines.size() - count : 0;
  return json(std::vector<std::string>(lines.begin() + from, lines.end()));
}

// Runs cells from `next` on one booted VM until the job ends or the VM must
// be replaced; returns the index of the first cell not yet judged.
size_t run_cells_on(const JobContext& ctx, VmBoot& boot, size_t next) {
  const auto& cells = ctx.job.cells;
  json cell_ids = json::array();
  uint64_t cell_console_start = 0;
  json partial = json::object();
  try {
    for (; next < cells.size(); ++next) {
      cell_ids.push_back(cells[next].id);
      boot.record["cells"] = cell_ids;
      ctx.sink.cell_started(cells[next], ctx.job.slots[next]);
      cell_console_start = serial_log_size(boot.target->serial_log());
      partial = json::object();
      json judged = run_cell(ctx, *boot.target, cells[next], partial);
      judged["serial_log"] = boot.serial.string();
      auto unusable = vm_unusable_after(judged);
      ctx.sink.cell_done(cells[next], ctx.job.slots[next], std::move(judged));
      if (auto why = unusable; why && next + 1 < cells.size()) {
        ctx.log << fmt::format("a new VM for the next cells: {}\n", *why);
        boot.record["ended_by"] = "vm-unusable: " + *why;
        return next + 1;
      }
    }
    boot.target->shutdown(seconds(30));
    return next;
  } catch (const TargetFailure& failure) {
    // A VM that died while the run was being stopped is not the cell's fault.
    throw_if_stop_requested();
    std::string console = console_since(boot.target->serial_log(), cell_console_start);
    if (console.empty()) console = failure.serial_tail;
    std::string status = classify_vm_failure(failure.kind, console, failure.qemu_wait_status);
    json judged = judge_failed_cell(identity_of(cells[next]), status, failure.what(), console);
    judged["serial_log"] = boot.serial.string();
    judged["console_tail"] = last_lines(console, kConsoleTailLines);
    if (!partial.empty()) judged["partial"] = partial;
    ctx.sink.cell_done(cells[next], ctx.job.slots[next], std::move(judged));
    ctx.log << fmt::format("cell {}: {} ({}); a new VM for the cells after it\n", cells[next].id, status, failure.what());
    boot.record["ended_by"] = status;
    return next + 1;
  }
}

}  // namespace

std::string classify_vm_failure(const std::string& kind, const std::string& console, std::optional<int> qemu_wait_status) {
  if (console.find("Kernel panic - not syncing") != std::string::npos) return "guest-panic";
  if (console.find("poisonlab-init: agent exited with status") != std::string::npos) return "agent-crash";
  // The runner kills QEMU itself only for hang and timeout; those keep their kind.
  if (kind == "qemu-exited" && qemu_wait_status && WIFSIGNALED(*qemu_wait_status)) return "qemu-crash";
  if (kind == "agent-exited") return "agent-crash";  // the local target's agent process
  return kind;
}

void run_vm_job(const VmJob& job, const KernelSource& source, JobSink& sink, std::ostream& log) {
  JobContext ctx{job, source, sink, log};
  log << fmt::format("== {} cells on {}\n", job.cells.size(), job.kernel);
  KernelArtifacts artifacts;
  try {
    if (!source.local) artifacts = prepare_kernel(ctx);
  } catch (const InputError&) {
    throw;
  } catch (const UserError& e) {
    sink.kernel_changed({{"variant", job.kernel}, {"error", e.what()}});
    fail_cells_from(ctx, 0, "kernel-error", e.what(), "");
    return;
  }
  throw_if_stop_requested();
  json kernel_info = source.local ? json{{"variant", job.kernel}} : artifacts.to_json();
  kernel_info["boots"] = json::array();
  sink.kernel_changed(kernel_info);
  int boot_index = 0;
  // A cell that takes the VM down (panic, hang) is judged on its own; the
  // cells after it get a fresh VM.
  for (size_t next = 0; next < job.cells.size();) {
    VmBoot boot;
    try {
      boot = boot_vm(ctx, artifacts, boot_index, kernel_info);
    } catch (const TargetFailure& failure) {
      kernel_info["error"] = failure.what();
      sink.kernel_changed(kernel_info);
      fail_cells_from(ctx, next, "boot-" + failure.kind, failure.what(), failure.serial_tail);
      return;
    }
    log << fmt::format("booted {} in {:.1f} s ({})\n", source.local ? "the local agent" : artifacts.release,
                       boot.record["phases"]["qemu_start_to_agent_ready_s"].get<double>(),
                       boot.record["vm_dir"].get<std::string>());
    // On disk at once: a runner killed while this VM runs still names it.
    json with_running = kernel_info;
    with_running["boots"].push_back(boot.record);
    sink.kernel_changed(with_running);
    try {
      next = run_cells_on(ctx, boot, next);
    } catch (const RunInterrupted&) {
      boot.record["ended_by"] = "interrupted";
      kernel_info["boots"].push_back(boot.record);
      sink.kernel_changed(kernel_info);
      throw;
    }
    kernel_info["boots"].push_back(boot.record);
    sink.kernel_changed(kernel_info);
  }
}

}  // namespace poisonlab

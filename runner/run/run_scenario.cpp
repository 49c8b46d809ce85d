#include "run/run_scenario.h"

#include <sys/resource.h>

#include <chrono>
#include <map>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "kernel/kernel.h"
#include "oracles/oracles.h"
#include "plan/plan.h"
#include "report/report.h"
#include "report/speed_targets.h"
#include "report/summary.h"
#include "run/agent_requests.h"
#include "run/partial_progress.h"
#include "run/run_metadata.h"
#include "run/serial_watch.h"
#include "scenario/scenario.h"
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

// Peak resident memory of the runner so far (KiB, Linux ru_maxrss).
uint64_t runner_max_rss_kib() {
  struct rusage usage {};
  return getrusage(RUSAGE_SELF, &usage) == 0 ? static_cast<uint64_t>(usage.ru_maxrss) : 0;
}

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// A kernel name must be known before anything is fetched or booted.
std::vector<std::string> choose_kernels(const RunRequest& request, const Scenario& scenario,
                                        const VariantRegistry& registry) {
  if (request.kernel_image) return {"custom"};
  std::vector<std::string> names = request.kernels.empty() ? scenario.kernels : request.kernels;
  for (const auto& name : names) registry.get(name);  // throws InputError listing the known ones
  return names;
}

struct RunContext {
  const RunRequest& request;
  const Scenario& scenario;
  const VariantRegistry& registry;
  fs::path out_dir;
  RunReport& report;
  std::ostream& log;
};

KernelArtifacts prepare_kernel(const RunContext& ctx, const std::string& kernel) {
  auto cache = KernelCache::from_environment();
  if (kernel == "custom")
    return prepare_custom(*ctx.request.kernel_image, ctx.request.modules_dir, cache, ctx.log);
  return prepare_variant(ctx.registry, kernel, cache, ctx.log);
}

void add_failed_cells(const RunContext& ctx, const std::vector<Cell>& cells, size_t from,
                      const std::string& status, const std::string& error, const std::string& serial_tail) {
  for (size_t i = from; i < cells.size(); ++i) {
    json judged = judge_failed_cell(identity_of(cells[i]), status, error, serial_tail);
    ctx.report.add_cell(judged);
    ctx.log << fmt::format("cell {}: {} ({})\n", cells[i].id, status, error.substr(0, error.find('\n')));
  }
}

// Waits for the agent's hello; anything else before it is ignored.
json wait_for_hello(Target& target, seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    json message = target.receive(std::max(left, milliseconds(1)));
    if (message.value("type", "") == "hello") return message;
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

std::string describe_cell_line(const json& judged) {
  int pass = 0, total = 0;
  auto oracles = judged.find("oracles");
  if (oracles != judged.end() && oracles->is_array())
    for (const auto& o : *oracles) {
      ++total;
      pass += o.value("verdict", "") == "pass";
    }
  return fmt::format("cell {}: {} ({}/{} oracles pass)", judged.value("id", "?"),
                     judged.value("verdict", "?"), pass, total);
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

// Runs one cell on a booted VM. TargetFailure propagates: the VM is gone.
// The agent's heartbeats prove it alive, not the kernel's progress: a cell
// stuck in a syscall still ends at its deadline.
// After a kernel oops on the console, the agent gets this long to send the
// cell's result before the VM is killed.
constexpr seconds kAfterOopsGrace{30};

json run_cell(const RunContext& ctx, Target& target, const Cell& cell, json& partial) {
  SerialWatch console(target.serial_log());
  target.send({{"type", "run-cell"}, {"cell_id", cell.id}, {"cell", cell.spec}});
  milliseconds progress_timeout = seconds(ctx.scenario.timeouts.progress_s);
  auto deadline = std::chrono::steady_clock::now() + seconds(ctx.scenario.timeouts.cell_s);
  std::string deadline_reason = fmt::format("the cell did not finish within timeouts.cell_s = {} s",
                                            ctx.scenario.timeouts.cell_s);
  bool oops_seen = false;
  auto last_message = std::chrono::steady_clock::now();
  for (;;) {
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
      target.abort("hang", fmt::format("no agent message within {} s", ctx.scenario.timeouts.progress_s));
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

VmConfig vm_config(const RunContext& ctx, const KernelArtifacts& artifacts, const fs::path& vm_dir) {
  VmConfig vm;
  vm.vm_dir = vm_dir;
  vm.kernel_image = artifacts.vmlinuz;
  vm.pvh_image = artifacts.pvh_image;
  vm.initramfs = artifacts.initramfs;
  vm.agent_path = executable_dir() / "poisonlab-agent";
  vm.cpus = ctx.scenario.vm.cpus;
  vm.memory_mib = ctx.scenario.vm.memory_mib;
  for (const auto& nv : ctx.scenario.topology.nvdimms)
    vm.nvdimms.push_back(NvdimmSpec{static_cast<uint64_t>(nv.size_mib) << 20});
  if (ctx.scenario.topology.is_cxl())  // CXL (issue 5)
    vm.cxl = CxlDeviceSpec{static_cast<uint64_t>(ctx.scenario.topology.first_pmem_mib()) << 20};
  return vm;
}

// One boot of a kernel's VM. The first boot's folder is vm-<kernel>, later
// ones (after a failed boot, or after a cell that took the VM down) get
// -<n>; each keeps its own serial log.
struct VmBoot {
  fs::path vm_dir;
  fs::path serial;  // relative to the run directory
  std::unique_ptr<QemuTarget> target;
  json record;      // the kernel entry's boots[] item
};

// Boots until the agent says hello, up to kBootAttempts times: under TCG a
// boot can stall (e.g. an RCU stall of a starved vCPU) without any fault of
// the kernel under test. Throws the last TargetFailure when every attempt failed.
constexpr int kBootAttempts = 2;

VmBoot boot_vm(const RunContext& ctx, const std::string& kernel, const KernelArtifacts& artifacts, int& boot_index,
               json& kernel_info) {
  for (int attempt = 1;; ++attempt) {
    VmBoot boot;
    boot.vm_dir = ctx.out_dir / (boot_index == 0 ? "vm-" + kernel : fmt::format("vm-{}-{}", kernel, boot_index));
    ++boot_index;
    boot.serial = fs::relative(boot.vm_dir / "serial.log", ctx.out_dir);
    boot.record = {{"vm_dir", fs::relative(boot.vm_dir, ctx.out_dir).string()}, {"serial_log", boot.serial.string()}};
    boot.target = std::make_unique<QemuTarget>(vm_config(ctx, artifacts, boot.vm_dir));
    auto started = std::chrono::steady_clock::now();
    try {
      boot.target->start();
      json hello = wait_for_hello(*boot.target, seconds(ctx.scenario.timeouts.boot_s));
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
      ctx.log << fmt::format("boot {} of {} failed ({}): {}\n", attempt, kernel, failure.kind, failure.what());
      if (attempt >= kBootAttempts) throw;
    }
  }
}

void run_kernel(const RunContext& ctx, const std::string& kernel, const std::vector<Cell>& cells) {
  ctx.log << fmt::format("== kernel {}: {} cells\n", kernel, cells.size());
  KernelArtifacts artifacts;
  try {
    artifacts = prepare_kernel(ctx, kernel);
  } catch (const InputError&) {
    throw;
  } catch (const UserError& e) {
    ctx.report.add_kernel({{"variant", kernel}, {"error", e.what()}});
    add_failed_cells(ctx, cells, 0, "kernel-error", e.what(), "");
    return;
  }
  json kernel_info = artifacts.to_json();
  kernel_info["boots"] = json::array();
  size_t kernel_index = ctx.report.add_kernel(kernel_info);
  int boot_index = 0;
  size_t next = 0;
  // A cell that takes the VM down (panic, hang) is judged on its own; the
  // cells after it get a fresh VM.
  while (next < cells.size()) {
    VmBoot boot;
    try {
      boot = boot_vm(ctx, kernel, artifacts, boot_index, kernel_info);
    } catch (const TargetFailure& failure) {
      kernel_info["error"] = failure.what();
      ctx.report.update_kernel(kernel_index, kernel_info);
      add_failed_cells(ctx, cells, next, "boot-" + failure.kind, failure.what(), failure.serial_tail);
      return;
    }
    ctx.log << fmt::format("booted {} in {:.1f} s ({})\n", artifacts.release,
                           boot.record["phases"]["qemu_start_to_agent_ready_s"].get<double>(), boot.record["vm_dir"].get<std::string>());
    json cell_ids = json::array();
    uint64_t cell_console_start = 0;
    json partial = json::object();
    try {
      for (; next < cells.size(); ++next) {
        cell_ids.push_back(cells[next].id);
        cell_console_start = serial_log_size(boot.target->serial_log());
        partial = json::object();
        json judged = run_cell(ctx, *boot.target, cells[next], partial);
        judged["serial_log"] = boot.serial.string();
        // Read what is needed before the cell is handed over (moved, not
        // copied: a large range's observation is hundreds of MB as JSON).
        std::string line = describe_cell_line(judged);
        auto unusable = vm_unusable_after(judged);
        ctx.report.add_cell(std::move(judged));
        ctx.log << line << "\n";
        if (auto why = unusable; why && next + 1 < cells.size()) {
          ctx.log << fmt::format("a new VM for the next cells: {}\n", *why);
          boot.record["ended_by"] = "vm-unusable: " + *why;
          ++next;
          break;
        }
      }
      boot.target->shutdown(seconds(30));
    } catch (const TargetFailure& failure) {
      std::string console = console_since(boot.target->serial_log(), cell_console_start);
      json judged = judge_failed_cell(identity_of(cells[next]), failure.kind, failure.what(),
                                      console.empty() ? failure.serial_tail : console);
      judged["serial_log"] = boot.serial.string();
      if (!partial.empty()) judged["partial"] = partial;
      ctx.report.add_cell(judged);
      ctx.log << fmt::format("cell {}: {} ({}); booting a new VM for the cells after it\n", cells[next].id,
                             failure.kind, failure.what());
      boot.record["ended_by"] = failure.kind;
      ++next;
    }
    boot.record["cells"] = cell_ids;
    kernel_info["boots"].push_back(boot.record);
    ctx.report.update_kernel(kernel_index, kernel_info);
  }
}

json plan_json(const Plan& plan) {
  json skipped = json::array();
  for (const auto& n : plan.not_applicable) skipped.push_back({{"id", n.id}, {"reason", n.reason}});
  return {{"cells", plan.cells.size()}, {"not_applicable", skipped}};
}

}  // namespace

RunOutcome run_scenario(const RunRequest& request, std::ostream& log) {
  Scenario scenario = load_scenario(request.scenario);
  VariantRegistry registry = VariantRegistry::load(request.variants_file);
  scenario.kernels = choose_kernels(request, scenario, registry);
  Plan plan = plan_cells(scenario);
  const std::vector<Cell>& cells = plan.cells;

  std::string run_id = make_run_id(scenario.name);
  fs::path out_dir = request.out_dir.value_or(fs::path("results") / run_id);
  fs::create_directories(out_dir);
  out_dir = fs::absolute(out_dir);

  json metadata = {{"id", run_id},
                   {"started_at", utc_timestamp()},
                   {"poisonlab", runner_metadata(request.command_line)},
                   {"host", host_metadata()},
                   {"scenario", {{"path", fs::absolute(request.scenario).string()},
                                 {"name", scenario.name},
                                 {"sha256", sha256_file(request.scenario)}}},
                   {"plan", plan_json(plan)},
                   {"variants", scenario.kernels},  // planned, so a killed run still names them all
                   {"out_dir", out_dir.string()}};
  RunReport report(out_dir / "report.json", metadata);
  log << fmt::format("run {}: {} cells, report {}\n", run_id, cells.size(), (out_dir / "report.json").string());

  auto started = std::chrono::steady_clock::now();
  RunContext ctx{request, scenario, registry, out_dir, report, log};
  for (const auto& group : group_cells_by_kernel(cells)) run_kernel(ctx, group.kernel, group.cells);

  bool all_pass = true;
  for (const auto& cell : report.json().value("cells", json::array()))
    all_pass = all_pass && cell.value("verdict", "") == "pass";
  RunCost cost{seconds_between(started, std::chrono::steady_clock::now()), runner_max_rss_kib()};
  report.finish({{"finished_at", utc_timestamp()},
                 {"status", all_pass ? "passed" : "failed"},
                 {"speed_targets", speed_targets(report.json(), cost)}});
  log << "\n" << format_summary(report.json());
  log << "report: " << (out_dir / "report.json").string() << "\n";
  return RunOutcome{out_dir / "report.json", all_pass ? kExitOk : kExitOracleFailed};
}

}  // namespace poisonlab

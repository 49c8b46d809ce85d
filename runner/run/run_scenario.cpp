#include "run/run_scenario.h"

#include <chrono>
#include <map>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "kernel/kernel.h"
#include "oracles/oracles.h"
#include "plan/plan.h"
#include "report/report.h"
#include "report/summary.h"
#include "run/run_metadata.h"
#include "scenario/scenario.h"
#include "target/qemu/qemu_target.h"

namespace poisonlab {
namespace fs = std::filesystem;
using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

CellIdentity identity_of(const Cell& cell) {
  return CellIdentity{cell.id, cell.kernel, cell.stack_name, cell.method};
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
  for (const auto& o : judged.value("oracles", json::array())) {
    ++total;
    pass += o.value("verdict", "") == "pass";
  }
  return fmt::format("cell {}: {} ({}/{} oracles pass)", judged.value("id", "?"),
                     judged.value("verdict", "?"), pass, total);
}

// Runs one cell on a booted VM. TargetFailure propagates: the VM is gone.
json run_cell(const RunContext& ctx, Target& target, const Cell& cell) {
  target.send({{"type", "run-cell"}, {"cell_id", cell.id}, {"cell", cell.spec}});
  seconds progress_timeout(ctx.scenario.timeouts.progress_s);
  for (;;) {
    json message = target.receive(progress_timeout);
    std::string type = message.value("type", "");
    if (type == "progress") continue;
    if (message.value("cell_id", "") != cell.id) continue;
    if (type == "error")
      return judge_failed_cell(identity_of(cell), "agent-error",
                               message.value("stage", "?") + ": " + message.value("message", "?"), "");
    if (type == "cell-result") return judge_cell(identity_of(cell), cell.spec, message.at("observation"));
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

  VmConfig vm;
  vm.vm_dir = ctx.out_dir / ("vm-" + kernel);
  vm.kernel_image = artifacts.vmlinuz;
  vm.initramfs = artifacts.initramfs;
  vm.agent_path = executable_dir() / "poisonlab-agent";
  vm.cpus = ctx.scenario.vm.cpus;
  vm.memory_mib = ctx.scenario.vm.memory_mib;
  for (const auto& nv : ctx.scenario.topology.nvdimms)
    vm.nvdimms.push_back(NvdimmSpec{static_cast<uint64_t>(nv.size_mib) << 20});

  json kernel_info = artifacts.to_json();
  QemuTarget target(vm);
  size_t next = 0;
  fs::path serial = fs::relative(vm.vm_dir / "serial.log", ctx.out_dir);
  try {
    auto boot_start = std::chrono::steady_clock::now();
    target.start();
    json hello = wait_for_hello(target, seconds(ctx.scenario.timeouts.boot_s));
    kernel_info["boot"] = boot_phases(hello, seconds_between(boot_start, std::chrono::steady_clock::now()));
    kernel_info["guest_kernel_release"] = hello.value("kernel_release", "");
    kernel_info["target"] = target.describe();
    kernel_info["serial_log"] = serial.string();
    ctx.report.add_kernel(kernel_info);
    ctx.log << fmt::format("booted {} in {:.1f} s\n", artifacts.release,
                           kernel_info["boot"]["qemu_start_to_agent_ready_s"].get<double>());
    for (; next < cells.size(); ++next) {
      json judged = run_cell(ctx, target, cells[next]);
      judged["serial_log"] = serial.string();
      ctx.report.add_cell(judged);
      ctx.log << describe_cell_line(judged) << "\n";
    }
    target.shutdown(seconds(30));
  } catch (const TargetFailure& failure) {
    if (next == 0 && !kernel_info.contains("boot")) {
      kernel_info["error"] = failure.what();
      kernel_info["serial_log"] = serial.string();
      ctx.report.add_kernel(kernel_info);
    }
    add_failed_cells(ctx, cells, next, failure.kind, failure.what(), failure.serial_tail);
  }
}

std::map<std::string, std::vector<Cell>> group_cells(const std::vector<Cell>& cells,
                                                     std::vector<std::string>& order) {
  std::map<std::string, std::vector<Cell>> groups;
  for (const auto& cell : cells) {
    if (!groups.count(cell.kernel)) order.push_back(cell.kernel);
    groups[cell.kernel].push_back(cell);
  }
  return groups;
}

}  // namespace

RunOutcome run_scenario(const RunRequest& request, std::ostream& log) {
  Scenario scenario = load_scenario(request.scenario);
  VariantRegistry registry = VariantRegistry::load(request.variants_file);
  scenario.kernels = choose_kernels(request, scenario, registry);
  std::vector<Cell> cells = plan_cells(scenario);

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
                   {"out_dir", out_dir.string()}};
  RunReport report(out_dir / "report.json", metadata);
  log << fmt::format("run {}: {} cells, report {}\n", run_id, cells.size(), (out_dir / "report.json").string());

  RunContext ctx{request, scenario, registry, out_dir, report, log};
  std::vector<std::string> order;
  auto groups = group_cells(cells, order);
  for (const auto& kernel : order) run_kernel(ctx, kernel, groups[kernel]);

  bool all_pass = true;
  for (const auto& cell : report.json().value("cells", json::array()))
    all_pass = all_pass && cell.value("verdict", "") == "pass";
  report.finish({{"finished_at", utc_timestamp()}, {"status", all_pass ? "passed" : "failed"}});
  log << "\n" << format_summary(report.json());
  log << "report: " << (out_dir / "report.json").string() << "\n";
  return RunOutcome{out_dir / "report.json", all_pass ? kExitOk : kExitOracleFailed};
}

}  // namespace poisonlab

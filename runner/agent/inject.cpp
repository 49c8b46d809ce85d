#include "agent/inject.h"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "agent/clock.h"
#include "agent/local_inject.h"
#include "agent/sysfs.h"
#include "common/error.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kCorruptPfn = "/sys/kernel/debug/hwpoison/corrupt-pfn";
constexpr const char* kHardOffline = "/sys/devices/system/memory/hard_offline_page";
constexpr std::chrono::milliseconds kMadviseTimeout{30000};
constexpr std::chrono::seconds kUnbindTimeout{90};
// Machine check values checked on this kind of VM (kernel-facts.md): action
// optional memory scrub, RIPV|MCIP, physical address with LSB 12.
constexpr uint64_t kMceStatusAo = 0xbd000000000000c0ull;
constexpr uint64_t kMceMcgStatusAo = 5;
constexpr uint64_t kMceMiscPhysLsb12 = 0x8c;
constexpr uint64_t kMceBank = 9;
// Action required (a data load): only safe while the interrupted CPU is in
// user mode, hence the consumer spinning there.
constexpr uint64_t kMceStatusAr = 0xbd80000000000134ull;
constexpr uint64_t kMceMcgStatusAr = 7;
constexpr std::chrono::milliseconds kSpinStart{20};

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

void wait_for(const VictimGroup& victims, const std::vector<ExpectedSignal>& expected, uint64_t deadline_ns,
              InjectionStep& step) {
  for (;;) {
    if (signals_seen(victims, expected)) {
      step.signals_seen_ns = monotonic_ns();
      return;
    }
    if (monotonic_ns() >= deadline_ns) return;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

void finish_write(InjectionStep& step, const std::string& path, int err) {
  step.end_ns = monotonic_ns();
  step.err = err;
  step.ret = err ? -1 : 0;
  if (err) step.error = "write " + path + ": " + strerror(err);
}

// One sysfs/debugfs write; memory_failure() runs inside it, so signals are
// queued before it returns.
void write_step(InjectionStep& step, const std::string& path, const std::string& value) {
  step.action = fmt::format("{} <- {}", path, value);
  step.start_ns = monotonic_ns();
  finish_write(step, path, write_attr(path, value));
}

void madvise_step(const InjectionContext& ctx, InjectionStep& step, uint64_t file_page) {
  step.action = fmt::format("madvise(MADV_HWPOISON) pages {}..{}", file_page, file_page + step.units - 1);
  if (!ctx.injector) {
    step.error = "no injector process";
    step.start_ns = step.end_ns = monotonic_ns();
    return;
  }
  MadviseReply r = ctx.victims.madvise_hwpoison(*ctx.injector, file_page, step.units, kMadviseTimeout);
  if (!r.replied) {
    step.start_ns = step.end_ns = monotonic_ns();
    step.error = "the injector did not answer (not running or hung)";
    return;
  }
  step.start_ns = r.start_ns;
  step.end_ns = r.end_ns;
  step.ret = r.ret;
  step.err = r.err;
  if (r.ret != 0) step.error = std::string("madvise(MADV_HWPOISON): ") + strerror(r.err);
}

// Keeps the calling thread off the consumer's CPU while it lives, so that
// CPU is in the consumer's user-mode loop when the machine check lands.
class AwayFromCpu {
 public:
  explicit AwayFromCpu(int cpu) {
    ok_ = sched_getaffinity(0, sizeof saved_, &saved_) == 0;
    cpu_set_t others = saved_;
    CPU_CLR(cpu, &others);
    if (ok_ && CPU_COUNT(&others) > 0) sched_setaffinity(0, sizeof others, &others);
  }
  ~AwayFromCpu() {
    if (ok_) sched_setaffinity(0, sizeof saved_, &saved_);
  }
  AwayFromCpu(const AwayFromCpu&) = delete;
  AwayFromCpu& operator=(const AwayFromCpu&) = delete;

 private:
  cpu_set_t saved_{};
  bool ok_ = false;
};

void ask_host_for_mce(const InjectionContext& ctx, InjectionStep& step, const PoisonUnit& unit, bool action_required) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  json request = {{"action", "mce"},
                  {"cpu", kConsumerCpu},
                  {"bank", kMceBank},
                  {"status", action_required ? kMceStatusAr : kMceStatusAo},
                  {"mcg_status", action_required ? kMceMcgStatusAr : kMceMcgStatusAo},
                  {"addr", unit.phys},
                  {"misc", kMceMiscPhysLsb12},
                  {"broadcast", cpus > 1},
                  {"user_mode", action_required}};
  step.action = fmt::format("mce {} addr {:#x}", action_required ? "action-required" : "action-optional", unit.phys);
  step.start_ns = monotonic_ns();
  try {
    step.host_reply = ctx.host(request);
    // HMP's mce prints nothing when it injects; any text is a refusal
    // ("Guest CPU does not support MCA broadcast", ...).
    std::string said = step.host_reply.value("output", "");
    while (!said.empty() && (said.back() == '\n' || said.back() == '\r')) said.pop_back();
    step.ret = step.host_reply.value("ok", false) && said.empty() ? 0 : -1;
    if (!step.host_reply.value("ok", false))
      step.error = "the runner could not inject: " + step.host_reply.value("error", "?");
    else if (!said.empty())
      step.error = "the monitor refused the machine check: " + said;
  } catch (const UserError& e) {
    step.error = e.what();
  }
  step.end_ns = monotonic_ns();
}

void mce_step(const InjectionContext& ctx, InjectionStep& step, const PoisonUnit& unit) {
  if (ctx.spec.mce_mode != "ar") return ask_host_for_mce(ctx, step, unit, false);
  if (!ctx.consumer || !unit.file_page || !ctx.victims.start_spin(*ctx.consumer, *unit.file_page)) {
    step.error = "no running consumer to take an action-required machine check";
    step.start_ns = step.end_ns = monotonic_ns();
    return;
  }
  AwayFromCpu away(kConsumerCpu);
  std::this_thread::sleep_for(kSpinStart);
  ask_host_for_mce(ctx, step, unit, true);
  uint64_t deadline = monotonic_ns() + ctx.spec.settle_ms * 1000000ull;
  while (!ctx.victims.has_signal_for(*ctx.consumer, *unit.file_page) && monotonic_ns() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  step.consumer = ctx.victims.stop_spin(*ctx.consumer, *unit.file_page, std::chrono::seconds(5)).to_json();
}

// CXL (issue 5): the unit's page into the type-3 device's poison list, at
// its DPA (the region's HPA offset from the endpoint decoder's DPA base).
void cxl_poison_step(const InjectionContext& ctx, InjectionStep& step, const PoisonUnit& unit) {
  const std::optional<CxlRegion>& region = ctx.stack.cxl();
  std::optional<uint64_t> dpa = region ? hpa_to_dpa(region->layout, unit.phys) : std::nullopt;
  if (!dpa) {
    step.action = fmt::format("{} addr {:#x}", ctx.spec.method, unit.phys);
    step.start_ns = step.end_ns = monotonic_ns();
    step.error = region ? fmt::format("address {:#x} is outside CXL {} ({:#x} + {:#x})", unit.phys, region->region,
                                      region->layout.hpa_start, region->layout.size)
                        : "the stack has no CXL region";
    return;
  }
  step.dpa = dpa;
  if (ctx.spec.method == "cxl-debugfs-poison")
    return write_step(step, fmt::format("/sys/kernel/debug/cxl/{}/inject_poison", region->memdev),
                      fmt::format("{:#x}", *dpa));
  json request = {{"action", "cxl-inject-poison"},
                  {"device", region->qemu_device},
                  {"start", *dpa},
                  {"length", address::kPageSize}};
  step.action = fmt::format("cxl-inject-poison {} dpa {:#x} length {}", region->qemu_device, *dpa, address::kPageSize);
  step.start_ns = monotonic_ns();
  try {
    step.host_reply = ctx.host(request);
    step.ret = step.host_reply.value("ok", false) ? 0 : -1;
    if (step.ret != 0) step.error = "the runner could not inject: " + step.host_reply.value("error", "?");
  } catch (const UserError& e) {
    step.error = e.what();
  }
  step.end_ns = monotonic_ns();
}

// The pmem driver unbinds the namespace's device in a child: the write can
// block for good, and a stuck child must not take the agent with it.
void unbind_step(const InjectionContext& ctx, InjectionStep& step) {
  const NamespaceInfo& ns = ctx.stack.namespaces().front();
  std::string device = ns.pfn_dev.value_or(ns.ns_dev);
  fs::path driver = fs::path("/sys/bus/nd/devices") / device / "driver";
  std::error_code ec;
  fs::path unbind = fs::canonical(driver, ec) / "unbind";
  step.action = fmt::format("{} <- {}", unbind.string(), device);
  step.start_ns = monotonic_ns();
  if (ec) {
    finish_write(step, driver.string(), ec.value());
    return;
  }
  pid_t pid = fork();
  if (pid == 0) _exit(write_attr(unbind, device));
  if (pid < 0) {
    finish_write(step, unbind.string(), errno);
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + kUnbindTimeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      step.end_ns = monotonic_ns();
      step.hung = true;
      step.error = fmt::format("the unbind write did not return within {} s", kUnbindTimeout.count());
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  finish_write(step, unbind.string(), WIFEXITED(status) ? WEXITSTATUS(status) : EINTR);
}

void run_step(const InjectionContext& ctx, InjectionStep& step, const SystemRamGuard& ram) {
  const PoisonUnit* unit = step.units ? &ctx.aim.units[step.first_unit] : nullptr;
  const std::string& m = ctx.spec.method;
  if (auto refusal = unit ? ram.refusal(unit->phys) : std::nullopt) {
    step.action = fmt::format("{} addr {:#x} (refused)", m, unit->phys);
    step.start_ns = step.end_ns = monotonic_ns();
    step.error = *refusal;
    return;
  }
  if (m == "unbind") return unbind_step(ctx, step);
  if (m == "madvise") return madvise_step(ctx, step, unit->file_page.value_or(0));
  if (m == "hwpoison-pfn") return write_step(step, kCorruptPfn, fmt::format("{:#x}", unit->pfn));
  if (m == "hard-offline") return write_step(step, kHardOffline, fmt::format("{:#x}", unit->phys));
  if (m == "badblocks")
    return write_step(step, fmt::format("/sys/block/{}/badblocks", unit->disk_name),
                      fmt::format("{} {}", unit->disk_offset / 512, address::kPageSize / 512));
  if (m == "mce") return mce_step(ctx, step, *unit);
  if (m == "cxl-qmp-poison" || m == "cxl-debugfs-poison") return cxl_poison_step(ctx, step, *unit);
  if (m == "ndctl-inject-error") return ndctl_inject_error_step(ctx.stack, *unit, step);
  if (m == "einj") return einj_step(*unit, step);
  step.error = "unknown method " + m;
}

std::vector<const PoisonUnit*> units_of(const InjectionContext& ctx, size_t first, size_t count) {
  std::vector<const PoisonUnit*> out;
  for (size_t i = first; i < first + count; ++i) out.push_back(&ctx.aim.units[i]);
  return out;
}

// The steps a method and pacing make of the units: (first unit, count).
std::vector<std::pair<size_t, size_t>> plan_steps(const CellSpec& spec, size_t units) {
  if (spec.method == "unbind") return {{0, 0}};
  if (spec.method == "madvise" && spec.pacing == "burst") return {{0, units}};
  std::vector<std::pair<size_t, size_t>> steps;
  for (size_t i = 0; i < units; ++i) steps.emplace_back(i, 1);
  return steps;
}

}  // namespace

std::vector<ExpectedSignal> expected_signals(const std::vector<const PoisonUnit*>& units,
                                             const std::vector<address::FileMap>& files, const VictimGroup& victims,
                                             bool whole_device) {
  std::vector<ExpectedSignal> out;
  for (size_t v = 0; v < victims.size(); ++v) {
    const VictimPlan& plan = victims.plan(v);
    if (!plan.early_kill() || !victims.ready(v)) continue;
    if (whole_device) {
      out.push_back({v, std::nullopt});
      continue;
    }
    for (const PoisonUnit* u : units) {
      if (!u->fs_offset) continue;
      for (const auto& owner : address::owners_of(files, *u->fs_offset)) {
        uint64_t page = owner.offset / address::kPageSize;
        if (owner.file == plan.file && plan.maps_page(page)) out.push_back({v, page});
      }
    }
  }
  return out;
}

bool signals_seen(const VictimGroup& victims, const std::vector<ExpectedSignal>& expected) {
  for (const auto& e : expected) {
    bool seen = e.file_page ? victims.has_signal_for(e.victim, *e.file_page) : !victims.signals(e.victim).empty();
    if (!seen) return false;
  }
  return true;
}

json InjectionStep::to_json() const {
  json j = {{"first_unit", first_unit}, {"units", units},     {"action", action},
            {"start_ns", start_ns},     {"end_ns", end_ns},   {"ret", ret},
            {"errno", err},             {"signals_seen_ns", opt(signals_seen_ns)},
            {"kernel_log", kernel_log}, {"host_reply", host_reply}, {"consumer", consumer},
            {"hung", hung},             {"error", opt(error)}};
  if (dpa) j["dpa"] = *dpa;  // CXL poison methods
  if (!tool_output.is_null()) j["tool_output"] = tool_output;  // ndctl-inject-error, einj
  return j;
}

bool InjectionResult::hung() const {
  for (const auto& s : steps)
    if (s.hung) return true;
  return false;
}

json InjectionResult::to_json() const {
  json s = json::array();
  for (const auto& st : steps) s.push_back(st.to_json());
  return {{"method", method}, {"pacing", pacing}, {"start_ns", start_ns}, {"end_ns", end_ns}, {"steps", s}};
}

constexpr uint64_t kProgressEvery = 1000000000ull;  // ns

InjectionResult inject(const InjectionContext& ctx) {
  InjectionResult result;
  result.method = ctx.spec.method;
  result.pacing = ctx.spec.pacing;
  result.start_ns = monotonic_ns();
  const uint64_t settle_ns = ctx.spec.settle_ms * 1000000ull;
  const bool wait_each = ctx.spec.pacing == "per-page";
  const bool whole_device = ctx.spec.method == "unbind";
  std::vector<address::FileMap> files = ctx.aim.files.maps();
  auto planned = plan_steps(ctx.spec, ctx.aim.units.size());
  uint64_t last_told = result.start_ns;
  const SystemRamGuard ram(ctx.spec.method);
  for (size_t i = 0; i < planned.size(); ++i) {
    if (ctx.on_progress && monotonic_ns() - last_told >= kProgressEvery) {
      last_told = monotonic_ns();
      ctx.on_progress({{"steps_done", i}, {"steps", planned.size()}, {"units_done", planned[i].first},
                       {"units", ctx.aim.units.size()}, {"elapsed_ns", last_told - result.start_ns}});
    }
    if (ctx.spec.pacing == "rate") {
      uint64_t due = result.start_ns + i * 1000000000ull / ctx.spec.rate_per_s;
      while (monotonic_ns() < due) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    InjectionStep step;
    step.first_unit = planned[i].first;
    step.units = planned[i].second;
    size_t mark = ctx.kmsg.mark();
    run_step(ctx, step, ram);
    step.kernel_log = ctx.kmsg.since(mark);
    bool last = i + 1 == planned.size();
    if (step.hung) {
      result.steps.push_back(std::move(step));
      break;  // the device is wedged: nothing further is meaningful
    }
    if (wait_each || last) {
      auto units = wait_each ? units_of(ctx, step.first_unit, step.units) : units_of(ctx, 0, ctx.aim.units.size());
      wait_for(ctx.victims, expected_signals(units, files, ctx.victims, whole_device), monotonic_ns() + settle_ns, step);
    }
    result.steps.push_back(std::move(step));
  }
  result.end_ns = monotonic_ns();
  return result;
}

}  // namespace poisonlab::agent

#include "agent/inject.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "agent/clock.h"
#include "agent/sysfs.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;

constexpr const char* kCorruptPfn = "/sys/kernel/debug/hwpoison/corrupt-pfn";
constexpr std::chrono::milliseconds kMadviseTimeout{30000};

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// Polls the shared signal records until the expected signals are there or
// the deadline passes; returns when they were seen.
std::optional<uint64_t> wait_for_signals(const VictimGroup& victims, const std::vector<uint64_t>& pages,
                                         uint64_t deadline_ns) {
  for (;;) {
    if (expected_signals_seen(victims, pages)) return monotonic_ns();
    if (monotonic_ns() >= deadline_ns) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

InjectionStep inject_hwpoison_pfn(const PoisonTarget& t) {
  InjectionStep step;
  step.file_page = t.file_page;
  step.pfn = t.pfn;
  if (!t.pfn) {
    step.error = "no pfn computed for this page: not injected";
    step.start_ns = step.end_ns = monotonic_ns();
    return step;
  }
  // memory_failure() runs inside this write: signals are queued before it
  // returns.
  step.start_ns = monotonic_ns();
  step.err = write_attr(kCorruptPfn, std::to_string(*t.pfn));
  step.end_ns = monotonic_ns();
  step.ret = step.err ? -1 : 0;
  if (step.err) step.error = std::string("write ") + kCorruptPfn + ": " + strerror(step.err);
  return step;
}

InjectionStep inject_madvise(VictimGroup& victims, size_t injector, const PoisonTarget& first, uint64_t pages) {
  InjectionStep step;
  step.file_page = first.file_page;
  step.pages = pages;
  step.pfn = first.pfn;
  MadviseReply r = victims.madvise_hwpoison(injector, first.file_page, pages, kMadviseTimeout);
  if (!r.replied) {
    step.start_ns = step.end_ns = monotonic_ns();
    step.error = "the injector did not answer (not running or hung)";
    return step;
  }
  step.start_ns = r.start_ns;
  step.end_ns = r.end_ns;
  step.ret = r.ret;
  step.err = r.err;
  if (r.ret != 0) step.error = std::string("madvise(MADV_HWPOISON): ") + strerror(r.err);
  return step;
}

}  // namespace

bool expected_signals_seen(const VictimGroup& victims, const std::vector<uint64_t>& file_pages) {
  for (size_t i = 0; i < victims.size(); ++i) {
    const VictimPlan& p = victims.plan(i);
    if (!p.early_kill() || !victims.ready(i)) continue;
    for (uint64_t page : file_pages)
      if (p.maps_page(page) && !victims.has_signal_for(i, page)) return false;
  }
  return true;
}

json InjectionStep::to_json() const {
  return {{"file_page", file_page}, {"pages", pages},   {"pfn", opt(pfn)},
          {"start_ns", start_ns},   {"end_ns", end_ns}, {"ret", ret},
          {"errno", err},           {"signals_seen_ns", opt(signals_seen_ns)},
          {"kernel_log", kernel_log}, {"error", opt(error)}};
}

json InjectionResult::to_json() const {
  json s = json::array();
  for (const auto& st : steps) s.push_back(st.to_json());
  return {{"method", method}, {"pacing", pacing}, {"start_ns", start_ns}, {"end_ns", end_ns}, {"steps", s}};
}

InjectionResult inject(const CellSpec& spec, const std::vector<PoisonTarget>& targets, VictimGroup& victims,
                       std::optional<size_t> injector, KmsgLog& kmsg) {
  InjectionResult result;
  result.method = spec.method;
  result.pacing = spec.pacing;
  result.start_ns = monotonic_ns();
  const uint64_t settle_ns = spec.settle_ms * 1000000ull;
  bool madvise = spec.method == "madvise";
  bool burst = spec.pacing == "burst";

  auto run_step = [&](size_t first, uint64_t pages) {
    size_t mark = kmsg.mark();
    InjectionStep step;
    if (madvise && !injector) {
      step.file_page = targets[first].file_page;
      step.error = "no injector process";
      step.start_ns = step.end_ns = monotonic_ns();
    } else {
      step = madvise ? inject_madvise(victims, *injector, targets[first], pages) : inject_hwpoison_pfn(targets[first]);
    }
    step.kernel_log = kmsg.since(mark);
    return step;
  };

  if (burst) {
    if (madvise) {
      result.steps.push_back(run_step(0, targets.size()));  // one call over the whole range
    } else {
      for (size_t i = 0; i < targets.size(); ++i) result.steps.push_back(run_step(i, 1));
    }
    std::vector<uint64_t> all;
    for (const auto& t : targets) all.push_back(t.file_page);
    if (!result.steps.empty())
      result.steps.back().signals_seen_ns = wait_for_signals(victims, all, monotonic_ns() + settle_ns);
  } else {
    for (size_t i = 0; i < targets.size(); ++i) {
      InjectionStep step = run_step(i, 1);
      step.signals_seen_ns = wait_for_signals(victims, {targets[i].file_page}, monotonic_ns() + settle_ns);
      result.steps.push_back(std::move(step));
    }
  }
  result.end_ns = monotonic_ns();
  return result;
}

}  // namespace poisonlab::agent

#include "agent/cell_runner.h"

#include <unistd.h>

#include <map>

#include "agent/clock.h"
#include "agent/inject.h"
#include "agent/kernel_pfns.h"
#include "agent/kmsg.h"
#include "agent/pagemap.h"
#include "agent/stack.h"
#include "agent/trial_file.h"
#include "agent/victims.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kPmdSize = 2ull << 20;
constexpr milliseconds kReadyTimeout{15000};
constexpr milliseconds kReaccessTimeout{3000};
constexpr milliseconds kExitTimeout{3000};

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

struct PageAddress {
  uint64_t file_page = 0;
  std::optional<uint64_t> fs_device_offset;
  std::optional<uint64_t> pmem_offset;
  std::optional<uint64_t> phys_addr;
  std::optional<uint64_t> pfn_computed;
  std::optional<uint64_t> pfn_pagemap;
  std::optional<uint64_t> pfn_kernel;
  std::optional<std::string> kernel_recovery;
  json to_json() const {
    return {{"file_page", file_page},         {"fs_device_offset", opt(fs_device_offset)},
            {"pmem_offset", opt(pmem_offset)}, {"phys_addr", opt(phys_addr)},
            {"pfn_computed", opt(pfn_computed)}, {"pfn_pagemap", opt(pfn_pagemap)},
            {"pfn_kernel", opt(pfn_kernel)},   {"kernel_recovery", opt(kernel_recovery)}};
  }
};

// file page -> fs_device offset -> pmem offset -> pfn.
std::vector<PageAddress> locate_pages(const CellSpec& spec, const TrialFile& file, const Stack& stack,
                                      std::vector<std::string>& errors) {
  std::vector<PageAddress> pages;
  for (uint64_t p = spec.offset_pages; p < spec.offset_pages + spec.pages; ++p) {
    PageAddress a;
    a.file_page = p;
    a.fs_device_offset = device_offset_of(file.extents, p * kPageSize);
    if (!a.fs_device_offset) errors.push_back("FIEMAP gives no location for file page " + std::to_string(p));
    if (a.fs_device_offset) a.pmem_offset = stack.pmem_offset_of(*a.fs_device_offset);
    if (a.fs_device_offset && !a.pmem_offset)
      errors.push_back("dm table does not map fs_device offset " + std::to_string(*a.fs_device_offset));
    if (a.pmem_offset) {
      a.phys_addr = physical_address_of(stack.ns().layout(), *a.pmem_offset);
      a.pfn_computed = pfn_of(stack.ns().layout(), *a.pmem_offset);
    }
    pages.push_back(a);
  }
  return pages;
}

// pagemap entries of the poisoned pages a victim maps.
json pagemap_of(const VictimGroup& victims, size_t i, const std::vector<PageAddress>& pages,
                std::vector<std::string>& errors, const char* when) {
  json out = json::array();
  const VictimPlan& plan = victims.plan(i);
  if (!victims.ready(i)) return out;
  for (const auto& page : pages) {
    if (!plan.maps_page(page.file_page)) continue;
    uint64_t vaddr = victims.map_addr(i) + (page.file_page - plan.map_offset_pages) * kPageSize;
    try {
      PagemapEntry e = decode_pagemap(read_pagemap(victims.pid(i), vaddr, 1)[0]);
      out.push_back({{"file_page", page.file_page}, {"present", e.present}, {"pfn", opt(e.pfn)}, {"raw", e.raw}});
    } catch (const std::exception& ex) {
      errors.push_back(std::string("pagemap ") + when + " of " + plan.id + ": " + ex.what());
      out.push_back({{"file_page", page.file_page}, {"present", nullptr}, {"pfn", nullptr}, {"raw", nullptr}});
    }
  }
  return out;
}

// The page a victim re-accesses: the first poisoned page it maps, else its
// own first page (a neighbour).
uint64_t reaccess_page(const VictimPlan& plan, const std::vector<PageAddress>& pages) {
  for (const auto& p : pages)
    if (plan.maps_page(p.file_page)) return p.file_page;
  return plan.map_offset_pages;
}

json signals_json(const std::vector<SignalRecord>& signals) {
  json out = json::array();
  for (const auto& s : signals)
    out.push_back({{"signo", s.signo}, {"code", s.code}, {"addr", s.addr}, {"addr_lsb", s.addr_lsb},
                   {"time_ns", s.time_ns}});
  return out;
}

void attribute_kernel_pfns(const CellSpec& spec, std::vector<PageAddress>& pages, const InjectionResult& inj,
                           const std::vector<std::string>& trial_log, const VictimGroup& victims,
                           std::optional<size_t> injector) {
  std::map<uint64_t, uint64_t> by_page;
  if (spec.method == "madvise" && injector && victims.ready(*injector)) {
    const VictimPlan& p = victims.plan(*injector);
    by_page = madvise_pfns_by_file_page(trial_log, {victims.map_addr(*injector), p.map_offset_pages, p.map_pages,
                                                    kPageSize});
  } else if (spec.method == "hwpoison-pfn") {
    for (const auto& step : inj.steps)
      if (auto pfn = hwpoison_inject_pfn(step.kernel_log)) by_page.emplace(step.file_page, *pfn);
  }
  for (auto& page : pages) {
    if (auto it = by_page.find(page.file_page); it != by_page.end()) page.pfn_kernel = it->second;
    if (page.pfn_kernel) page.kernel_recovery = recovery_action_for(trial_log, *page.pfn_kernel);
  }
}

json victim_json(const VictimGroup& victims, size_t i, const json& before, const json& after,
                 const ReaccessResult& reaccess, const ExitInfo& exit) {
  const VictimPlan& p = victims.plan(i);
  // Files under 2 MiB cannot be PMD-mapped; larger ones might be: unknown.
  json shift = p.map_pages * kPageSize < kPmdSize ? json(12) : json(nullptr);
  return {{"id", p.id},
          {"role", role_name(p.role)},
          {"pid", victims.pid(i)},
          {"map_addr", victims.map_addr(i)},
          {"map_offset_pages", p.map_offset_pages},
          {"map_pages", p.map_pages},
          {"mapping_page_shift", shift},
          {"mce_kill_policy", p.early_kill() ? "early" : "late"},
          {"signals", signals_json(victims.signals(i))},
          {"pagemap_before", before},
          {"pagemap_after", after},
          {"reaccess", reaccess.to_json()},
          {"exit", exit.to_json()}};
}

// One trial, step by step. If a step throws, run() still reports what was
// observed up to then, with the reason in errors.
class Trial {
 public:
  Trial(const CellSpec& spec, int index, Stack& stack, TraceSession* trace, KmsgLog& kmsg)
      : spec_(spec), index_(index), stack_(stack), trace_(trace), kmsg_(kmsg) {}

  json run() {
    kmark_ = kmsg_.mark();
    if (trace_) trace_->clear();
    start_ns_ = phase_start_ = monotonic_ns();
    try {
      create_file();
      start_victims();
      record_pagemaps_before();
      inject_poison();
      observe_aftermath();
      finish_victims();
    } catch (const std::exception& e) {
      errors_.push_back(std::string("trial aborted: ") + e.what());
      if (victims_ && victims_json_.empty()) finish_victims_after_error();
    }
    victims_.reset();  // kills any victim still running
    return to_json();
  }

 private:
  void end_phase(const char* name) {
    uint64_t now = monotonic_ns();
    phases_[name] = now - phase_start_;
    phase_start_ = now;
  }

  void create_file() {
    TrialFile file = create_trial_file(stack_.mount_point() / ("t" + std::to_string(index_) + "-victim"),
                                       spec_.file_pages, kPageSize);
    file_json_ = file.to_json();
    file_path_ = file.path;
    if (!file.dax.value_or(false)) errors_.push_back("trial file has no STATX_ATTR_DAX");
    pages_ = locate_pages(spec_, file, stack_, errors_);
    end_phase("file");
  }

  void start_victims() {
    victims_ = std::make_unique<VictimGroup>(plan_victims(spec_, errors_), file_path_, kPageSize);
    victims_->wait_ready(kReadyTimeout, errors_);
    for (size_t i = 0; i < victims_->size(); ++i)
      if (victims_->plan(i).role == Role::kInjector) injector_ = i;
    end_phase("victims_ready");
  }

  void record_pagemaps_before() {
    before_.resize(victims_->size());
    for (size_t i = 0; i < victims_->size(); ++i) {
      before_[i] = pagemap_of(*victims_, i, pages_, errors_, "before");
      // pfn_pagemap: the first victim (in plan order) that has the page present.
      for (const auto& e : before_[i])
        for (auto& page : pages_)
          if (page.file_page == e["file_page"] && !page.pfn_pagemap && e["pfn"].is_number())
            page.pfn_pagemap = e["pfn"].get<uint64_t>();
    }
    end_phase("pagemap_before");
  }

  void inject_poison() {
    std::vector<PoisonTarget> targets;
    for (const auto& p : pages_) targets.push_back({p.file_page, p.pfn_computed});
    injection_ = inject(spec_, targets, *victims_, injector_, kmsg_);
    end_phase("inject");
  }

  void observe_aftermath() {
    after_.resize(victims_->size());
    for (size_t i = 0; i < victims_->size(); ++i) after_[i] = pagemap_of(*victims_, i, pages_, errors_, "after");
    reaccess_.resize(victims_->size());
    for (size_t i = 0; i < victims_->size() && spec_.reaccess; ++i)
      reaccess_[i] = victims_->reaccess(i, reaccess_page(victims_->plan(i), pages_), kReaccessTimeout);
    end_phase("after");
  }

  void finish_victims_after_error() {
    try {
      finish_victims();
    } catch (const std::exception& e) {
      errors_.push_back(std::string("collecting victims failed: ") + e.what());
    }
  }

  void finish_victims() {
    before_.resize(victims_->size());
    after_.resize(victims_->size());
    reaccess_.resize(victims_->size());
    for (size_t i = 0; i < victims_->size(); ++i) {
      ExitInfo exit = victims_->finish(i, kExitTimeout);
      victims_json_.push_back(victim_json(*victims_, i, before_[i], after_[i], reaccess_[i], exit));
    }
    if (injection_) attribute_kernel_pfns(spec_, pages_, *injection_, kmsg_.since(kmark_), *victims_, injector_);
    end_phase("exit");
  }

  json to_json() {
    json pages = json::array();
    for (const auto& p : pages_) pages.push_back(p.to_json());
    json trial{{"index", index_},
               {"file", file_json_},
               {"page_size", kPageSize},
               {"range", {{"offset_pages", spec_.offset_pages}, {"pages", spec_.pages}}},
               {"pages", pages},
               {"injection", injection_ ? injection_->to_json() : json(nullptr)},
               {"victims", victims_json_},
               {"kernel_log", kmsg_.since(kmark_)}};
    json events = json::array();
    if (trace_)
      for (const auto& e : trace_->read(errors_)) events.push_back(e);
    trial["trace_events"] = events;
    end_phase("trace_read");
    trial["errors"] = errors_;
    trial["phases_ns"] = phases_;
    trial["start_ns"] = start_ns_;
    trial["end_ns"] = monotonic_ns();
    return trial;
  }

  const CellSpec& spec_;
  int index_;
  Stack& stack_;
  TraceSession* trace_;
  KmsgLog& kmsg_;
  size_t kmark_ = 0;
  uint64_t start_ns_ = 0;
  uint64_t phase_start_ = 0;
  json phases_ = json::object();
  std::vector<std::string> errors_;
  json file_json_ = nullptr;
  std::filesystem::path file_path_;
  std::vector<PageAddress> pages_;
  std::unique_ptr<VictimGroup> victims_;
  std::optional<size_t> injector_;
  std::vector<json> before_, after_;
  std::vector<ReaccessResult> reaccess_;
  std::optional<InjectionResult> injection_;
  json victims_json_ = json::array();
};

}  // namespace

json run_cell(const CellSpec& spec, TraceSession* trace, const ProgressFn& progress) {
  uint64_t started = monotonic_ns();
  KmsgLog kmsg;
  progress("stack", std::nullopt);
  std::unique_ptr<Stack> stack = Stack::build(spec);
  TraceSession* active_trace = spec.trace && trace && trace->usable() ? trace : nullptr;
  if (active_trace) active_trace->set_enabled(true);
  json trials = json::array();
  if (stack->ok()) {
    for (int t = 0; t < spec.trials; ++t) {
      progress("trial", t);
      trials.push_back(Trial(spec, t, *stack, active_trace, kmsg).run());
    }
  }
  progress("teardown", std::nullopt);
  if (active_trace) active_trace->set_enabled(false);
  json teardown = stack->teardown();
  json trace_json = trace ? trace->to_json(spec.trace)
                          : json{{"enabled", false}, {"probes", json::array()}, {"error", nullptr}};
  kmsg.read_new();
  return json{{"stack", stack->to_json()},
              {"trace", trace_json},
              {"trials", trials},
              {"teardown", teardown},
              {"kernel_log", kmsg.all()},
              {"kernel_log_clock", "printk"},  // local_clock, not CLOCK_MONOTONIC
              {"started_ns", started},
              {"finished_ns", monotonic_ns()}};
}

}  // namespace poisonlab::agent

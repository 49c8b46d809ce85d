#include "agent/cell_runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "agent/aim.h"
#include "agent/btf_enum.h"
#include "agent/clock.h"
#include "agent/cxl_observe.h"
#include "agent/fio_jobs.h"
#include "agent/kernel_pfns.h"
#include "agent/kmsg.h"
#include "agent/pagemap.h"
#include "agent/perf_session.h"
#include "agent/probe_bench.h"
#include "agent/stack.h"
#include "agent/sysfs.h"
#include "agent/trial_file.h"
#include "agent/victims.h"
#include "common/unique_fd.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds kReadyTimeout{15000};
constexpr milliseconds kReaccessTimeout{3000};
constexpr milliseconds kExitTimeout{3000};
constexpr uint64_t kPmdSize = 2ull << 20;

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json signals_json(const std::vector<SignalRecord>& signals) {
  json out = json::array();
  for (const auto& s : signals)
    out.push_back({{"signo", s.signo}, {"code", s.code}, {"addr", s.addr}, {"addr_lsb", s.addr_lsb},
                   {"time_ns", s.time_ns}});
  return out;
}

std::vector<std::string> badblocks_lines(const std::string& disk) {
  std::vector<std::string> lines;
  std::string text = read_attr("/sys/block/" + disk + "/badblocks").value_or("");
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

json badblocks_of(const Stack& stack) {
  json out = json::object();
  for (const auto& d : stack.map().disks()) out[d.name] = badblocks_lines(d.name);
  return out;
}

// A few figures of a finished trial, sent as progress: what the runner keeps
// of it should the cell never finish (a huge range that runs out of time).
json trial_digest(const json& trial) {
  size_t received = 0;
  for (const auto& v : trial.value("victims", json::array()))
    received += v.value("signals", json::array()).size();
  const json& injection = trial.value("injection", json());
  json digest{{"index", trial.value("index", -1)},
              {"units", trial.value("units", json::array()).size()},
              {"signals_received", received},
              {"trace_events", trial.value("trace_events", json::array()).size()},
              {"errors", trial.value("errors", json::array()).size()},
              {"phases_ns", trial.value("phases_ns", json::object())}};
  if (injection.is_object())
    digest["injection"] = {{"start_ns", injection.value("start_ns", json())},
                           {"end_ns", injection.value("end_ns", json())},
                           {"steps", injection.value("steps", json::array()).size()}};
  return digest;
}

// A page of one of the trial's files: (file id, page).
using FilePage = std::pair<std::string, uint64_t>;

// One trial, step by step. If a step throws, run() still reports what was
// observed up to then, with the reason in errors.
class Trial {
 public:
  Trial(const CellSpec& spec, int index, Stack& stack, const CellContext& ctx, KmsgLog& kmsg)
      : spec_(spec), index_(index), stack_(stack), ctx_(ctx), kmsg_(kmsg) {}

  json run() {
    kmark_ = kmsg_.mark();
    if (ctx_.trace) ctx_.trace->clear();
    start_ns_ = phase_start_ = monotonic_ns();
    try {
      aim_ = aim_trial(spec_, stack_, index_, errors_);
      end_phase("aim");
      start_victims();
      start_fio();
      record_before();
      start_perf();
      inject_poison();
      stop_perf();
      stop_fio();
      observe_aftermath();
      finish_victims();
    } catch (const std::exception& e) {
      errors_.push_back(std::string("trial aborted: ") + e.what());
      if (victims_ && victims_json_.empty()) finish_victims_after_error();
    }
    finish_perf();
    victims_.reset();  // kills any victim still running
    return to_json();
  }

  bool device_hung() const { return injection_ && injection_->hung(); }
  bool fs_refused_writes() const { return fs_probe_.is_object() && !fs_probe_.value("ok", true); }

 private:
  // Each finished phase is also told as progress: a trial that never ends
  // still shows how far it got and what each step cost.
  void end_phase(const char* name) {
    uint64_t now = monotonic_ns();
    phases_[name] = now - phase_start_;
    phase_start_ = now;
    ctx_.progress("trial", index_, {{"phase_done", name}, {"phases_ns", phases_}});
  }

  // File pages of `file` lying on a poison unit (through FIEMAP, so a
  // reflinked sharer has the victim's pages).
  std::set<uint64_t> poisoned_pages(const std::string& file) const {
    std::set<uint64_t> pages;
    auto maps = aim_->files.maps();
    for (const auto& u : aim_->units) {
      if (!u.fs_offset) continue;
      for (const auto& o : address::owners_of(maps, *u.fs_offset))
        if (o.file == file) pages.insert(o.offset / address::kPageSize);
    }
    return pages;
  }

  void start_victims() {
    victims_ = std::make_unique<VictimGroup>(plan_victims(spec_, aim_->layout, errors_), address::kPageSize);
    victims_->wait_ready(kReadyTimeout, errors_);
    for (size_t i = 0; i < victims_->size(); ++i)
      if (victims_->plan(i).role == Role::kInjector) injector_ = i;
      else if (victims_->plan(i).role == Role::kConsumer) consumer_ = i;
    // Kept apart from the victims, which are gone when the report is written.
    if (injector_ && victims_->ready(*injector_)) {
      const VictimPlan& p = victims_->plan(*injector_);
      injector_window_ = MappingWindow{victims_->map_addr(*injector_), p.map_offset_pages, p.map_pages, address::kPageSize};
    }
    end_phase("victims_ready");
  }

  // pagemap of the poisoned pages a victim maps; a neighbour's whole mapping.
  json pagemap_of(size_t i, const char* when) {
    json out = json::array();
    const VictimPlan& plan = victims_->plan(i);
    if (!victims_->ready(i)) return out;
    std::set<uint64_t> pages = poisoned_pages(plan.file);
    // A neighbour must keep every page; an unbind takes every page away.
    if (plan.role == Role::kNeighbour || spec_.method == "unbind")
      for (uint64_t p = plan.map_offset_pages; p < plan.map_offset_pages + plan.map_pages; ++p) pages.insert(p);
    for (uint64_t page : pages) {
      if (!plan.maps_page(page)) continue;
      uint64_t vaddr = victims_->map_addr(i) + (page - plan.map_offset_pages) * address::kPageSize;
      try {
        PagemapEntry e = decode_pagemap(read_pagemap(victims_->pid(i), vaddr, 1)[0]);
        out.push_back({{"file_page", page}, {"present", e.present}, {"pfn", opt(e.pfn)}, {"raw", e.raw}});
      } catch (const std::exception& ex) {
        errors_.push_back(std::string("pagemap ") + when + " of " + plan.id + ": " + ex.what());
        out.push_back({{"file_page", page}, {"present", nullptr}, {"pfn", nullptr}, {"raw", nullptr}});
      }
    }
    return out;
  }

  // Checksums of every window page of the victim and its sharers; pages
  // known to be poisoned are not read after the injection.
  json checksums(bool after) {
    json out = json::object();
    for (const auto& f : aim_->files.files) {
      if (f.role == "filler") continue;
      std::set<uint64_t> skip = after ? poisoned_pages(f.id) : std::set<uint64_t>{};
      UniqueFd fd(::open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
      json pages = json::object();
      for (uint64_t p = aim_->layout.window_first; p < aim_->layout.window_first + aim_->layout.window_pages; ++p) {
        if (skip.count(p)) continue;
        PageRead r = fd ? read_page(fd.get(), p) : PageRead{std::nullopt, -1, errno, false};
        pages[std::to_string(p)] = r.checksum ? json(fmt::format("{:016x}", *r.checksum))
                                              : json(fmt::format("error: {}", r.err ? strerror(r.err) : "short read"));
      }
      out[f.id] = pages;
    }
    return out;
  }

  void record_before() {
    before_.resize(victims_->size());
    std::set<FilePage> unit_pages;
    for (const auto& u : aim_->units)
      if (u.file_page) unit_pages.insert({u.file, *u.file_page});
    for (size_t i = 0; i < victims_->size(); ++i) {
      before_[i] = pagemap_of(i, "before");
      for (const auto& e : before_[i]) {
        if (!e["file_page"].is_number() || !e["pfn"].is_number()) continue;
        FilePage page{victims_->plan(i).file, e["file_page"].get<uint64_t>()};
        if (unit_pages.count(page) && !pfn_pagemap_.count(page)) pfn_pagemap_[page] = e["pfn"].get<uint64_t>();
      }
    }
    checksums_before_ = checksums(false);
    badblocks_before_ = badblocks_of(stack_);
    end_phase("before");
  }

  // perf around the injection and its settle period (perf_session.h); its
  // phases make its own cost visible.
  void start_perf() {
    if (!spec_.perf.stat && !spec_.perf.record) return;
    perf_ = std::make_unique<TrialPerf>(spec_, PerfPaths{.stem = fmt::format("{}.t{}", file_slug(ctx_.cell_id), index_)});
    perf_->start();
    end_phase("perf_start");
  }

  void stop_perf() {
    if (!perf_) return;
    perf_->stop();
    end_phase("perf_stop");
  }

  void finish_perf() {
    if (!perf_) return;
    try {
      perf_json_ = perf_->finish();
    } catch (const std::exception& e) {
      errors_.push_back(std::string("perf: ") + e.what());
    }
    perf_.reset();
    end_phase("perf_script");
  }

  // fio under fault (fio_jobs.h): a baseline before the injection, after_ms after its end.
  void start_fio() {
    if (!spec_.fio) return;
    std::optional<FioFile> victim;
    for (const auto& f : aim_->files.files)
      if (f.role == "victim" && !victim) victim = FioFile{f.path, f.size};  // the first victim file
    fio_ = std::make_unique<FioJobs>(*spec_.fio, index_, victim, stack_.mount_point(), errors_);
    fio_->wait_baseline();
    end_phase("fio_baseline");
  }

  void stop_fio() {
    if (!fio_) return;
    fio_->stop_after(injection_->end_ns);
    end_phase("fio_after");
  }

  void inject_poison() {
    auto told = [this](const json& progress) { ctx_.progress("inject", index_, progress); };
    injection_ = inject({spec_, stack_, *aim_, *victims_, injector_, consumer_, kmsg_, ctx_.host, told});
    end_phase("inject");
  }

  // What a file's poisoned pages give to pread(2) after the injection.
  json pread_probes() {
    json out = json::array();
    for (const auto& f : aim_->files.files) {
      UniqueFd fd(::open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
      for (uint64_t p : poisoned_pages(f.id)) {
        PageRead r = fd ? read_page(fd.get(), p) : PageRead{std::nullopt, -1, errno, false};
        out.push_back({{"file", f.id}, {"file_page", p}, {"bytes", r.bytes}, {"errno", r.err},
                       {"error", r.err ? json(strerror(r.err)) : json(nullptr)}, {"pattern_ok", r.pattern_ok}});
      }
    }
    return out;
  }

  // Whether the file system still takes a new file (a shut-down XFS says EIO).
  json fs_write_probe() {
    auto path = stack_.mount_point() / fmt::format("t{}-probe", index_);
    UniqueFd fd(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644));
    int err = 0;
    std::vector<char> page(address::kPageSize, 'p');
    if (!fd || ::write(fd.get(), page.data(), page.size()) != static_cast<ssize_t>(page.size()) || ::fsync(fd.get()) != 0)
      err = errno;
    return {{"path", path.string()}, {"ok", err == 0}, {"errno", err}, {"error", err ? json(strerror(err)) : json(nullptr)}};
  }

  uint64_t reaccess_page(const VictimPlan& plan) const {
    for (uint64_t p : poisoned_pages(plan.file))
      if (plan.maps_page(p)) return p;
    return plan.map_offset_pages;
  }

  json soft_offline_probe() {
    if (index_ != 0 || !spec_.soft_offline) return nullptr;
    std::set<uint64_t> poisoned = poisoned_pages("victim");
    for (size_t i = 0; i < victims_->size(); ++i) {
      const VictimPlan& plan = victims_->plan(i);
      if (plan.file != "victim" || plan.role == Role::kInjector || !victims_->ready(i)) continue;
      for (uint64_t p = plan.map_offset_pages; p < plan.map_offset_pages + plan.map_pages; ++p) {
        if (poisoned.count(p)) continue;
        MadviseReply r = victims_->madvise_soft_offline(i, p, kReaccessTimeout);
        return {{"victim", plan.id}, {"file_page", p}, {"replied", r.replied}, {"ret", r.ret}, {"errno", r.err},
                {"error", r.ret != 0 && r.err ? json(strerror(r.err)) : json(nullptr)}};
      }
    }
    return {{"error", "no running victim maps a page outside the poisoned range"}};
  }

  void observe_aftermath() {
    after_.resize(victims_->size());
    for (size_t i = 0; i < victims_->size(); ++i) after_[i] = pagemap_of(i, "after");
    reaccess_.resize(victims_->size());
    if (!device_hung())
      for (size_t i = 0; i < victims_->size() && spec_.reaccess; ++i)
        reaccess_[i] = victims_->reaccess(i, reaccess_page(victims_->plan(i)), kReaccessTimeout);
    badblocks_after_ = badblocks_of(stack_);
    if (stack_.cxl() && aim_)  // CXL (issue 5): the units' DPAs and the device's poison list, read back
      cxl_ = {{"region", stack_.cxl()->region},
              {"memdev", stack_.cxl()->memdev},
              {"units", unit_dpas(*stack_.cxl(), aim_->units)},
              {"poison_list_read", read_poison_list(*stack_.cxl())}};
    if (!device_hung()) {
      pread_ = pread_probes();
      checksums_after_ = checksums(true);
      fs_probe_ = fs_write_probe();
      soft_offline_ = soft_offline_probe();
    }
    end_phase("after");
  }

  void finish_victims_after_error() {
    try {
      finish_victims();
    } catch (const std::exception& e) {
      errors_.push_back(std::string("collecting victims failed: ") + e.what());
    }
  }

  json victim_json(size_t i, const ExitInfo& exit) {
    const VictimPlan& p = victims_->plan(i);
    // Mappings under 2 MiB cannot be PMD-mapped; larger ones might be: unknown.
    json shift = p.map_pages * address::kPageSize < kPmdSize ? json(12) : json(nullptr);
    return {{"id", p.id},
            {"role", role_name(p.role)},
            {"file", p.file},
            {"pid", victims_->pid(i)},
            {"map_addr", victims_->map_addr(i)},
            {"map_offset_pages", p.map_offset_pages},
            {"map_pages", p.map_pages},
            {"mapping_page_shift", shift},
            {"mce_kill_policy", p.early_kill() ? "early" : "late"},
            {"signals", signals_json(victims_->signals(i))},
            {"signals_dropped", victims_->signals_dropped(i)},
            {"pagemap_before", before_[i]},
            {"pagemap_after", after_[i]},
            {"reaccess", reaccess_[i].to_json()},
            {"exit", exit.to_json()}};
  }

  void finish_victims() {
    before_.resize(victims_->size());
    after_.resize(victims_->size());
    reaccess_.resize(victims_->size());
    for (size_t i = 0; i < victims_->size(); ++i) victims_json_.push_back(victim_json(i, victims_->finish(i, kExitTimeout)));
    end_phase("exit");
  }

  // pfn_kernel: the pfn the kernel names for a unit (madvise: from the
  // injector's virtual address; otherwise the unit's pfn if the kernel's
  // "Memory failure: <pfn>:" or hwpoison-inject line names it).
  json units_json() {
    std::vector<std::string> log = kmsg_.since(kmark_);
    std::map<uint64_t, std::string> recovered = recovery_actions(log);
    auto recovery_of = [&](uint64_t pfn) {
      auto it = recovered.find(pfn);
      return it == recovered.end() ? std::nullopt : std::optional(it->second);
    };
    std::map<uint64_t, uint64_t> madvised;
    if (spec_.method == "madvise" && injector_window_) madvised = madvise_pfns_by_file_page(log, *injector_window_);
    json out = json::array();
    for (size_t i = 0; aim_ && i < aim_->units.size(); ++i) {
      const PoisonUnit& u = aim_->units[i];
      json j = u.to_json();
      j["index"] = i;
      std::optional<uint64_t> pagemap, kernel;
      if (u.file_page && pfn_pagemap_.count({u.file, *u.file_page})) pagemap = pfn_pagemap_[{u.file, *u.file_page}];
      if (spec_.method == "madvise") {
        if (u.file_page && madvised.count(*u.file_page)) kernel = madvised[*u.file_page];
      } else if (recovery_of(u.pfn) || (spec_.method == "hwpoison-pfn" && step_pfn(i) == u.pfn)) {
        kernel = u.pfn;
      }
      j["pfn_pagemap"] = opt(pagemap);
      j["pfn_kernel"] = opt(kernel);
      j["kernel_recovery"] = opt(recovery_of(kernel.value_or(u.pfn)));
      out.push_back(j);
    }
    return out;
  }

  std::optional<uint64_t> step_pfn(size_t unit) const {
    if (!injection_) return std::nullopt;
    for (const auto& s : injection_->steps)
      if (s.first_unit == unit && s.units == 1) return hwpoison_inject_pfn(s.kernel_log);
    return std::nullopt;
  }

  json to_json() {
    json trial{{"index", index_},
               {"files", aim_ ? aim_->files.to_json() : json::array()},
               {"target", aim_ ? aim_->target : json(nullptr)},
               {"window", aim_ ? json{{"file", "victim"}, {"first_page", aim_->layout.window_first},
                                      {"pages", aim_->layout.window_pages}, {"files", spec_.files}}
                               : json(nullptr)},
               {"page_size", address::kPageSize},
               {"units", units_json()},
               {"injection", injection_ ? injection_->to_json() : json(nullptr)},
               {"victims", victims_json_},
               {"checksums", {{"before", checksums_before_}, {"after", checksums_after_}}},
               {"pread", pread_},
               {"badblocks", {{"before", badblocks_before_}, {"after", badblocks_after_}}},
               {"fs_write_probe", fs_probe_},
               {"soft_offline", soft_offline_},
               {"kernel_log", kmsg_.since(kmark_)},
               {"perf", perf_json_}};
    if (fio_) trial["fio"] = fio_->to_json();
    if (!cxl_.is_null()) trial["cxl"] = cxl_;
    json events = json::array();
    if (ctx_.trace)
      for (const auto& e : ctx_.trace->read(errors_)) events.push_back(e);
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
  const CellContext& ctx_;
  KmsgLog& kmsg_;
  size_t kmark_ = 0;
  uint64_t start_ns_ = 0;
  uint64_t phase_start_ = 0;
  json phases_ = json::object();
  std::vector<std::string> errors_;
  std::optional<Aim> aim_;
  std::map<FilePage, uint64_t> pfn_pagemap_;  // what a mapper of each unit's page saw before
  std::unique_ptr<VictimGroup> victims_;
  std::optional<size_t> injector_, consumer_;
  std::optional<MappingWindow> injector_window_;
  std::vector<json> before_, after_;
  std::vector<ReaccessResult> reaccess_;
  std::optional<InjectionResult> injection_;
  std::unique_ptr<FioJobs> fio_;
  json victims_json_ = json::array();
  json checksums_before_ = json::object(), checksums_after_ = json::object();
  json pread_ = json::array();
  json badblocks_before_ = json::object(), badblocks_after_ = json::object();
  json fs_probe_ = nullptr, soft_offline_ = nullptr;
  json cxl_ = nullptr;  // CXL cells: unit DPAs and the poison-list read
  std::unique_ptr<TrialPerf> perf_;
  json perf_json_ = nullptr;
};

// The running kernel's enum mf_flags (BTF), to decode the flags the trace
// records by name.
json kernel_enums() {
  json out = json::object();
  try {
    if (auto e = read_btf_enum("/sys/kernel/btf/vmlinux", "mf_flags")) out["mf_flags"] = *e;
  } catch (const std::exception& e) {
    out["error"] = e.what();
  }
  return out;
}

// The kernel's taint mask; bit 7 (D) is set once the kernel has oopsed.
uint64_t kernel_taint() {
  try {
    return parse_u64(read_attr("/proc/sys/kernel/tainted").value_or("0"));
  } catch (const std::exception&) {
    return 0;
  }
}
constexpr uint64_t kTaintDie = 1u << 7;

}  // namespace

json run_cell(const CellSpec& spec, const CellContext& ctx) {
  uint64_t started = monotonic_ns();
  uint64_t taint_before = kernel_taint();
  KmsgLog kmsg;
  TraceSession* trace = spec.trace && ctx.trace && ctx.trace->usable() ? ctx.trace : nullptr;
  CellContext trial_ctx = ctx;
  trial_ctx.trace = trace;
  // Unbind takes the namespace away, and a span across a concatenation seam
  // holds the seam's pages, poisoned: each trial gets a stack of its own. So
  // does the trial after one whose file system stopped taking writes (it
  // shut down): it would only measure the shutdown again.
  const bool stack_per_trial = spec.method == "unbind" || spec.target.straddle == "concat-seam";
  json stacks = json::array(), teardowns = json::array(), trials = json::array();
  json probe_benchmark = nullptr;
  // CXL (issue 5): cxl:cxl_poison in the trial traces (poison-list reads, injections).
  std::optional<CxlPoisonTraceEvent> cxl_trace;
  if (spec.cxl() && trace) cxl_trace.emplace(trace->to_json(true).value("instance", "/sys/kernel/tracing/instances/poisonlab"));
  std::optional<std::string> unusable;
  for (int t = 0; t < spec.trials && !unusable;) {
    ctx.progress("stack", std::nullopt, nullptr);
    std::unique_ptr<Stack> stack = Stack::build(spec);
    stacks.push_back(stack->to_json());
    if (trace) trace->set_enabled(true);
    bool stack_ok = stack->ok();
    bool rebuild = false;
    do {
      if (!stack_ok) break;
      ctx.progress("trial", t, nullptr);
      Trial trial(spec, t, *stack, trial_ctx, kmsg);
      trials.push_back(trial.run());
      ctx.progress("trial-done", t, trial_digest(trials.back()));
      trials.back()["stack_index"] = stacks.size() - 1;
      if (trial.device_hung()) unusable = "the unbind of trial " + std::to_string(t) + " did not return";
      rebuild = stack_per_trial || trial.fs_refused_writes();
      ++t;
    } while (!rebuild && t < spec.trials && !unusable);
    if (trace) trace->set_enabled(false);
    if (spec.probe_benchmark && stack_ok && t >= spec.trials && !unusable) {
      ctx.progress("probe-benchmark", std::nullopt, nullptr);
      probe_benchmark = run_probe_benchmark(stack->mount_point());
    }
    ctx.progress("teardown", std::nullopt, nullptr);
    // A wedged device can block unmount and fsck for good: leave it.
    teardowns.push_back(unusable ? json{{"skipped", *unusable}} : stack->teardown());
    if (unusable) stack.release();  // no destructor: it would tear down
    if (!stack_ok) break;
  }
  json observation{{"stack", stacks.empty() ? json(nullptr) : stacks.front()},
                   {"trace", ctx.trace ? ctx.trace->to_json(spec.trace)
                                       : json{{"enabled", false}, {"probes", json::array()}, {"error", nullptr}}},
                   {"kernel_enums", kernel_enums()},
                   {"trials", trials},
                   {"probe_benchmark", probe_benchmark},
                   {"teardown", teardowns.empty() ? json(nullptr) : teardowns.back()},
                   {"started_ns", started}};
  if (cxl_trace) observation["cxl_trace"] = cxl_trace->to_json();
  if (stacks.size() > 1) {
    observation["stacks"] = stacks;
    observation["teardowns"] = teardowns;
  }
  for (const auto& td : teardowns) {
    json regions = td.value("region_badblocks", json::object());
    for (const auto& [region, lines] : regions.items())
      if (!lines.empty() && !unusable) unusable = "media errors remain in " + region + "'s badblocks: " + lines.dump();
  }
  uint64_t taint_after = kernel_taint();
  if ((taint_after & kTaintDie) && !(taint_before & kTaintDie) && !unusable)
    unusable = "the kernel oopsed during the cell (taint D): locks it held may never be released";
  observation["kernel_taint"] = {{"before", taint_before}, {"after", taint_after}};
  observation["vm_unusable"] = opt(unusable);
  kmsg.read_new();
  observation["kernel_log"] = kmsg.all();
  observation["kernel_log_clock"] = "printk";  // local_clock, not CLOCK_MONOTONIC
  observation["finished_ns"] = monotonic_ns();
  return observation;
}

}  // namespace poisonlab::agent

#include "run/matrix_run.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <atomic>
#include <chrono>
#include <exception>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "kernel/variant_registry.h"
#include "report/report.h"
#include "report/speed_targets.h"
#include "report/summary.h"
#include "run/progress_board.h"
#include "run/run_metadata.h"
#include "run/stop_request.h"
#include "run/vm_job.h"

namespace poisonlab {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

uint64_t runner_max_rss_kib() {
  struct rusage usage {};
  return getrusage(RUSAGE_SELF, &usage) == 0 ? static_cast<uint64_t>(usage.ru_maxrss) : 0;
}

json plan_json(const Plan& plan) {
  json skipped = json::array();
  for (const auto& n : plan.not_applicable) skipped.push_back({{"id", n.id}, {"reason", n.reason}});
  return {{"cells", plan.cells.size()}, {"not_applicable", skipped}};
}

fs::path report_path(const fs::path& run_dir, const PlannedScenario& s) { return run_dir / s.dir / "report.json"; }
fs::path kernel_files_dir(const fs::path& run_dir, const PlannedScenario& s) {
  return run_dir / s.dir / "report.kernels";
}

json fresh_metadata(const MatrixPlan& plan, const PlannedScenario& s, const fs::path& run_dir,
                    const std::string& command_line) {
  // Each scenario's report is a run of its own to compare and history
  // (keyed by run id): a matrix's get "<matrix run id>/<scenario>".
  std::string id = s.dir == "." ? plan.run_id : plan.run_id + "/" + s.scenario.name;
  json metadata = {{"id", id},
                   {"started_at", utc_timestamp()},
                   {"poisonlab", runner_metadata(command_line)},
                   {"host", host_metadata()},
                   {"scenario", {{"path", s.path.string()}, {"name", s.scenario.name}, {"sha256", s.sha256}}},
                   {"plan", plan_json(s.plan)},
                   {"variants", s.scenario.kernels},  // planned, so a killed run still names them all
                   {"out_dir", (run_dir / s.dir).lexically_normal().string()}};
  if (s.dir != ".")
    metadata["matrix"] = {{"name", plan.name}, {"run_dir", run_dir.string()}, {"scenarios", plan.scenarios.size()}};
  return metadata;
}

// The run metadata a resumed or merged report starts from: what the first
// process wrote (its start time, host, command line), without the ending.
json carried_metadata(const MatrixPlan& plan, const PlannedScenario& s, const fs::path& run_dir,
                      const std::string& command_line, const char* how) {
  fs::path previous = report_path(run_dir, s);
  json old = fs::exists(previous) ? json::parse(read_file(previous), nullptr, false) : json();
  json metadata = old.is_object() && old.contains("run") && old["run"].is_object()
                      ? old["run"]
                      : fresh_metadata(plan, s, run_dir, command_line);
  for (const char* ending : {"finished_at", "status", "speed_targets", "missing_cells", "interrupted_by", "error"})
    metadata.erase(ending);
  if (!metadata["continued"].is_array()) metadata["continued"] = json::array();
  metadata["continued"].push_back({{"how", how}, {"at", utc_timestamp()}, {"command_line", command_line}});
  return metadata;
}

json read_json_file(const fs::path& file, const std::string& expected) {
  json doc = json::parse(read_file(file), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw InputError(file.string(), "", expected);
  return doc;
}

// One scenario's report in a run directory, with which of its cells are done.
struct ScenarioRun {
  const PlannedScenario* planned = nullptr;
  fs::path dir;  // absolute: the report's folder
  std::unique_ptr<RunReport> report;
  std::mutex mutex;
  std::set<size_t> done;
  double job_seconds = 0;  // wall time of this scenario's VM jobs, summed

  void add_job_time(double seconds) {
    std::lock_guard lock(mutex);
    job_seconds += seconds;
  }

  void mark_done(size_t slot) {
    std::lock_guard lock(mutex);
    done.insert(slot);
  }
  json missing_cells() {
    std::lock_guard lock(mutex);
    json ids = json::array();
    for (size_t slot = 0; slot < planned->plan.cells.size(); ++slot)
      if (!done.count(slot)) ids.push_back(planned->plan.cells[slot].id);
    return ids;
  }
};

// Kernel entries and cells already on disk go back into the report.
void restore_from_disk(ScenarioRun& run, const fs::path& run_dir) {
  fs::path kernels = kernel_files_dir(run_dir, *run.planned);
  if (fs::is_directory(kernels)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(kernels))
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) run.report->add_kernel(read_json_file(file, "a kernel entry (JSON object)"));
  }
  const auto& cells = run.planned->plan.cells;
  for (size_t slot = 0; slot < cells.size(); ++slot) {
    fs::path file = run.dir / run.report->cell_file(slot);
    if (!fs::exists(file)) continue;
    json record = read_json_file(file, "a cell record (JSON object)");
    if (record.value("id", "") != cells[slot].id)
      throw InputError(file.string(), "/id", "cell " + cells[slot].id + " of this run's plan (slot " +
                                                 std::to_string(slot) + "), got " + record.value("id", "?"));
    run.report->add_recorded_cell(std::move(record), slot);
    run.done.insert(slot);
  }
}

std::string describe_cell_line(const Cell& cell, const json& judged) {
  int pass = 0, total = 0;
  auto oracles = judged.find("oracles");
  if (oracles != judged.end() && oracles->is_array())
    for (const auto& o : *oracles) {
      ++total;
      pass += o.value("verdict", "") == "pass";
    }
  std::string status = judged.value("status", "completed");
  return fmt::format("cell {}: {}{} ({}/{} oracles pass)", cell.id, judged.value("verdict", "?"),
                     status == "completed" ? "" : " [" + status + "]", pass, total);
}

// Hands a job's results to its scenario's report, kernel file and the board.
class ScenarioSink : public JobSink {
 public:
  ScenarioSink(ScenarioRun& run, ProgressBoard& board, fs::path kernel_file)
      : run_(run), board_(board), kernel_file_(std::move(kernel_file)) {}

  void kernel_changed(const json& kernel_info) override {
    fs::create_directories(kernel_file_.parent_path());
    write_file_atomic(kernel_file_, kernel_info.dump(2) + "\n");
    if (!kernel_index_)
      kernel_index_ = run_.report->add_kernel(kernel_info);
    else
      run_.report->update_kernel(*kernel_index_, kernel_info);
  }
  void cell_started(const Cell& cell, size_t) override { board_.cell_started(cell.id); }
  void cell_done(const Cell& cell, size_t slot, json judged) override {
    std::string verdict = judged.value("verdict", "error");
    std::string line = describe_cell_line(cell, judged);
    run_.report->add_cell(std::move(judged), slot);
    run_.mark_done(slot);
    board_.cell_finished(cell.id, verdict, line);
    last_verdict_ = verdict;
  }
  const std::string& last_verdict() const { return last_verdict_; }

 private:
  ScenarioRun& run_;
  ProgressBoard& board_;
  fs::path kernel_file_;
  std::optional<size_t> kernel_index_;
  std::string last_verdict_;
};

struct PlannedJob {
  size_t scenario = 0;
  VmJob job;
};

// The VM jobs for the cells not yet done (done[s]: scenario s's finished
// slots; none for a fresh plan): per scenario, per kernel, in plan order.
std::vector<PlannedJob> plan_jobs(const MatrixPlan& plan, const fs::path& run_dir,
                                  const std::vector<std::set<size_t>>& done = {}) {
  std::vector<PlannedJob> jobs;
  for (size_t s = 0; s < plan.scenarios.size(); ++s) {
    const auto& planned = plan.scenarios[s];
    std::map<std::string, size_t> job_of_kernel;
    for (size_t slot = 0; slot < planned.plan.cells.size(); ++slot) {
      if (s < done.size() && done[s].count(slot)) continue;
      const Cell& cell = planned.plan.cells[slot];
      auto [it, added] = job_of_kernel.try_emplace(cell.kernel, jobs.size());
      fs::path out_dir = (run_dir / planned.dir).lexically_normal();
      if (added) jobs.push_back({s, VmJob{&planned.scenario, cell.kernel, {}, {}, out_dir}});
      jobs[it->second].job.cells.push_back(cell);
      jobs[it->second].job.slots.push_back(slot);
    }
  }
  return jobs;
}

fs::path kernel_file_for(const ScenarioRun& run, const VmJob& job, const fs::path& run_dir) {
  return kernel_files_dir(run_dir, *run.planned) / fmt::format("{}-{:04}.json", job.kernel, job.slots.front());
}

std::string job_label(const MatrixPlan& plan, const PlannedJob& job) {
  return plan.scenarios.size() > 1 ? plan.scenarios[job.scenario].scenario.name + " " + job.job.kernel : job.job.kernel;
}

struct JobErrors {
  std::mutex mutex;
  std::exception_ptr first;
  std::string message;
  std::atomic<bool> halt{false};
};

void run_jobs(const MatrixPlan& plan, std::vector<PlannedJob>& jobs, std::vector<std::unique_ptr<ScenarioRun>>& runs,
              const KernelSource& source, const fs::path& run_dir, unsigned workers, ProgressBoard& board,
              JobErrors& errors) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (;;) {
      if (errors.halt || stop_signal()) return;
      size_t i = next++;
      if (i >= jobs.size()) return;
      PlannedJob& planned = jobs[i];
      ScenarioRun& run = *runs[planned.scenario];
      JobLog log(board, "[" + job_label(plan, planned) + "] ");
      ScenarioSink sink(run, board, kernel_file_for(run, planned.job, run_dir));
      auto started = std::chrono::steady_clock::now();
      struct JobClock {  // counted however the job ends
        ScenarioRun& run;
        std::chrono::steady_clock::time_point started;
        ~JobClock() { run.add_job_time(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()); }
      } clock{run, started};
      try {
        run_vm_job(planned.job, source, sink, log);
      } catch (const RunInterrupted&) {
        return;
      } catch (const std::exception& e) {
        std::lock_guard lock(errors.mutex);
        if (!errors.first) {
          errors.first = std::current_exception();
          errors.message = e.what();
        }
        errors.halt = true;  // no new jobs; the running ones finish
        log << "error: " << e.what() << "\n";
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned w = 1; w < std::min<size_t>(workers, jobs.size()); ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
}

// Before anything is written: every variant known, and on the local target
// every device and physical address safe to use (local_safety.h).
void check_variants(const MatrixPlan& plan, const VariantRegistry* registry, const MatrixRunRequest& request) {
  if (request.local) {
    std::vector<local::NamedCellSpec> cells;
    for (const auto& unit : plan.units) cells.emplace_back(plan.cell(unit).id, plan.cell(unit).spec);
    check_local_target_safety(*request.local, cells);
    return;
  }
  for (const auto& name : plan.variants)
    if (!(name == "custom" && request.kernel_image)) registry->get(name);  // InputError listing the known ones
  if (!request.kernel_image && std::count(plan.variants.begin(), plan.variants.end(), "custom"))
    throw UserError("variant \"custom\" needs --kernel-image (the image is not recorded in the run directory)",
                    kExitBadInput);
}

// The local target boots nothing: no registry (the source tree, where it
// lives, need not even be visible, as in a guest running the local target).
std::unique_ptr<VariantRegistry> load_registry(const MatrixRunRequest& request) {
  if (request.local) return nullptr;
  return std::make_unique<VariantRegistry>(VariantRegistry::load(request.variants_file));
}

MatrixPlan plan_request(const MatrixRunRequest& request) {
  std::vector<std::string> variants = request.local          ? std::vector<std::string>{"local"}
                                      : request.kernel_image ? std::vector<std::string>{"custom"}
                                                             : request.variants;
  return plan_matrix(request.input, variants);
}

// Ends each scenario's report: passed/failed when every cell is there,
// else interrupted (a signal) or incomplete (an error, missing results).
// The speed targets count a scenario's own VM time (its jobs' wall times
// summed), not the whole matrix's, so its trials per hour are per VM.
bool finish_reports(std::vector<std::unique_ptr<ScenarioRun>>& runs, int signo, const std::string& error) {
  bool all_pass = true;
  for (auto& run : runs) {
    json missing = run->missing_cells();
    bool run_pass = missing.empty();
    for (const auto& cell : run->report->json().value("cells", json::array()))
      run_pass = run_pass && cell.value("verdict", "") == "pass";
    all_pass = all_pass && run_pass;
    json ending = {{"finished_at", utc_timestamp()},
                   {"speed_targets", speed_targets(run->report->json(), RunCost{run->job_seconds, runner_max_rss_kib()})}};
    if (!missing.empty()) {
      ending["missing_cells"] = missing;
      ending["status"] = signo ? "interrupted" : "incomplete";
      if (signo) ending["interrupted_by"] = fmt::format("signal {} ({})", signo, strsignal(signo));
      if (!error.empty()) ending["error"] = error;
    } else {
      ending["status"] = run_pass ? "passed" : "failed";
    }
    run->report->finish(ending);
  }
  return all_pass;
}

std::vector<std::unique_ptr<ScenarioRun>> open_scenario_runs(const MatrixPlan& plan, const fs::path& run_dir,
                                                             const std::string& command_line, const char* how,
                                                             RunReport::Writes writes) {
  std::vector<std::unique_ptr<ScenarioRun>> runs;
  for (const auto& s : plan.scenarios) {
    auto run = std::make_unique<ScenarioRun>();
    run->planned = &s;
    run->dir = (run_dir / s.dir).lexically_normal();
    fs::create_directories(run->dir);
    json metadata = how ? carried_metadata(plan, s, run_dir, command_line, how)
                        : fresh_metadata(plan, s, run_dir, command_line);
    run->report = std::make_unique<RunReport>(report_path(run_dir, s), std::move(metadata), writes);
    if (how) restore_from_disk(*run, run_dir);
    runs.push_back(std::move(run));
  }
  return runs;
}

// One machine, one set of devices: local cells run one at a time.
unsigned workers_for(const MatrixRunRequest& request, const MatrixPlan& plan) {
  return request.local ? 1 : request.jobs.value_or(default_jobs(plan));
}

size_t count_done(const std::vector<std::unique_ptr<ScenarioRun>>& runs) {
  size_t n = 0;
  for (const auto& run : runs) n += run->done.size();
  return n;
}

void print_summaries(const std::vector<std::unique_ptr<ScenarioRun>>& runs, std::ostream& log) {
  for (const auto& run : runs) {
    log << "\n" << format_summary(run->report->json());
    log << "report: " << run->report->path().string() << "\n";
  }
}

}  // namespace

unsigned default_jobs(const MatrixPlan& plan) {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  int vm_mib = 0;
  for (const auto& s : plan.scenarios) vm_mib = std::max(vm_mib, s.scenario.vm.memory_mib);
  uint64_t available_mib = available_memory_mib();
  constexpr uint64_t kHostReserveMib = 1024;
  uint64_t by_memory = available_mib > kHostReserveMib ? (available_mib - kHostReserveMib) / (vm_mib + kQemuOverheadMib) : 1;
  return static_cast<unsigned>(std::clamp<uint64_t>(std::min<uint64_t>(cores, by_memory), 1, 64));
}

std::string format_plan(const MatrixPlan& plan, unsigned jobs) {
  auto planned_jobs = plan_jobs(plan, fs::path());
  size_t skipped = 0;
  for (const auto& s : plan.scenarios) skipped += s.plan.not_applicable.size();
  std::string out = fmt::format("{}: {} variant(s) x {} scenario(s) = {} cells in {} VM jobs, {} at once\n", plan.name,
                                plan.variants.size(), plan.scenarios.size(), plan.units.size(), planned_jobs.size(), jobs);
  for (const auto& job : planned_jobs) {
    out += fmt::format("  job {} on {} ({} cells)\n", plan.scenarios[job.scenario].scenario.name, job.job.kernel,
                       job.job.cells.size());
    for (const auto& cell : job.job.cells) out += "    " + cell.id + "\n";
  }
  if (skipped) out += fmt::format("{} combinations not applicable (poisonlab check SCENARIO lists them)\n", skipped);
  return out;
}

MatrixPlan prepare_matrix_run(const MatrixRunRequest& request, fs::path& out_dir) {
  MatrixPlan plan = plan_request(request);
  check_variants(plan, load_registry(request).get(), request);
  plan.run_id = make_run_id(plan.name);
  out_dir = fs::absolute(request.out_dir.value_or(fs::path("results") / plan.run_id)).lexically_normal();
  if (fs::exists(out_dir / "matrix.json"))
    throw UserError(fmt::format("{} already holds a run (matrix.json); finish it with --resume {} or choose another --out",
                                out_dir.string(), out_dir.string()),
                    kExitBadInput);
  fs::create_directories(out_dir);
  write_file_atomic(out_dir / "matrix.json", matrix_json(plan).dump(2) + "\n");
  open_scenario_runs(plan, out_dir, request.command_line, nullptr, RunReport::Writes::report_and_cells);
  return plan;
}

RunOutcome run_matrix(const MatrixRunRequest& request, std::ostream& log) {
  if (request.dry_run) {
    MatrixPlan plan = plan_request(request);
    check_variants(plan, load_registry(request).get(), request);
    log << format_plan(plan, workers_for(request, plan));
    return {};
  }
  install_stop_handlers();
  std::unique_ptr<VariantRegistry> registry = load_registry(request);
  fs::path run_dir;
  MatrixPlan plan;
  if (request.resume) {
    run_dir = fs::absolute(*request.out_dir).lexically_normal();
    plan = load_run_dir_plan(run_dir);
    check_variants(plan, registry.get(), request);
  } else {
    plan = prepare_matrix_run(request, run_dir);
  }
  auto runs = open_scenario_runs(plan, run_dir, request.command_line, request.resume ? "resumed" : nullptr,
                                 RunReport::Writes::report_and_cells);
  unsigned workers = workers_for(request, plan);
  if (!request.resume)
    for (auto& run : runs) run->report->finish({{"jobs", workers}});
  std::vector<std::set<size_t>> done;
  for (const auto& run : runs) done.push_back(run->done);
  auto jobs = plan_jobs(plan, run_dir, done);
  bool interactive = request.interactive.value_or(isatty(STDOUT_FILENO) == 1 && &log == &std::cout);
  ProgressBoard board(log, plan.units.size(), count_done(runs), interactive);
  board.line(fmt::format("run {}: {} cells ({} done before), {} VM jobs, {} at once; {}", plan.run_id,
                         plan.units.size(), count_done(runs), jobs.size(), workers, run_dir.string()));
  auto started = std::chrono::steady_clock::now();
  KernelSource source{registry.get(), request.kernel_image, request.modules_dir,
                      request.local ? &*request.local : nullptr};
  JobErrors errors;
  run_jobs(plan, jobs, runs, source, run_dir, workers, board, errors);
  board.close();
  int signo = stop_signal();
  bool all_pass = finish_reports(runs, signo, errors.message);
  board.line(fmt::format("matrix done in {:.0f} s", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()));
  print_summaries(runs, log);
  if (errors.first) std::rethrow_exception(errors.first);
  RunOutcome outcome{run_dir, {}, all_pass ? kExitOk : kExitOracleFailed};
  for (const auto& run : runs) outcome.reports.push_back(run->report->path());
  if (signo) {
    log << fmt::format("stopped by signal {}: finish with poisonlab run --resume {}\n", signo, run_dir.string());
    outcome.exit_code = exit_code_for_signal(signo);
  }
  return outcome;
}

int run_one_unit(const fs::path& run_dir_in, size_t index, const fs::path& variants_file, std::ostream& log) {
  install_stop_handlers();
  fs::path run_dir = fs::absolute(run_dir_in).lexically_normal();
  MatrixPlan plan = load_run_dir_plan(run_dir);
  if (index >= plan.units.size())
    throw InputError((run_dir / "matrix.json").string(), "/units",
                     fmt::format("a unit index below {}, got {}", plan.units.size(), index));
  VariantRegistry registry = VariantRegistry::load(variants_file);
  const MatrixUnit& unit = plan.units[index];
  const PlannedScenario& planned = plan.scenarios[unit.scenario];
  ScenarioRun run;
  run.planned = &planned;
  run.dir = (run_dir / planned.dir).lexically_normal();
  run.report = std::make_unique<RunReport>(report_path(run_dir, planned), json{{"id", plan.run_id}},
                                           RunReport::Writes::cell_files_only);
  const Cell& cell = planned.plan.cells[unit.plan_index];
  fs::path cell_file = run.dir / run.report->cell_file(unit.plan_index);
  if (fs::exists(cell_file)) {
    json record = read_json_file(cell_file, "a cell record (JSON object)");
    log << fmt::format("unit {} ({}) already has its result: {}\n", index, cell.id, record.value("verdict", "?"));
    return record.value("verdict", "") == "pass" ? kExitOk : kExitOracleFailed;
  }
  ProgressBoard board(log, 1, 0, false);
  VmJob job{&planned.scenario, cell.kernel, {cell}, {unit.plan_index}, run.dir};
  ScenarioSink sink(run, board, kernel_file_for(run, job, run_dir));
  JobLog job_log(board, fmt::format("[unit {}] ", index));
  run_vm_job(job, KernelSource{&registry, std::nullopt, std::nullopt}, sink, job_log);
  return sink.last_verdict() == "pass" ? kExitOk : kExitOracleFailed;
}

int merge_run_dir(const fs::path& run_dir_in, const std::string& command_line, std::ostream& log) {
  fs::path run_dir = fs::absolute(run_dir_in).lexically_normal();
  MatrixPlan plan = load_run_dir_plan(run_dir);
  auto runs = open_scenario_runs(plan, run_dir, command_line, "merged", RunReport::Writes::report_and_cells);
  bool all_pass = finish_reports(runs, 0, "");
  print_summaries(runs, log);
  size_t done = count_done(runs);
  log << fmt::format("merged {} of {} cells in {}\n", done, plan.units.size(), run_dir.string());
  return all_pass ? kExitOk : kExitOracleFailed;
}

}  // namespace poisonlab

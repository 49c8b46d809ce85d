#include "report/report.h"

#include <algorithm>
#include <map>

#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "report/fio_summary.h"
#include "report/json_access.h"
#include "report/matrix.h"
#include "report/perf_report.h"
#include "report/report_version.h"
#include "report/series.h"
#include "report/stats.h"

namespace poisonlab {
using nlohmann::json;

namespace {

// Kernel log lines may hold bytes that are not UTF-8; they are replaced
// (U+FFFD) rather than losing the report.
std::string dump_report_json(const json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// The same text streamed to a file (never held as one string: a large
// range's cell is hundreds of MB of JSON). Returns its bytes.
size_t write_json_file_atomic(const std::filesystem::path& path, const json& value) {
  return write_file_atomic(path, [&](std::ostream& out) {
    nlohmann::detail::serializer<json> serializer(nlohmann::detail::output_adapter<char>(out), ' ',
                                                  json::error_handler_t::replace);
    serializer.dump(value, true, false, 2);
    out << "\n";
  });
}

// Each trial's wall time in the guest (end_ns - start_ns): what a trial
// costs, kept in report.json even when the observation moves to its file.
json trial_wall_ns(const json& observation) {
  json out = json::array();
  for (const json& t : member_or_null(observation, "trials")) {
    const json &start = member_or_null(t, "start_ns"), &end = member_or_null(t, "end_ns");
    out.push_back(start.is_number_unsigned() && end.is_number_unsigned() && end.get<uint64_t>() >= start.get<uint64_t>()
                      ? json(end.get<uint64_t>() - start.get<uint64_t>())
                      : json(nullptr));
  }
  return out;
}

// A cell too large to keep inline keeps in report.json what the summary,
// the matrix and the series read; the per-memory-failure notify list and
// the oracles' evidence (both an entry a poisoned page) stay in its cell
// file only.
void compact_large_cell(json& cell, const std::string& cell_file) {
  auto oracles = cell.find("oracles");
  if (oracles != cell.end() && oracles->is_array())
    for (json& oracle : *oracles)
      if (oracle.is_object() && oracle.contains("evidence") && !oracle["evidence"].is_null())
        oracle["evidence"] = {{"in_file", cell_file}};
  auto notify = cell.find("notify_path");
  if (notify == cell.end() || !notify->is_object()) return;
  auto per_trial = notify->find("per_trial");
  if (per_trial == notify->end() || !per_trial->is_array()) return;
  for (json& trial : *per_trial) {
    auto per_event = trial.find("per_event");
    if (per_event == trial.end() || !per_event->is_array()) continue;
    *per_event = {{"in_file", cell_file}, {"count", per_event->size()}};
  }
}

void require_object(const json& value, const char* what) {
  if (!value.is_object()) throw std::invalid_argument(std::string(what) + " must be a JSON object");
}

}  // namespace

RunReport::RunReport(std::filesystem::path path, nlohmann::json run_metadata, size_t inline_cell_bytes, Writes writes)
    : writes_(writes), path_(std::move(path)), inline_cell_bytes_(inline_cell_bytes) {
  require_object(run_metadata, "run metadata");
  // The run stage may name the variants; the kernels and cells add theirs.
  if (!run_metadata["variants"].is_array()) run_metadata["variants"] = nlohmann::json::array();
  report_ = {{"schema_version", kReportSchemaVersion},
             {"run", std::move(run_metadata)},
             {"kernels", nlohmann::json::array()},
             {"cells", nlohmann::json::array()},
             {"summary", count_verdicts(nlohmann::json::array())},
             {"correctness_matrix", correctness_matrix(nlohmann::json::array())},
             {"series", build_series(nlohmann::json::array())}};
  write();
}

size_t RunReport::add_kernel(nlohmann::json kernel_info) {
  require_object(kernel_info, "kernel info");
  std::lock_guard lock(mutex_);
  note_variant(report_["run"], string_or(kernel_info, "variant"));
  report_["kernels"].push_back(std::move(kernel_info));
  write();
  return report_["kernels"].size() - 1;
}

void RunReport::update_kernel(size_t index, nlohmann::json kernel_info) {
  require_object(kernel_info, "kernel info");
  std::lock_guard lock(mutex_);
  report_["kernels"].at(index) = std::move(kernel_info);
  write();
}

std::string RunReport::cell_file(size_t slot) const {
  return fmt::format("{}.cells/{:04}.json", path_.stem().string(), slot);
}

void RunReport::add_cell(nlohmann::json judged_cell, std::optional<size_t> slot) {
  require_object(judged_cell, "judged cell");
  nlohmann::json cell = with_fio_summary(with_perf_summary(with_latency_stats(std::move(judged_cell))));
  size_t number;
  {
    std::lock_guard lock(mutex_);
    number = slot.value_or(slots_.empty() ? 0 : slots_.back() + 1);
  }
  std::string file = cell_file(number);
  cell["key"] = cell_key(cell);
  cell["cell_file"] = file;
  cell["trial_wall_ns"] = trial_wall_ns(member_or_null(cell, "observation"));
  std::filesystem::create_directories((path_.parent_path() / file).parent_path());
  size_t record_bytes = write_json_file_atomic(path_.parent_path() / file, cell);
  insert_cell(std::move(cell), number, record_bytes);
}

void RunReport::add_recorded_cell(nlohmann::json cell_record, size_t slot) {
  require_object(cell_record, "cell record");
  size_t record_bytes = std::filesystem::file_size(path_.parent_path() / cell_file(slot));
  insert_cell(std::move(cell_record), slot, record_bytes);
}

void RunReport::insert_cell(nlohmann::json cell, size_t slot, size_t record_bytes) {
  if (record_bytes > inline_cell_bytes_) {
    std::string file = cell_file(slot);
    if (cell.contains("observation")) cell["observation"] = {{"in_file", file}, {"bytes", record_bytes}};
    compact_large_cell(cell, file);
  }
  std::lock_guard lock(mutex_);
  auto at = std::lower_bound(slots_.begin(), slots_.end(), slot);
  if (at != slots_.end() && *at == slot) throw std::logic_error(fmt::format("cell slot {} added twice", slot));
  auto position = at - slots_.begin();
  slots_.insert(at, slot);
  note_variant(report_["run"], string_or(cell, "kernel"));
  auto& cells = report_["cells"];
  cells.insert(cells.begin() + position, std::move(cell));
  report_["summary"] = count_verdicts(cells);
  report_["correctness_matrix"] = correctness_matrix(cells);
  report_["series"] = build_series(cells);
  write();
}

void RunReport::finish(nlohmann::json extra) {
  require_object(extra, "finish data");
  std::lock_guard lock(mutex_);
  report_["run"].update(extra);
  write();
}

void RunReport::write() const {
  if (writes_ == Writes::report_and_cells) write_file_atomic(path_, dump_report_json(report_));
}

namespace {

// Milliseconds statistics of ns samples (null = not measured, counted as
// "missing"); what kind of samples they are is named in errors.
json ms_stats(const json& samples_ns, const std::string& what) {
  std::vector<double> samples_ms;
  size_t missing = 0;
  for (const auto& sample : samples_ns) {
    if (sample.is_null())
      ++missing;
    else if (sample.is_number())
      samples_ms.push_back(sample.get<double>() / 1e6);
    else
      throw std::invalid_argument(what + " holds a " + std::string(sample.type_name()));
  }
  json stats = to_json(summarize(std::move(samples_ms)));
  stats["missing"] = missing;
  return stats;
}

// {phase: stats over the trials} for every "*_ns" value of latency.phases.
json phase_stats(const json& phases) {
  json per_phase = json::object();
  if (!phases.is_array()) return per_phase;
  std::map<std::string, json> samples;
  for (const auto& trial : phases) {
    if (!trial.is_object()) continue;
    for (const auto& [key, value] : trial.items())
      if (key.ends_with("_ns") && (value.is_null() || value.is_number())) samples[key].push_back(value);
  }
  for (auto& [key, values] : samples)
    per_phase[key.substr(0, key.size() - 3)] = ms_stats(values, "latency.phases[]." + key);
  return per_phase;
}

}  // namespace

json with_latency_stats(json cell) {
  json& latency = cell["latency"];
  if (latency.is_null()) latency = json::object();
  require_object(latency, "cell latency");
  json& samples_ns = latency["revocation_ns"];
  if (samples_ns.is_null()) samples_ns = json::array();
  if (!samples_ns.is_array()) throw std::invalid_argument("latency.revocation_ns must be an array");
  latency["revocation_ms_stats"] = ms_stats(samples_ns, "latency.revocation_ns");
  if (latency.contains("phases")) latency["phase_ms_stats"] = phase_stats(latency["phases"]);
  return cell;
}

json count_verdicts(const json& cells) {
  json oracles = {{"pass", 0}, {"fail", 0}, {"skip", 0}};
  int passed = 0, failed = 0, errored = 0;
  for (const auto& cell : cells) {
    std::string verdict = string_or(cell, "verdict");
    if (verdict == "pass")
      ++passed;
    else if (verdict == "fail")
      ++failed;
    else
      ++errored;
    const json& list = member_or_null(cell, "oracles");
    if (!list.is_array()) continue;
    for (const auto& oracle : list) {
      std::string oracle_verdict = string_or(oracle, "verdict");
      if (oracles.contains(oracle_verdict)) oracles[oracle_verdict] = oracles[oracle_verdict].get<int>() + 1;
    }
  }
  return {{"cells", cells.size()}, {"passed", passed}, {"failed", failed}, {"errored", errored}, {"oracles", oracles}};
}

std::string cell_key(const json& cell) {
  // Tolerant: a cell of a malformed report (not an object, an id that is not
  // a string) has the empty key; the readers name its fields in errors.
  const json& key = member_or_null(cell, "key");
  if (key.is_string()) return key.get<std::string>();
  std::string id = string_or(cell, "id");
  size_t slash = id.find('/');
  return slash == std::string::npos ? id : id.substr(slash + 1);
}

json load_report(const std::filesystem::path& path) {
  std::string text = read_input_file(path);
  json report;
  try {
    report = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    throw InputError(path.string(), "", std::string("invalid JSON: ") + e.what());
  }
  return upgrade_report(std::move(report), path);
}

json with_observation(const json& cell, const std::filesystem::path& report_dir) {
  const json& observation = member_or_null(cell, "observation");
  if (!observation.is_object() || !observation.contains("in_file")) return cell;
  std::filesystem::path file = report_dir / observation.value("in_file", "");
  json full;
  try {
    full = json::parse(read_file(file));
  } catch (const std::exception& e) {
    throw InputError(file.string(), "", std::string("cannot read the cell's observation: ") + e.what());
  }
  if (!full.is_object() || string_or(full, "id") != string_or(cell, "id") || !full.contains("observation"))
    throw InputError(file.string(), "/id", "expected the record of cell " + string_or(cell, "id", "?"));
  return full;
}

}  // namespace poisonlab

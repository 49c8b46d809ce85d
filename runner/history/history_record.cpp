#include "history/history_record.h"

#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "common/fs_util.h"
#include "report/json_access.h"
#include "report/report.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kNsSuffix = "_ns";

// Reads fields of one report, naming the file and the JSON pointer of
// whatever is missing or of the wrong type.
class ReportReader {
 public:
  explicit ReportReader(const fs::path& file) : file_(file.string()) {}

  const json& object_at(const json& parent, const std::string& pointer) const {
    json::json_pointer at(pointer);
    if (!parent.contains(at) || !parent[at].is_object()) fail(pointer, "an object");
    return parent[at];
  }
  std::string string_at(const json& root, const std::string& pointer, const char* what) const {
    json::json_pointer at(pointer);
    if (!root.contains(at) || !root[at].is_string()) fail(pointer, std::string("a string: ") + what);
    return root[at].get<std::string>();
  }
  std::optional<std::string> optional_string_at(const json& root, const std::string& pointer) const {
    json::json_pointer at(pointer);
    if (!root.contains(at) || root[at].is_null()) return std::nullopt;
    if (!root[at].is_string()) fail(pointer, "a string or null");
    return root[at].get<std::string>();
  }
  // Each element's value in ms: a number of ns, or null (skipped).
  void append_ms(const json& value, const std::string& pointer, std::vector<double>& out) const {
    if (value.is_number())
      out.push_back(value.get<double>() / 1e6);
    else if (!value.is_null())
      fail(pointer, "a number of nanoseconds or null");
  }
  [[noreturn]] void fail(const std::string& pointer, const std::string& expected) const {
    throw InputError(file_, pointer, "expected " + expected);
  }

 private:
  std::string file_;
};

bool is_utc_timestamp(const std::string& text) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kShape.size()) return false;
  for (size_t i = 0; i < text.size(); ++i)
    if (kShape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(text[i])) : text[i] != kShape[i]) return false;
  return true;
}

std::string absolute_path(const fs::path& path) { return fs::absolute(path).lexically_normal().string(); }

void read_run_fields(const ReportReader& reader, const json& report, RunRecord& run) {
  if (!report.contains("run") || !report["run"].is_object()) reader.fail("/run", "an object: the run metadata");
  run.run_id = reader.string_at(report, "/run/id", "the run id");
  run.scenario = reader.string_at(report, "/run/scenario/name", "the scenario name");
  run.started_at = reader.string_at(report, "/run/started_at", "the start time");
  if (!is_utc_timestamp(run.started_at)) reader.fail("/run/started_at", "a UTC time YYYY-MM-DDTHH:MM:SSZ");
  run.finished_at = reader.optional_string_at(report, "/run/finished_at");
  run.status = reader.optional_string_at(report, "/run/status");
  run.git_sha = reader.optional_string_at(report, "/run/poisonlab/git_sha");
}

// variant -> release: the release the guest reported when it booted, else
// the one of the kernel package.
std::map<std::string, std::string> read_kernels(const ReportReader& reader, const json& report, RunRecord& run) {
  std::map<std::string, std::string> releases;
  for (size_t i = 0; i < report["kernels"].size(); ++i) {
    std::string at = "/kernels/" + std::to_string(i);
    std::string variant = reader.string_at(report, at + "/variant", "the kernel variant");
    if (std::find(run.variants.begin(), run.variants.end(), variant) == run.variants.end())
      run.variants.push_back(variant);
    auto release = reader.optional_string_at(report, at + "/guest_kernel_release");
    if (!release) release = reader.optional_string_at(report, at + "/release");
    if (release) releases[variant] = *release;
  }
  return releases;
}

void read_oracles(const ReportReader& reader, const json& report, const std::string& at, CellRecord& cell) {
  const json& oracles = member_or_null(report.at(json::json_pointer(at)), "oracles");
  if (oracles.is_null()) return;
  if (!oracles.is_array()) reader.fail(at + "/oracles", "an array of oracle entries");
  for (size_t j = 0; j < oracles.size(); ++j) {
    std::string oracle_at = at + "/oracles/" + std::to_string(j);
    cell.oracles.emplace_back(reader.string_at(report, oracle_at + "/name", "the oracle name"),
                              reader.string_at(report, oracle_at + "/verdict", "the oracle verdict"));
  }
}

void read_samples(const ReportReader& reader, const json& latency, const std::string& at, CellRecord& cell) {
  std::vector<double>& revocation = cell.samples_ms[kRevocationMetric];
  const json& per_trial = member_or_null(latency, "revocation_ns");
  if (!per_trial.is_null() && !per_trial.is_array()) reader.fail(at + "/revocation_ns", "an array");
  for (size_t t = 0; t < per_trial.size(); ++t)
    reader.append_ms(per_trial[t], at + "/revocation_ns/" + std::to_string(t), revocation);
  const json& phases = member_or_null(latency, "phases");
  if (!phases.is_null() && !phases.is_array()) reader.fail(at + "/phases", "an array");
  for (size_t t = 0; t < phases.size(); ++t) {
    std::string trial_at = at + "/phases/" + std::to_string(t);
    if (phases[t].is_null()) continue;
    if (!phases[t].is_object()) reader.fail(trial_at, "an object of phases or null");
    for (const auto& [name, value] : phases[t].items()) {
      if (!name.ends_with(kNsSuffix) || value.is_null()) continue;
      reader.append_ms(value, (json::json_pointer(trial_at) / name).to_string(),  // the name escaped ("~1" for "/")
                       cell.samples_ms[name.substr(0, name.size() - kNsSuffix.size())]);
    }
  }
}

CellRecord read_cell(const ReportReader& reader, const json& report, size_t index,
                     const std::map<std::string, std::string>& releases, const fs::path& report_dir) {
  std::string at = "/cells/" + std::to_string(index);
  const json& source = reader.object_at(report, at);
  CellRecord cell;
  cell.index = index;
  cell.id = reader.string_at(report, at + "/id", "the cell id");
  cell.variant = reader.string_at(report, at + "/kernel", "the cell's kernel variant label");
  cell.key = cell_key(source);
  cell.verdict = reader.string_at(report, at + "/verdict", "the cell verdict");
  cell.status = reader.optional_string_at(report, at + "/status").value_or("");
  if (auto it = releases.find(cell.variant); it != releases.end()) cell.release = it->second;
  if (auto file = reader.optional_string_at(report, at + "/cell_file"))
    cell.cell_file = absolute_path(report_dir / *file);
  read_oracles(reader, report, at, cell);
  read_samples(reader, member_or_null(source, "latency"), at + "/latency", cell);
  const json& summary = member_or_null(member_or_null(source, "notify_path"), "summary");
  cell.notify_summary = summary.is_object() ? summary : json();
  return cell;
}

// The series' variant: that of its first point's cell, else the kernel
// label that starts the series name.
std::string series_variant(const json& series, const std::vector<CellRecord>& cells) {
  const json& points = member_or_null(series, "points");
  std::string first_cell = points.is_array() && !points.empty() ? string_or(points[0], "cell") : "";
  for (const CellRecord& cell : cells)
    if (!first_cell.empty() && cell.id == first_cell) return cell.variant;
  std::string name = string_or(series, "series");
  return name.substr(0, name.find('/'));
}

json read_series(const ReportReader& reader, const json& report, const std::vector<CellRecord>& cells) {
  const json& series = member_or_null(report, "series");
  if (series.is_null()) return json::array();
  if (!series.is_array()) reader.fail("/series", "an array of sweep series");
  json out = json::array();
  for (size_t i = 0; i < series.size(); ++i) {
    if (!series[i].is_object()) reader.fail("/series/" + std::to_string(i), "an object: a sweep series");
    json entry = series[i];
    entry["variant"] = series_variant(entry, cells);
    out.push_back(std::move(entry));
  }
  return out;
}

json samples_json(const CellRecord& cell) {
  json samples = json::object();
  for (const auto& [metric, values] : cell.samples_ms) samples[metric + "_ms"] = values;
  return samples;
}

}  // namespace

RunRecord record_from_report(const json& report, const fs::path& report_path) {
  ReportReader reader(report_path);
  RunRecord run;
  read_run_fields(reader, report, run);
  run.report_path = absolute_path(report_path);
  auto releases = read_kernels(reader, report, run);
  fs::path report_dir = fs::path(run.report_path).parent_path();
  for (size_t i = 0; i < report["cells"].size(); ++i) {
    run.cells.push_back(read_cell(reader, report, i, releases, report_dir));
    const std::string& variant = run.cells.back().variant;
    if (std::find(run.variants.begin(), run.variants.end(), variant) == run.variants.end())
      run.variants.push_back(variant);
  }
  run.series = read_series(reader, report, run.cells);
  return run;
}

RunRecord load_run_record(const fs::path& report_path) {
  return record_from_report(load_report(report_path), report_path);
}

json string_or_null(const std::optional<std::string>& value) { return value ? json(*value) : json(); }

json to_json(const CellRecord& cell, const std::string& report_path) {
  json oracles = json::object();
  for (const auto& [name, verdict] : cell.oracles) oracles[name] = verdict;
  return {{"variant", cell.variant},
          {"key", cell.key},
          {"id", cell.id},
          {"release", string_or_null(cell.release)},
          {"verdict", cell.verdict},
          {"status", cell.status},
          {"oracles", oracles},
          {"evidence", {{"report", report_path}, {"cell_file", string_or_null(cell.cell_file)}, {"index", cell.index}}},
          {"samples", samples_json(cell)},
          {"notify_summary", cell.notify_summary}};
}

json to_json(const RunRecord& run) {
  json cells = json::array();
  for (const CellRecord& cell : run.cells) cells.push_back(to_json(cell, run.report_path));
  return {{"run_id", run.run_id},
          {"scenario", run.scenario},
          {"started_at", run.started_at},
          {"finished_at", string_or_null(run.finished_at)},
          {"status", string_or_null(run.status)},
          {"report_path", run.report_path},
          {"git_sha", string_or_null(run.git_sha)},
          {"variants", run.variants},
          {"series", run.series},
          {"cells", std::move(cells)}};
}

std::string record_digest(const RunRecord& run) { return sha256_hex(to_json(run).dump()); }

}  // namespace poisonlab

#include "export/kcidb.h"

#include <ctime>
#include <map>

#include <fmt/format.h>

#include "common/error.h"
#include "report/json_access.h"
#include "report/report.h"

namespace poisonlab {
using nlohmann::json;

namespace {

// KCIDB's limit on log_excerpt, in characters; cut in bytes at a UTF-8
// boundary, which keeps it under the limit.
constexpr size_t kMaxExcerptBytes = 16384;
// poisonlab boots x86_64 guests only (qemu-system-x86_64, bzImage).
constexpr const char* kArchitecture = "x86_64";

bool is_path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// KCIDB allows no null property: members that are null are left out
// (arrays keep theirs: a position in a per-trial list means something).
json without_nulls(json value) {
  if (value.is_object()) {
    json out = json::object();
    for (auto& [key, member] : value.items())
      if (!member.is_null()) out[key] = without_nulls(member);
    return out;
  }
  if (value.is_array())
    for (json& element : value) element = without_nulls(std::move(element));
  return value;
}

std::string utf8_prefix(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // not inside a character
  return text.substr(0, end);
}

std::string iso_time(std::time_t seconds) {
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// base + "/" + a path relative to the run directory, percent-encoded.
std::string artifact_url(const std::string& base, const std::string& relative) {
  std::string url = base + "/";
  for (unsigned char c : relative) {
    bool plain = is_path_char(static_cast<char>(c)) || c == '.' || c == '~' || c == '/';
    url += plain ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  return url;
}

std::string required_string(const json& report, const std::string& pointer, const std::filesystem::path& file,
                            const std::string& what) {
  json::json_pointer ptr(pointer);
  if (!report.contains(ptr) || !report.at(ptr).is_string() || report.at(ptr).get<std::string>().empty())
    throw InputError(file.string(), pointer, "expected " + what + " (a non-empty string)");
  return report.at(ptr).get<std::string>();
}

// The numbers of a statistics object (stats.h), the interval flattened.
json stats_numbers(const json& stats) {
  if (!stats.is_object()) return nullptr;
  json out = json::object();
  for (const char* key : {"n", "min", "p50", "p90", "p99", "max", "mean", "stddev", "missing"})
    out[key] = member_or_null(stats, key);
  const json& ci = member_or_null(stats, "p50_ci95");
  out["p50_ci95_low"] = member_or_null(ci, "low");
  out["p50_ci95_high"] = member_or_null(ci, "high");
  return out;
}

// What every object of one export shares.
struct Export {
  const KcidbOptions& options;
  std::string run_id;  // "<origin>:<run id>": the checkout's id, the prefix of the others
  std::string scenario;
  json started_at;                               // the run's start (string) or null
  std::map<std::string, std::string> build_ids;  // variant -> build id
  std::map<std::string, json> environments;      // variant -> test environment
  const std::filesystem::path& file;
};

json checkout_of(const json& report, const Export& x) {
  const json& run = member_or_null(report, "run");
  json misc = {
      {"poisonlab", member_or_null(run, "poisonlab")},
      {"scenario", {{"name", x.scenario}, {"sha256", member_or_null(member_or_null(run, "scenario"), "sha256")}}},
      {"host", member_or_null(run, "host")},
      {"variants", member_or_null(run, "variants")},
      {"run_status", member_or_null(run, "status")},
      {"finished_at", member_or_null(run, "finished_at")},
      {"summary", member_or_null(report, "summary")}};
  return without_nulls({{"id", x.run_id},
                        {"origin", x.options.origin},
                        {"start_time", x.started_at},
                        {"valid", true},
                        {"comment", fmt::format("poisonlab run {} of scenario {}", string_or(run, "id"), x.scenario)},
                        {"misc", misc}});
}

// Prepared and booted: PASS; never prepared: the harness failed (MISS);
// prepared but never booted: unknown whose fault (ERROR).
std::string build_status(const json& kernel) {
  if (!kernel.contains("error")) return "PASS";
  return kernel.contains("release") ? "ERROR" : "MISS";
}

json build_of(const json& kernel, const std::string& id, const Export& x) {
  const json& record = member_or_null(kernel, "build");  // source-built variants: the build record
  json out = {
      {"id", id},
      {"checkout_id", x.run_id},
      {"origin", x.options.origin},
      {"architecture", kArchitecture},
      {"status", build_status(kernel)},
      {"comment", fmt::format("{}: {}", string_or(kernel, "variant"), string_or(kernel, "release", "not prepared"))}};
  std::string config_sha = string_or(kernel, "config_sha256");
  if (!config_sha.empty()) out["config_name"] = config_sha;
  if (record.is_object()) {
    const json &total = member_or_null(member_or_null(record, "seconds"), "total"),
               &end = member_or_null(record, "finished_at");
    if (total.is_number() && end.is_number()) {
      out["duration"] = total;
      out["start_time"] = iso_time(static_cast<std::time_t>(end.get<double>() - total.get<double>()));
    }
    out["compiler"] = member_or_null(record, "compiler");
  }  // else a distribution package: when and how it was built is not known
  if (kernel.contains("error")) out["log_excerpt"] = utf8_prefix(string_or(kernel, "error"), kMaxExcerptBytes);
  out["misc"] = {{"variant", member_or_null(kernel, "variant")},
                 {"release", member_or_null(kernel, "release")},
                 {"package", member_or_null(kernel, "package")},
                 {"package_version", member_or_null(kernel, "package_version")},
                 {"guest_kernel_release", member_or_null(kernel, "guest_kernel_release")},
                 {"config_sha256", member_or_null(kernel, "config_sha256")},
                 {"boot", member_or_null(kernel, "boot")},
                 {"boots", member_or_null(kernel, "boots").is_array() ? json(kernel["boots"].size()) : json(nullptr)},
                 {"source", member_or_null(record, "source")},
                 {"patches_sha256", member_or_null(member_or_null(record, "patches"), "sha256")}};
  return without_nulls(out);
}

// The VM the kernel's cells ran in, when it booted.
json environment_of(const json& kernel) {
  const json& target = member_or_null(kernel, "target");
  if (!target.is_object()) return nullptr;
  json misc = json::object();
  for (const char* key : {"backend", "accel", "machine", "qemu_version", "cpus", "memory_mib"})
    misc[key] = member_or_null(target, key);
  std::string comment = fmt::format("QEMU {} ({}) x86_64 VM, {} CPUs, {} MiB", string_or(target, "qemu_version", "?"),
                                    string_or(target, "accel", "?"), member_or_null(target, "cpus").dump(),
                                    member_or_null(target, "memory_mib").dump());
  return without_nulls({{"comment", comment}, {"misc", misc}});
}

// The failing oracles, as "name: summary" lines after the cell's error.
std::string failure_excerpt(const json& cell) {
  std::string text = string_or(cell, "error");
  for (const json& oracle : member_or_null(cell, "oracles"))
    if (string_or(oracle, "verdict") == "fail")
      text += (text.empty() ? "" : "\n") + string_or(oracle, "name") + ": " + string_or(oracle, "summary");
  return utf8_prefix(text, kMaxExcerptBytes);
}

std::string test_comment(const json& cell) {
  std::string comment = fmt::format("{}: {}", string_or(cell, "id"), string_or(cell, "verdict", "?"));
  if (std::string status = string_or(cell, "status"); status != "completed") comment += " (" + status + ")";
  std::string failed;
  for (const json& oracle : member_or_null(cell, "oracles"))
    if (string_or(oracle, "verdict") == "fail") failed += (failed.empty() ? "" : ", ") + string_or(oracle, "name");
  return failed.empty() ? comment : comment + "; failed: " + failed;
}

// Guest wall time of the cell's trials, in seconds; null when none is known.
json trials_duration_s(const json& cell) {
  double ns = 0;
  bool known = false;
  for (const json& t : member_or_null(cell, "trial_wall_ns"))
    if (t.is_number()) ns += t.get<double>(), known = true;
  return known ? json(ns / 1e9) : json(nullptr);
}

json test_misc(const json& cell) {
  const json& latency = member_or_null(cell, "latency");
  json oracles = json::object(), phases = json::object();
  for (const json& oracle : member_or_null(cell, "oracles"))
    oracles[string_or(oracle, "name", "?")] = member_or_null(oracle, "verdict");
  const json& phase_stats = member_or_null(latency, "phase_ms_stats");
  if (phase_stats.is_object())
    for (const auto& [phase, stats] : phase_stats.items()) phases[phase] = stats_numbers(stats);
  const json& revocations = member_or_null(latency, "revocation_ns");
  json misc = {{"cell_id", member_or_null(cell, "id")}};
  for (const char* key :
       {"key", "kernel", "stack", "filesystem", "method", "target", "status", "verdict", "serial_log", "cell_file"})
    misc[key] = member_or_null(cell, key);
  misc["oracles"] = oracles;
  misc["trials"] = revocations.is_array() ? json(revocations.size()) : json(nullptr);
  misc["revocation_ms"] = stats_numbers(member_or_null(latency, "revocation_ms_stats"));
  misc["phase_ms"] = phases;
  misc["notify_path"] = member_or_null(member_or_null(cell, "notify_path"), "summary");
  return misc;
}

std::string kernel_of(const json& cell) {
  std::string kernel = string_or(cell, "kernel");
  if (!kernel.empty()) return kernel;
  std::string id = string_or(cell, "id");
  return id.substr(0, id.find('/'));
}

json test_of(const json& cell, const std::string& pointer, const Export& x) {
  std::string id = string_or(cell, "id");
  if (id.find('/') == std::string::npos)
    throw InputError(x.file.string(), pointer + "/id", "expected a cell id <kernel>/<stack>/<filesystem>/<injection>");
  std::string kernel = kernel_of(cell);
  auto build = x.build_ids.find(kernel);
  json out = {{"id", x.run_id + "/" + id},
              {"build_id", build != x.build_ids.end() ? build->second : x.run_id + "/" + kernel},
              {"origin", x.options.origin},
              {"path", kcidb_test_path(x.scenario, cell_key(cell))},
              {"status", kcidb_status(cell)},
              {"comment", test_comment(cell)},
              {"start_time", x.started_at},
              {"duration", trials_duration_s(cell)},
              {"misc", test_misc(cell)}};
  if (auto env = x.environments.find(kernel); env != x.environments.end() && !env->second.is_null())
    out["environment"] = env->second;
  const json& p50 = member_or_null(member_or_null(member_or_null(cell, "latency"), "revocation_ms_stats"), "p50");
  if (p50.is_number())  // revocation latency, the median over the trials
    out["number"] = {{"value", p50.get<double>() / 1e3}, {"unit", "s"}, {"prefix", "metric"}};
  if (std::string excerpt = failure_excerpt(cell); !excerpt.empty()) out["log_excerpt"] = excerpt;
  if (!x.options.artifacts_url.empty()) {
    if (std::string log = string_or(cell, "serial_log"); !log.empty())
      out["log_url"] = artifact_url(x.options.artifacts_url, log);
    if (std::string file = string_or(cell, "cell_file"); !file.empty())
      out["output_files"] = {{{"name", std::filesystem::path(file).filename().string()},
                              {"url", artifact_url(x.options.artifacts_url, file)}}};
  }
  return without_nulls(out);
}

// A combination the plan could not run: SKIP, with the reason.
json skipped_test(const json& entry, const Export& x) {
  std::string id = string_or(entry, "id");
  std::string kernel = id.substr(0, id.find('/'));
  auto build = x.build_ids.find(kernel);
  if (id.find('/') == std::string::npos || build == x.build_ids.end()) return nullptr;
  json cell = {{"id", id}};
  return without_nulls({{"id", x.run_id + "/" + id},
                        {"build_id", build->second},
                        {"origin", x.options.origin},
                        {"path", kcidb_test_path(x.scenario, cell_key(cell))},
                        {"status", "SKIP"},
                        {"comment", id + ": not applicable: " + string_or(entry, "reason")},
                        {"start_time", x.started_at},
                        {"misc", {{"cell_id", id}, {"not_applicable", string_or(entry, "reason")}}}});
}

}  // namespace

bool is_kcidb_origin(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string kcidb_path_component(std::string_view text) {
  std::string out;
  for (char c : text) out += is_path_char(c) ? c : '_';
  return out.empty() ? "_" : out;
}

std::string kcidb_test_path(std::string_view scenario, std::string_view key) {
  std::string path = "poisonlab." + kcidb_path_component(scenario);
  size_t start = 0;
  for (size_t i = 0; i <= key.size(); ++i)
    if (i == key.size() || key[i] == '/' || key[i] == '@') {
      path += "." + kcidb_path_component(key.substr(start, i - start));
      start = i + 1;
    }
  return path;
}

std::string kcidb_status(const json& cell) {
  std::string verdict = string_or(cell, "verdict");
  if (verdict == "pass") return "PASS";
  if (verdict == "fail") return "FAIL";
  std::string status = string_or(cell, "status");
  return status == "kernel-error" || status.starts_with("boot-") ? "MISS" : "ERROR";
}

json export_kcidb(const json& report, const KcidbOptions& options, const std::filesystem::path& report_file) {
  if (!is_kcidb_origin(options.origin))
    throw UserError("KCIDB origin \"" + options.origin + "\": expected lowercase letters, digits and _ ([a-z0-9_]+)",
                    kExitBadInput);
  Export x{options,
           options.origin + ":" + required_string(report, "/run/id", report_file, "the run's id"),
           required_string(report, "/run/scenario/name", report_file, "the scenario's name"),
           member_or_null(member_or_null(report, "run"), "started_at"),
           {},
           {},
           report_file};
  if (!x.started_at.is_string()) x.started_at = nullptr;
  json builds = json::array(), tests = json::array();
  for (const json& kernel : member_or_null(report, "kernels")) {
    std::string variant = string_or(kernel, "variant");
    if (variant.empty() || x.build_ids.count(variant)) continue;
    x.build_ids[variant] = x.run_id + "/" + variant;
    x.environments[variant] = environment_of(kernel);
    builds.push_back(build_of(kernel, x.build_ids[variant], x));
  }
  const json& cells = member_or_null(report, "cells");
  for (size_t i = 0; i < cells.size(); ++i) tests.push_back(test_of(cells[i], fmt::format("/cells/{}", i), x));
  for (const json& entry : member_or_null(member_or_null(member_or_null(report, "run"), "plan"), "not_applicable"))
    if (json skipped = skipped_test(entry, x); !skipped.is_null()) tests.push_back(std::move(skipped));
  return {{"version", {{"major", kKcidbMajorVersion}, {"minor", kKcidbMinorVersion}}},
          {"checkouts", json::array({checkout_of(report, x)})},
          {"builds", builds},
          {"tests", tests}};
}

}  // namespace poisonlab

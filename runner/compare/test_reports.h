#pragma once
// Test support (compare unit tests and tests/compare): small hand-built
// reports in the format of reports/README.md, only the fields compare reads,
// and deterministic samples.
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab::compare_fixtures {

struct TestCell {
  std::string kernel = "debian-6.1";
  std::string key = "raw/xfs/madvise";
  std::string verdict = "pass";
  std::map<std::string, std::string> oracles{{"expected_victims", "pass"}, {"kernel_healthy", "pass"}};
  std::vector<std::optional<double>> revocation_ms;
  std::map<std::string, double> notify_classes{{"holder", 4}};
  // Per phase name (without _ns), per trial, in ms.
  std::map<std::string, std::vector<std::optional<double>>> phases_ms;
};

inline nlohmann::json ns_or_null(const std::optional<double>& ms) {
  return ms ? nlohmann::json(std::llround(*ms * 1e6)) : nlohmann::json(nullptr);
}

inline nlohmann::json make_cell(const TestCell& c) {
  nlohmann::json oracles = nlohmann::json::array();
  for (const auto& [name, verdict] : c.oracles) oracles.push_back({{"name", name}, {"verdict", verdict}, {"summary", ""}});
  nlohmann::json revocation = nlohmann::json::array();
  for (const auto& ms : c.revocation_ms) revocation.push_back(ns_or_null(ms));
  nlohmann::json phases = nlohmann::json::array();
  for (const auto& [name, values] : c.phases_ms)
    for (size_t i = 0; i < values.size(); ++i) {
      if (phases.size() <= i) phases.push_back(nlohmann::json::object());
      phases[i][name + "_ns"] = ns_or_null(values[i]);
    }
  return {{"id", c.kernel + "/" + c.key},
          {"kernel", c.kernel},
          {"status", c.verdict == "error" ? "hang" : "completed"},
          {"verdict", c.verdict},
          {"oracles", c.verdict == "error" ? nlohmann::json::array() : oracles},
          {"notify_path", {{"summary", c.notify_classes}, {"per_trial", nlohmann::json::array()}}},
          {"latency", {{"revocation_ns", revocation}, {"phases", phases}}}};
}

inline nlohmann::json make_report(const std::string& run_id, const std::vector<TestCell>& cells) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : cells) list.push_back(make_cell(c));
  return {{"schema_version", 1},
          {"run", {{"id", run_id}, {"scenario", {{"name", "ab"}}}, {"status", "passed"}}},
          {"kernels", nlohmann::json::array()},
          {"cells", list}};
}

// n latencies around median_ms, spread +-10 %, deterministic.
inline std::vector<std::optional<double>> latencies(size_t n, double median_ms, unsigned salt = 0) {
  std::vector<std::optional<double>> out;
  for (size_t i = 0; i < n; ++i) {
    const double u = std::fmod(static_cast<double>(i * 7919 + salt * 104729) * 0.61803398875, 1.0);
    out.push_back(median_ms * (0.9 + 0.2 * u));
  }
  return out;
}

// One report per run of a single cell, run i's trials spread around
// run_medians_ms[i]: for experimental-unit tests.
inline std::vector<nlohmann::json> run_reports(const std::string& kernel, const std::string& key,
                                               const std::vector<double>& run_medians_ms, size_t trials = 20,
                                               unsigned salt = 0) {
  std::vector<nlohmann::json> reports;
  for (size_t i = 0; i < run_medians_ms.size(); ++i) {
    TestCell cell;
    cell.kernel = kernel;
    cell.key = key;
    cell.revocation_ms = latencies(trials, run_medians_ms[i], salt + static_cast<unsigned>(i));
    reports.push_back(make_report(kernel + "-run" + std::to_string(i + 1), {cell}));
  }
  return reports;
}

// n draws of a lognormal(mu, sigma) from a fixed seed.
inline std::vector<double> lognormal(size_t n, double mu, double sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(mu, sigma);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

}  // namespace poisonlab::compare_fixtures

#pragma once
// What the vm and kernel-build tests share: run build/poisonlab on a
// shipped scenario and read the report it wrote (failing the test when it
// or a cell file does not match reports/schema/report.schema.json), and
// look up an oracle.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs_util.h"
#include "common/process.h"
#include "report/schema_test_util.h"

namespace vm_test {

struct RunResult {
  int exit_code;
  std::string output;
  nlohmann::json report;  // null when the run wrote none
};

// `poisonlab run scenarios/SCENARIO --out vm-test-runs/RUN_NAME EXTRA...`.
inline RunResult run_poisonlab(const std::string& scenario, const std::vector<std::string>& extra,
                               const std::string& run_name,
                               std::chrono::minutes timeout = std::chrono::minutes(18)) {
  namespace fs = std::filesystem;
  fs::path out = fs::current_path() / "vm-test-runs" / run_name;
  fs::remove_all(out);
  std::vector<std::string> argv = {POISONLAB_BINARY, "run",
                                   std::string(POISONLAB_SOURCE_DIR) + "/scenarios/" + scenario,
                                   "--out", out.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  poisonlab::RunOptions options;
  options.timeout = timeout;
  options.merge_stderr = true;
  auto r = poisonlab::run_command(argv, options);
  std::cout << r.out << std::flush;  // the run's summary table stays in the test log
  nlohmann::json report;
  if (fs::exists(out / "report.json")) {
    report = nlohmann::json::parse(poisonlab::read_file(out / "report.json"));
    std::string errors = poisonlab::schema_test::report_schema_errors(out / "report.json");
    if (!errors.empty()) ADD_FAILURE() << "the report does not match reports/schema/report.schema.json:\n" << errors;
  }
  return {r.exit_code, r.out, report};
}

inline const nlohmann::json* find_oracle(const nlohmann::json& cell, const std::string& name) {
  for (const auto& o : cell.at("oracles"))
    if (o.at("name") == name) return &o;
  return nullptr;
}

// "pass" | "fail" | "skip", or "absent".
inline std::string verdict(const nlohmann::json& cell, const std::string& name) {
  const nlohmann::json* o = find_oracle(cell, name);
  return o ? o->at("verdict").get<std::string>() : "absent";
}

}  // namespace vm_test

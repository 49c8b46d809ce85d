// Malformed scenario and report files through the commands that read them:
// exit status 2 and an error naming the file and the JSON pointer, never a
// crash or an "internal error". No VM. Label: cli.
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs_util.h"
#include "common/process.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using poisonlab::run_command;

class MalformedInputCli : public ::testing::Test {
 protected:
  MalformedInputCli() : dir_(fs::temp_directory_path() / ("pl_malformed_cli." + std::to_string(getpid()))) {
    fs::create_directories(dir_);
  }
  ~MalformedInputCli() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    fs::path file = dir_ / name;
    poisonlab::write_file_atomic(file, text);
    return file;
  }

  // A valid one-cell report, as the report writer lays it out.
  static json valid_report() {
    json cell = {{"id", "debian-6.12/raw/xfs/madvise"},
                 {"key", "raw/xfs/madvise"},
                 {"kernel", "debian-6.12"},
                 {"status", "completed"},
                 {"verdict", "pass"},
                 {"oracles", {{{"name", "expected_victims"}, {"verdict", "pass"}}}},
                 {"latency", {{"revocation_ns", {1000000, 2000000, nullptr}}}}};
    return {{"schema_version", 2},
            {"run",
             {{"id", "20260101-120000-smoke-0a1b"},
              {"scenario", {{"name", "smoke"}}},
              {"started_at", "2026-01-01T12:00:00Z"},
              {"variants", {"debian-6.12"}}}},
            {"kernels", {{{"variant", "debian-6.12"}, {"release", "6.12.1-amd64"}}}},
            {"cells", {cell}},
            {"series", json::array()}};
  }

  // The command's exit status is 2 and its error names file and pointer.
  void expect_bad_input(const std::vector<std::string>& args, const fs::path& file, const std::string& pointer) {
    std::vector<std::string> argv{POISONLAB_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    const std::string shown = args.front() + " " + file.filename().string() + " " + pointer;
    EXPECT_EQ(r.exit_code, 2) << shown << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(file.string() + ": " + pointer + ": "), std::string::npos) << shown << "\n" << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << shown << "\n" << r.err;
  }

  // A report with one change, through summary, compare and history add.
  void expect_report_rejected(const std::string& name, const std::function<void(json&)>& change,
                              const std::string& pointer, const std::vector<std::string>& commands) {
    json report = valid_report();
    change(report);
    fs::path file = write(name, report.dump(1));
    fs::path good = write("good.json", valid_report().dump(1));
    for (const auto& command : commands) {
      if (command == "summary") expect_bad_input({"summary", file.string()}, file, pointer);
      if (command == "compare")
        expect_bad_input({"compare", "--metric", "all", good.string(), file.string()}, file, pointer);
      if (command == "history")
        expect_bad_input({"history", "add", "--db", (dir_ / "history.sqlite").string(), file.string()}, file,
                         pointer);
    }
  }

  fs::path dir_;
};

const std::vector<std::string> kAllReaders{"summary", "compare", "history"};

TEST_F(MalformedInputCli, TheValidReportIsAccepted) {
  fs::path file = write("valid.json", valid_report().dump(1));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"summary", file.string()}, {"compare", file.string(), file.string()},
        {"history", "add", "--db", (dir_ / "history.sqlite").string(), file.string()}}) {
    std::vector<std::string> argv{POISONLAB_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    EXPECT_EQ(r.exit_code, 0) << args.front() << "\n" << r.out << r.err;
  }
}

TEST_F(MalformedInputCli, ScenarioCheck) {
  fs::path syntax = write("syntax.json", R"({"name": "t", "kernels": [)");
  expect_bad_input({"check", syntax.string()}, syntax, "/");
  fs::path type = write("type.json", R"({"name": "t", "kernels": ["debian-6.12"], "trials": "3",
    "injections": [{"method": "madvise", "offset_pages": 4, "pages": 4}]})");
  expect_bad_input({"check", type.string()}, type, "/trials");
  fs::path element = write("element.json", R"({"name": "t", "kernels": ["debian-6.12"], "injections": [5]})");
  expect_bad_input({"check", element.string()}, element, "/injections/0");
  fs::path repeated = write("repeated.json", R"({"name": "t", "name": "u", "kernels": ["debian-6.12"],
    "injections": [{"method": "madvise", "offset_pages": 4, "pages": 4}]})");
  expect_bad_input({"check", repeated.string()}, repeated, "/name");
}

TEST_F(MalformedInputCli, NotAReport) {
  fs::path syntax = write("syntax.json", R"({"schema_version": 2, "cells": [)");
  for (const auto& args : {std::vector<std::string>{"summary", syntax.string()},
                           {"compare", syntax.string(), syntax.string()},
                           {"history", "add", "--db", (dir_ / "h.sqlite").string(), syntax.string()}})
    expect_bad_input(args, syntax, "/");
  expect_report_rejected("newer.json", [](json& r) { r["schema_version"] = 99; }, "/schema_version", kAllReaders);
  expect_report_rejected("kernels.json", [](json& r) { r["kernels"] = json::object(); }, "/kernels", kAllReaders);
}

TEST_F(MalformedInputCli, ACellThatIsNotAnObject) {
  expect_report_rejected("cell-string.json", [](json& r) { r["cells"][0] = "cell"; }, "/cells/0", kAllReaders);
  expect_report_rejected("kernel-number.json", [](json& r) { r["kernels"][0] = 7; }, "/kernels/0", kAllReaders);
}

TEST_F(MalformedInputCli, LatencyOfTheWrongType) {
  expect_report_rejected("latency-string.json", [](json& r) { r["cells"][0]["latency"]["revocation_ns"] = "fast"; },
                         "/cells/0/latency/revocation_ns", {"compare", "history"});
  expect_report_rejected("sample-bool.json", [](json& r) { r["cells"][0]["latency"]["revocation_ns"][1] = true; },
                         "/cells/0/latency/revocation_ns/1", {"compare", "history"});
  // A phase name holding "/" is escaped in the pointer.
  expect_report_rejected(
      "phase-slash.json",
      [](json& r) { r["cells"][0]["latency"]["phases"] = {{{"a/b_ns", 1000}}, {{"a/b_ns", "slow"}}}; },
      "/cells/0/latency/phases/1/a~1b_ns", {"compare", "history"});
}

TEST_F(MalformedInputCli, FieldsTheHistoryNeeds) {
  expect_report_rejected("id-number.json", [](json& r) { r["cells"][0]["id"] = 5; }, "/cells/0/id",
                         {"compare", "history"});
  expect_report_rejected("started.json", [](json& r) { r["run"]["started_at"] = "yesterday"; }, "/run/started_at",
                         {"history"});
}

}  // namespace

#include "run/run_dir.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/temp_dir.h"

namespace poisonlab {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string scenario_text(const std::string& name, int injections) {
  json doc = {{"name", name}, {"kernels", {"debian-6.12"}}, {"injections", json::array()}};
  const char* methods[] = {"madvise", "hwpoison-pfn", "hard-offline"};
  for (int i = 0; i < injections; ++i) doc["injections"].push_back({{"method", methods[i]}, {"offset_pages", 1}, {"pages", 1}});
  return doc.dump();
}

class RunDirTest : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& text) {
    write_file_atomic(dir / name, text);
    return dir / name;
  }
  fs::path two_scenario_matrix() {
    write("a.json", scenario_text("alpha", 2));
    write("b.json", scenario_text("beta", 3));
    return write("m.json", R"({"matrix": "night", "variants": ["debian-6.1", "debian-6.12"], "scenarios": ["a.json", "b.json"]})");
  }
  TempDir dir{"run-dir-test"};
};

TEST_F(RunDirTest, MatrixExpandsVariantsTimesScenariosTimesParameters) {
  MatrixPlan plan = plan_matrix(two_scenario_matrix(), {});
  EXPECT_EQ(plan.name, "night");
  ASSERT_EQ(plan.scenarios.size(), 2u);
  EXPECT_EQ(plan.scenarios[0].dir, "alpha");
  EXPECT_EQ(plan.scenarios[0].plan.cells.size(), 4u);  // 2 variants x 2 injections
  EXPECT_EQ(plan.scenarios[1].plan.cells.size(), 6u);
  ASSERT_EQ(plan.units.size(), 10u);
  EXPECT_EQ(plan.units[4].scenario, 1u);
  EXPECT_EQ(plan.units[4].plan_index, 0u);
  EXPECT_EQ(plan.cell(plan.units[9]).id, "debian-6.12/raw/xfs/hard-offline");
}

TEST_F(RunDirTest, VariantsOnTheCommandLineReplaceTheMatrixOnes) {
  MatrixPlan plan = plan_matrix(two_scenario_matrix(), {"pl-6.12"});
  EXPECT_EQ(plan.variants, std::vector<std::string>{"pl-6.12"});
  EXPECT_EQ(plan.units.size(), 5u);
  EXPECT_EQ(plan.cell(plan.units[0]).kernel, "pl-6.12");
}

TEST_F(RunDirTest, ASingleScenarioIsAMatrixOfOneWithItsReportAtTheTop) {
  MatrixPlan plan = plan_matrix(write("s.json", scenario_text("solo", 2)), {});
  EXPECT_EQ(plan.name, "solo");
  ASSERT_EQ(plan.scenarios.size(), 1u);
  EXPECT_EQ(plan.scenarios[0].dir, ".");
  EXPECT_EQ(plan.variants, std::vector<std::string>{"debian-6.12"});
}

void expect_input_error(const std::function<void()>& f, const std::string& pointer, const std::string& text) {
  try {
    f();
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), pointer) << e.what();
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST_F(RunDirTest, BadMatrixFilesNameTheField) {
  write("a.json", scenario_text("alpha", 1));
  auto missing = write("m1.json", R"({"matrix": "n", "scenarios": ["a.json", "nope.json"]})");
  expect_input_error([&] { plan_matrix(missing, {}); }, "/scenarios/1", "nope.json does not exist");
  auto twice = write("m2.json", R"({"matrix": "n", "scenarios": ["a.json", "a.json"]})");
  expect_input_error([&] { plan_matrix(twice, {}); }, "/scenarios/1", "'alpha' comes twice");
  auto bad_name = write("m3.json", R"({"matrix": "../up", "scenarios": ["a.json"]})");
  expect_input_error([&] { plan_matrix(bad_name, {}); }, "/matrix", "names a folder");
  auto extra = write("m4.json", R"({"matrix": "n", "scenarios": ["a.json"], "jobs": 3})");
  expect_input_error([&] { plan_matrix(extra, {}); }, "/jobs", "");
}

TEST_F(RunDirTest, TheFrozenPlanComesBackFromTheRunDirectory) {
  MatrixPlan plan = plan_matrix(two_scenario_matrix(), {});
  plan.run_id = "20261206-000000-night-abcd";
  fs::path run = dir / "run";
  fs::create_directories(run);
  write_file_atomic(run / "matrix.json", matrix_json(plan).dump());
  MatrixPlan back = load_run_dir_plan(run);
  EXPECT_EQ(back.run_id, plan.run_id);
  EXPECT_EQ(back.variants, plan.variants);
  ASSERT_EQ(back.units.size(), plan.units.size());
  for (size_t i = 0; i < plan.units.size(); ++i) EXPECT_EQ(back.cell(back.units[i]).id, plan.cell(plan.units[i]).id);
}

TEST_F(RunDirTest, AScenarioChangedSincePlanningIsRefused) {
  MatrixPlan plan = plan_matrix(two_scenario_matrix(), {});
  fs::path run = dir / "run";
  fs::create_directories(run);
  write_file_atomic(run / "matrix.json", matrix_json(plan).dump());
  write("b.json", scenario_text("beta", 1));
  expect_input_error([&] { load_run_dir_plan(run); }, "/scenarios/1/sha256", "changed since");
  expect_input_error([&] { load_run_dir_plan(dir / "elsewhere"); }, "", "matrix.json");
}

TEST_F(RunDirTest, ARunDirectoryStandsForEveryScenarioReport) {
  MatrixPlan plan = plan_matrix(two_scenario_matrix(), {});
  fs::path run = dir / "run";
  fs::create_directories(run);
  write_file_atomic(run / "matrix.json", matrix_json(plan).dump());
  auto reports = expand_run_dirs({dir / "other.json", run});
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[0], dir / "other.json");
  EXPECT_EQ(reports[1], run / "alpha" / "report.json");
  EXPECT_EQ(reports[2], run / "beta" / "report.json");
  expect_input_error([&] { expand_run_dirs({dir.path()}); }, "", "run directory");
}

}  // namespace
}  // namespace poisonlab

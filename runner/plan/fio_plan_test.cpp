#include <gtest/gtest.h>

#include "plan/plan.h"

namespace poisonlab {
namespace {
using nlohmann::json;

std::filesystem::path scenario_file(const char* name) {
  return std::filesystem::path(POISONLAB_SOURCE_DIR) / "scenarios" / name;
}

// The sweeps carry fio results: every cell's spec holds the scenario's fio.
TEST(FioPlan, SweepCellsCarryFio) {
  for (const char* name : {"sweep-range.json", "sweep-mappers.json"}) {
    Scenario s = load_scenario(scenario_file(name));
    ASSERT_TRUE(s.fio) << name;
    for (const Cell& c : plan_cells(s).cells) {
      ASSERT_TRUE(c.spec.contains("fio")) << c.id;
      EXPECT_EQ(c.spec["fio"], fio_to_json(*s.fio)) << c.id;
    }
  }
}

TEST(FioPlan, NoFioNoField) {
  for (const Cell& c : plan_cells(load_scenario(scenario_file("smoke.json"))).cells) EXPECT_FALSE(c.spec.contains("fio"));
}

}  // namespace
}  // namespace poisonlab

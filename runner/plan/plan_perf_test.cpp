// The scenario's perf object reaches every cell's CellSpec.
#include <gtest/gtest.h>

#include "plan/plan.h"

namespace poisonlab {
namespace {
using nlohmann::json;

Scenario swept(std::optional<json> perf) {
  json doc = json::parse(R"({"name": "t", "kernels": ["debian-6.12"], "files": {"pages": 300},
                             "injections": [{"method": "hwpoison-pfn", "offset_pages": 4, "pages": 1}],
                             "sweep": {"parameter": "pages", "values": [1, 256]}})");
  if (perf) doc["perf"] = *perf;
  return parse_scenario(doc, "t.json");
}

TEST(PlanPerf, EveryCellCarriesThePerfSpec) {
  Plan plan = plan_cells(swept(json{{"record_min_pages", 128}}));
  ASSERT_EQ(plan.cells.size(), 2u);
  for (const auto& cell : plan.cells)
    EXPECT_EQ(cell.spec.at("perf"), (json{{"stat", true}, {"record", true}, {"record_min_pages", 128},
                                          {"record_min_early_kill", 0}, {"frequency", 999}}));
}

TEST(PlanPerf, NoPerfObjectNoPerfInTheSpec) {
  for (const auto& cell : plan_cells(swept(std::nullopt)).cells) EXPECT_FALSE(cell.spec.contains("perf"));
}

}  // namespace
}  // namespace poisonlab

#include "plan/plan.h"

#include <set>

#include <gtest/gtest.h>

namespace poisonlab {
namespace {
using nlohmann::json;

std::filesystem::path scenario_file(const char* name) {
  return std::filesystem::path(POISONLAB_SOURCE_DIR) / "scenarios" / name;
}

std::vector<std::string> ids(const std::vector<Cell>& cells) {
  std::vector<std::string> out;
  for (const auto& c : cells) out.push_back(c.id);
  return out;
}

TEST(Plan, SmokeScenario) {
  auto cells = plan_cells(load_scenario(scenario_file("smoke.json")));
  EXPECT_EQ(ids(cells), (std::vector<std::string>{"debian-6.12/raw/madvise", "debian-6.12/raw/hwpoison-pfn"}));
  const json expected = json::parse(R"({
    "stack": {"type": "raw"},
    "filesystem": {"type": "xfs", "mkfs_options": ["-m", "rmapbt=1"], "mount_options": ["dax=always"]},
    "namespace": {"mode": "fsdax", "map": "mem", "align": "2M"},
    "file_pages": 16,
    "victims": {"early_kill": 2, "late_kill": 1, "neighbour": 1},
    "injection": {"method": "madvise", "offset_pages": 4, "pages": 4, "pacing": "per-page", "settle_ms": 1000},
    "trials": 3, "trace": true, "reaccess": true})");
  EXPECT_EQ(cells[0].spec, expected) << cells[0].spec.dump(2);
  EXPECT_EQ(cells[0].kernel, "debian-6.12");
  EXPECT_EQ(cells[0].stack_name, "raw");
  EXPECT_EQ(cells[0].method, "madvise");
  EXPECT_EQ(cells[1].method, "hwpoison-pfn");
  EXPECT_EQ(cells[1].spec["injection"]["method"], "hwpoison-pfn");
}

TEST(Plan, DmLinearScenarioNestsKernelsStacksInjections) {
  auto cells = plan_cells(load_scenario(scenario_file("dm-linear.json")));
  EXPECT_EQ(ids(cells), (std::vector<std::string>{
                            "debian-6.1/raw/hwpoison-pfn", "debian-6.1/raw/madvise",
                            "debian-6.1/dm-linear/hwpoison-pfn", "debian-6.1/dm-linear/madvise",
                            "debian-6.12/raw/hwpoison-pfn", "debian-6.12/raw/madvise",
                            "debian-6.12/dm-linear/hwpoison-pfn", "debian-6.12/dm-linear/madvise"}));
  EXPECT_EQ(cells[2].stack_name, "dm-linear");
  // 16 MiB in 512-byte sectors.
  EXPECT_EQ(cells[2].spec["stack"], json::parse(R"({"type": "dm-linear", "offset_sectors": 32768})"));
  EXPECT_EQ(cells[0].spec["stack"], json::parse(R"({"type": "raw"})"));
  EXPECT_EQ(cells[3].spec["trials"], 2);
  EXPECT_EQ(cells[3].spec["injection"]["pages"], 4);

  auto groups = group_cells_by_kernel(cells);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].kernel, "debian-6.1");
  EXPECT_EQ(groups[1].kernel, "debian-6.12");
  ASSERT_EQ(groups[1].cells.size(), 4u);
  EXPECT_EQ(groups[1].cells[2].id, "debian-6.12/dm-linear/hwpoison-pfn");
}

TEST(Plan, RepeatedIdsGetTheIndexOfTheLaterElement) {
  Scenario s;
  s.name = "dup";
  s.kernels = {"k"};
  s.stacks = {{"dm-linear", 16}, {"raw", 0}, {"dm-linear", 64}};
  s.injections = {{"madvise", 0, 1, "per-page", 10}, {"madvise", 2, 2, "burst", 10}, {"hwpoison-pfn", 0, 1, "per-page", 10}};
  auto cells = plan_cells(s);
  ASSERT_EQ(cells.size(), 9u);
  EXPECT_EQ(ids(cells), (std::vector<std::string>{
                            "k/dm-linear/madvise", "k/dm-linear/madvise-1", "k/dm-linear/hwpoison-pfn",
                            "k/raw/madvise", "k/raw/madvise-1", "k/raw/hwpoison-pfn",
                            "k/dm-linear-2/madvise", "k/dm-linear-2/madvise-1", "k/dm-linear-2/hwpoison-pfn"}));
  auto all = ids(cells);
  std::set<std::string> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), cells.size());
  EXPECT_EQ(cells[7].stack_name, "dm-linear");
  EXPECT_EQ(cells[7].method, "madvise");
  EXPECT_EQ(cells[7].spec["stack"]["offset_sectors"], 64 * 2048);
  EXPECT_EQ(cells[7].spec["injection"]["pacing"], "burst");
  EXPECT_EQ(cells[7].spec["injection"]["offset_pages"], 2);
}

TEST(Plan, GroupingKeepsFirstAppearanceOrder) {
  std::vector<Cell> cells{{"b/raw/m", "b", "raw", "m", {}}, {"a/raw/m", "a", "raw", "m", {}},
                          {"b/raw/n", "b", "raw", "n", {}}};
  auto groups = group_cells_by_kernel(cells);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].kernel, "b");
  ASSERT_EQ(groups[0].cells.size(), 2u);
  EXPECT_EQ(groups[0].cells[1].id, "b/raw/n");
  EXPECT_EQ(groups[1].cells.size(), 1u);
  EXPECT_TRUE(group_cells_by_kernel({}).empty());
}

}  // namespace
}  // namespace poisonlab

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
  auto cells = plan_cells(load_scenario(scenario_file("smoke.json"))).cells;
  EXPECT_EQ(ids(cells), (std::vector<std::string>{"debian-6.12/raw/xfs/madvise", "debian-6.12/raw/xfs/hwpoison-pfn"}));
  const json expected = json::parse(R"({
    "stack": {"type": "raw"},
    "filesystem": {"type": "xfs", "mkfs_options": ["-m", "rmapbt=1"], "mount_options": ["dax=always"]},
    "namespace": {"mode": "fsdax", "map": "mem", "align": "2M"},
    "file_pages": 16, "files": 1, "sharers": 0,
    "victims": {"early_kill": 2, "late_kill": 1, "neighbour": 1},
    "injection": {"method": "madvise", "target": {"space": "file", "offset_pages": 4}, "pages": 4,
                  "pacing": "per-page", "settle_ms": 1000},
    "trials": 3, "trace": true, "reaccess": true, "fsck": true, "soft_offline": true, "probe_benchmark": false})");
  EXPECT_EQ(cells[0].spec, expected) << cells[0].spec.dump(2);
  EXPECT_EQ(cells[0].kernel, "debian-6.12");
  EXPECT_EQ(cells[0].stack, "raw");
  EXPECT_EQ(cells[0].filesystem, "xfs");
  EXPECT_EQ(cells[0].target, "file");
  EXPECT_EQ(cells[0].method, "madvise");
  EXPECT_EQ(cells[1].method, "hwpoison-pfn");
  EXPECT_EQ(cells[1].spec["injection"]["method"], "hwpoison-pfn");
}

TEST(Plan, DmLinearScenarioNestsKernelsStacksInjections) {
  auto cells = plan_cells(load_scenario(scenario_file("dm-linear.json"))).cells;
  EXPECT_EQ(ids(cells), (std::vector<std::string>{
                            "debian-6.1/raw/xfs/hwpoison-pfn", "debian-6.1/raw/xfs/madvise",
                            "debian-6.1/dm-linear/xfs/hwpoison-pfn", "debian-6.1/dm-linear/xfs/madvise",
                            "debian-6.12/raw/xfs/hwpoison-pfn", "debian-6.12/raw/xfs/madvise",
                            "debian-6.12/dm-linear/xfs/hwpoison-pfn", "debian-6.12/dm-linear/xfs/madvise"}));
  EXPECT_EQ(cells[2].stack, "dm-linear");
  // 16 MiB in 512-byte sectors.
  EXPECT_EQ(cells[2].spec["stack"], json::parse(R"({"type": "dm-linear", "offset_sectors": 32768})"));
  EXPECT_EQ(cells[0].spec["stack"], json::parse(R"({"type": "raw"})"));
  EXPECT_EQ(cells[3].spec["trials"], 2);
  EXPECT_EQ(cells[3].spec["injection"]["pages"], 4);
}

TEST(Plan, RepeatedIdsGetTheIndexOfTheLaterElement) {
  Scenario s;
  s.name = "dup";
  s.kernels = {"k"};
  s.stacks = {{"dm-linear", 16}, {"raw", 0}, {"dm-linear", 64}};
  auto inj = [](const char* method, int offset, int pages, const char* pacing) {
    InjectionSpec i;
    i.method = method;
    i.target.offset_pages = offset;
    i.pages = pages;
    i.pacing = pacing;
    return i;
  };
  s.injections = {inj("madvise", 0, 1, "per-page"), inj("madvise", 2, 2, "burst"), inj("hwpoison-pfn", 0, 1, "per-page")};
  auto cells = plan_cells(s).cells;
  ASSERT_EQ(cells.size(), 9u);
  EXPECT_EQ(ids(cells), (std::vector<std::string>{
                            "k/dm-linear/xfs/madvise", "k/dm-linear/xfs/madvise-1", "k/dm-linear/xfs/hwpoison-pfn",
                            "k/raw/xfs/madvise", "k/raw/xfs/madvise-1", "k/raw/xfs/hwpoison-pfn",
                            "k/dm-linear-2/xfs/madvise", "k/dm-linear-2/xfs/madvise-1", "k/dm-linear-2/xfs/hwpoison-pfn"}));
  auto all = ids(cells);
  std::set<std::string> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), cells.size());
  EXPECT_EQ(cells[7].stack, "dm-linear-2");
  EXPECT_EQ(cells[7].stack_type, "dm-linear");
  EXPECT_EQ(cells[7].method, "madvise");
  EXPECT_EQ(cells[7].spec["stack"]["offset_sectors"], 64 * 2048);
  EXPECT_EQ(cells[7].spec["injection"]["pacing"], "burst");
  EXPECT_EQ(cells[7].spec["injection"]["target"]["offset_pages"], 2);
}

TEST(Plan, MatrixSkipsCombinationsThatCannotRun) {
  Scenario s;
  s.name = "m";
  s.kernels = {"k"};
  s.topology.nvdimms = {{512}, {512}};
  s.stacks = {{"raw"}, {"dm-stripe", 0, 128}};
  FilesystemSpec ext4;
  ext4.type = "ext4";
  s.filesystems = {FilesystemSpec{}, ext4};
  InjectionSpec chunk, meta;
  chunk.method = meta.method = "hwpoison-pfn";
  chunk.target.straddle = "stripe-chunk";
  meta.target.space = "metadata";
  meta.target.structure = "ag-header";
  s.injections = {chunk, meta};
  Plan plan = plan_cells(s);
  EXPECT_EQ(ids(plan.cells), (std::vector<std::string>{"k/raw/xfs/hwpoison-pfn-1", "k/dm-stripe/xfs/hwpoison-pfn",
                                                       "k/dm-stripe/xfs/hwpoison-pfn-1", "k/dm-stripe/ext4/hwpoison-pfn"}));
  ASSERT_EQ(plan.not_applicable.size(), 4u);
  EXPECT_EQ(plan.not_applicable[0].id, "k/raw/xfs/hwpoison-pfn");
  EXPECT_NE(plan.not_applicable[0].reason.find("dm-stripe"), std::string::npos);
  EXPECT_NE(plan.not_applicable[3].reason.find("XFS"), std::string::npos);
  EXPECT_EQ(plan.cells[1].spec["stack"]["chunk_sectors"], 256);
  EXPECT_EQ(plan.cells[1].spec["injection"]["target"], json::parse(R"({"space": "file", "straddle": "stripe-chunk"})"));
}

TEST(Plan, SweepExpandsEachInjectionIntoASeries) {
  Plan range = plan_cells(load_scenario(scenario_file("sweep-range.json")));
  ASSERT_EQ(range.cells.size(), 2u * 2u * 6u);
  const Cell& c = range.cells[2];
  EXPECT_EQ(c.id, "debian-6.1/raw/xfs/hwpoison-pfn@pages=16");
  EXPECT_EQ(c.spec["injection"]["pages"], 16);
  EXPECT_EQ(c.spec["sweep"], json::parse(R"({"parameter": "pages", "value": 16,
                                              "series": "debian-6.1/raw/xfs/hwpoison-pfn"})"));
  EXPECT_EQ(range.cells[11].id, "debian-6.1/dm-linear/xfs/hwpoison-pfn@pages=1024");

  Plan mappers = plan_cells(load_scenario(scenario_file("sweep-mappers.json")));
  ASSERT_EQ(mappers.cells.size(), 2u * 6u);
  EXPECT_EQ(mappers.cells[5].id, "debian-6.1/raw/xfs/hwpoison-pfn@early_kill=32");
  EXPECT_EQ(mappers.cells[5].spec["victims"]["early_kill"], 32);
  EXPECT_EQ(mappers.cells[5].spec["victims"]["late_kill"], 1);  // only the swept count changes
  EXPECT_EQ(mappers.cells[5].spec["injection"]["pages"], 4);
  Plan files = plan_cells(load_scenario(scenario_file("sweep-files.json")));
  ASSERT_EQ(files.cells.size(), 2u * 2u * 7u);
  EXPECT_EQ(files.cells[3].id, "debian-6.1/raw/xfs/hwpoison-pfn@files=8");
  EXPECT_EQ(files.cells[3].spec["files"], 8);
  EXPECT_EQ(files.cells[3].spec["injection"]["pages"], 64);  // the range stays; it is spread over the files
  EXPECT_EQ(files.cells[0].spec["files"], 1);
  EXPECT_EQ(range.cells[0].spec["files"], 1);
  // Without a sweep the spec has no "sweep".
  EXPECT_FALSE(plan_cells(load_scenario(scenario_file("smoke.json"))).cells[0].spec.contains("sweep"));
}

}  // namespace
}  // namespace poisonlab

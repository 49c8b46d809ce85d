#include "agent/cell_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace poisonlab::agent {
namespace {

using nlohmann::json;

json protocol_example() {
  return json::parse(R"({
    "stack": {"type": "dm-linear", "offset_sectors": 32768},
    "filesystem": {"type": "xfs", "mkfs_options": ["-m", "rmapbt=1"], "mount_options": ["dax=always"]},
    "namespace": {"mode": "fsdax", "map": "mem", "align": "2M"},
    "file_pages": 16,
    "victims": {"early_kill": 2, "late_kill": 1, "neighbour": 1},
    "injection": {"method": "hwpoison-pfn", "target": {"space": "file", "offset_pages": 4}, "pages": 4,
                  "pacing": "burst", "settle_ms": 500},
    "trials": 3, "trace": false, "reaccess": true})");
}

std::string error_of(const json& j) {
  try {
    parse_cell_spec(j, "cell.json");
  } catch (const InputError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    return e.what();
  }
  return "";
}

TEST(CellSpec, ParsesProtocolExample) {
  CellSpec s = parse_cell_spec(protocol_example(), "cell.json");
  EXPECT_EQ(s.stack_type, "dm-linear");
  EXPECT_EQ(s.dm_offset_sectors, 32768u);
  EXPECT_EQ(s.mkfs_options, (std::vector<std::string>{"-m", "rmapbt=1"}));
  EXPECT_EQ(s.method, "hwpoison-pfn");
  EXPECT_EQ(s.pacing, "burst");
  EXPECT_EQ(s.settle_ms, 500u);
  EXPECT_EQ(s.target.space, "file");
  EXPECT_EQ(s.target.offset_pages, 4u);
  EXPECT_EQ(s.pages, 4u);
  EXPECT_EQ(s.trials, 3);
  EXPECT_FALSE(s.trace);
  EXPECT_EQ(s.early_kill, 2);
}

TEST(CellSpec, NamesBadField) {
  json j = protocol_example();
  j["injection"]["method"] = "laser";
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("cell.json: /injection/method: one of"));
  j = protocol_example();
  j["stack"].erase("offset_sectors");
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("/stack/offset_sectors"));
  j = protocol_example();
  j["victims"]["early_kill"] = -1;
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("/victims/early_kill: a non-negative integer"));
  j = protocol_example();
  j["filesystem"]["mkfs_options"] = json::array({"-m", 3});
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("/filesystem/mkfs_options/1"));
}

TEST(CellSpec, RangeMustFitTheFile) {
  json j = protocol_example();
  j["injection"]["target"]["offset_pages"] = 14;
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("offset_pages + pages <= file_pages"));
  j["injection"]["target"]["offset_pages"] = 12;
  EXPECT_EQ(error_of(j), "");
}

TEST(CellSpec, RangeSpreadOverVictimFiles) {
  json j = protocol_example();
  EXPECT_EQ(parse_cell_spec(j, "cell.json").files, 1u);
  j["files"] = 4;
  j["injection"]["target"]["offset_pages"] = 14;  // one page of each file: 14 + 1 fits 16
  CellSpec s = parse_cell_spec(j, "cell.json");
  EXPECT_EQ(s.files, 4u);
  EXPECT_EQ(s.pages_per_file(), 1u);
  j["files"] = 3;
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("/files: 1 victim file for"));
  j["files"] = 2;
  j["injection"]["target"]["offset_pages"] = 15;
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("(15 + 2 > 16)"));
  j["files"] = 2;
  j["injection"]["target"]["offset_pages"] = 0;
  j["injection"]["method"] = "madvise";
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("/files: 1 victim file for a straddle, madvise"));
  j["files"] = 257;
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("/files"));
}

TEST(CellSpec, TargetsOtherThanFilePages) {
  json j = protocol_example();
  j["stack"] = {{"type", "dm-stripe"}, {"chunk_sectors", 128}};
  j["injection"]["target"] = {{"space", "file"}, {"straddle", "stripe-chunk"}};
  CellSpec s = parse_cell_spec(j, "cell.json");
  EXPECT_EQ(s.target.straddle, "stripe-chunk");
  EXPECT_EQ(s.chunk_sectors, 128u);
  EXPECT_EQ(s.disks_needed(), 2u);
  j["injection"]["target"] = {{"space", "metadata"}, {"structure", "btree-block"}, {"ag", 1}};
  s = parse_cell_spec(j, "cell.json");
  EXPECT_EQ(s.target.structure, "btree-block");
  EXPECT_EQ(s.target.ag, 1u);
  EXPECT_FALSE(s.file_target());
  j["injection"]["target"] = {{"space", "device"}, {"sector", 4}};
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("/injection/target/sector: a multiple of 8"));
  j["injection"]["target"] = {{"space", "physical"}, {"address", 4096 * 5}};
  EXPECT_EQ(parse_cell_spec(j, "cell.json").target.address, 4096u * 5);
}

TEST(CellSpec, MethodMustFitTarget) {
  json j = protocol_example();
  j["injection"]["method"] = "madvise";
  j["injection"]["target"] = {{"space", "free"}};
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("\"file\" for madvise"));
  j["injection"]["method"] = "unbind";
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("\"namespace\" for unbind"));
  j["injection"]["target"] = {{"space", "namespace"}};
  EXPECT_EQ(error_of(j), "");
  j["injection"]["target"] = {{"space", "file"}, {"straddle", "concat-seam"}};
  j["injection"]["method"] = "mce";
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("a dm-concat stack"));
  j["filesystem"]["type"] = "ext4";
  j["injection"]["target"] = {{"space", "metadata"}, {"structure", "ag-header"}};
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("an XFS file system"));
}

TEST(CellSpec, MissingInjectionIsAnError) {
  json j = protocol_example();
  j.erase("injection");
  EXPECT_THAT(error_of(j), ::testing::HasSubstr("/injection: an object (required)"));
  EXPECT_THAT(error_of(json::array()), ::testing::HasSubstr("cell.json: /: a CellSpec object"));
}

}  // namespace
}  // namespace poisonlab::agent

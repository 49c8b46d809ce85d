#include "agent/xfs_db.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <tuple>

#include "common/error.h"
#include "common/process.h"

namespace poisonlab::agent {
namespace {

// Captured from xfs_db 6.1.0 (Debian 12) on a 320 MiB image.
constexpr const char* kSbAndAgf =
    "blocksize = 4096\n"
    "sectsize = 512\n"
    "agblocks = 20480\n"
    "current daddr is 163841\n";
constexpr const char* kBadAg = "bad allocation group number 9\ncurrent daddr is 0\n";

TEST(XfsDb, ParsesCurrentDaddr) {
  EXPECT_EQ(parse_current_daddr(kSbAndAgf), 163841u);
  EXPECT_EQ(parse_current_daddr("current daddr is 128"), 128u);  // no trailing newline
  EXPECT_EQ(parse_current_daddr("current daddr is 8\ncurrent daddr is 163848\n"), 163848u);  // the last one
  EXPECT_EQ(parse_current_daddr(kBadAg), 0u);  // xfs_db's answer after a rejected command
  EXPECT_FALSE(parse_current_daddr("").has_value());
  EXPECT_FALSE(parse_current_daddr("current daddr is \n").has_value());
  EXPECT_FALSE(parse_current_daddr("current daddr is 12x\n").has_value());
  EXPECT_FALSE(parse_current_daddr("field nosuch not found\n").has_value());
}

TEST(XfsDb, ParsesPrintValue) {
  EXPECT_EQ(parse_print_value(kSbAndAgf, "blocksize").value_or(""), "4096");
  EXPECT_EQ(parse_print_value(kSbAndAgf, "agblocks").value_or(""), "20480");
  EXPECT_EQ(parse_print_value("core.mode = 040755\n", "core.mode").value_or(""), "040755");
  // A field name is matched whole, not as a prefix or suffix of another.
  EXPECT_FALSE(parse_print_value("logsectsize = 512\n", "sectsize").has_value());
  EXPECT_FALSE(parse_print_value("blocksize = 4096\n", "block").has_value());
  EXPECT_FALSE(parse_print_value("field nosuch not found\n", "nosuch").has_value());
}

TEST(XfsDb, UnknownStructureIsBadInput) {
  try {
    locate_xfs_metadata("/dev/pmem0", "superblock-ish", 0, std::nullopt);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_NE(std::string(e.what()).find("/dev/pmem0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(locate_xfs_metadata("/dev/pmem0", "inode-chunk", 0, std::nullopt), UserError);
}

// A fresh 320 MiB XFS image (4 AGs) made by mkfs.xfs on a regular file.
class XfsDbImage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!find_program("mkfs.xfs") || !find_program("xfs_db")) GTEST_SKIP() << "xfsprogs is not installed";
    std::string tmpl = (std::filesystem::temp_directory_path() / "pl-xfs-db-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    image_ = dir_ / "xfs.img";
    { std::ofstream(image_).put('\0'); }
    std::filesystem::resize_file(image_, 320ull << 20);  // sparse
    run_checked({find_program("mkfs.xfs")->string(), "-f", "-m", "rmapbt=1", image_.string()});
    std::string sb = run_xfs_db(image_, {"sb 0", "print blocksize", "print sectsize", "print agblocks",
                                         "print dblocks", "print rootino", "print inopblock"});
    auto num = [&](const char* f) { return std::stoull(parse_print_value(sb, f).value()); };
    blocksize_ = num("blocksize");
    sectsize_ = num("sectsize");
    agblocks_ = num("agblocks");
    dblocks_ = num("dblocks");
    rootino_ = num("rootino");
    inopblock_ = num("inopblock");
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  uint64_t sectors_per_block() const { return blocksize_ / 512; }
  uint64_t ag_start(uint32_t ag) const { return ag * agblocks_ * sectors_per_block(); }

  std::filesystem::path dir_, image_;
  uint64_t blocksize_ = 0, sectsize_ = 0, agblocks_ = 0, dblocks_ = 0, rootino_ = 0, inopblock_ = 0;
};

TEST_F(XfsDbImage, AgHeaderIsTheAgfSectorOfTheAg) {
  auto loc = locate_xfs_metadata(image_, "ag-header", 1, std::nullopt);
  // The AGF is the AG's second sector (XFS_AGF_DADDR).
  EXPECT_EQ(loc.daddr, ag_start(1) + sectsize_ / 512);
  EXPECT_EQ(loc.length_bytes, sectsize_);
  EXPECT_EQ(loc.structure, "ag-header");
  EXPECT_NE(loc.output.find("current daddr is"), std::string::npos);
}

TEST_F(XfsDbImage, BnobtRootLiesInsideTheAg) {
  auto loc = locate_xfs_metadata(image_, "btree-block", 1, std::nullopt);
  EXPECT_GT(loc.daddr, ag_start(1) + sectsize_ / 512);  // past the AG headers
  EXPECT_LT(loc.daddr, ag_start(2));
  EXPECT_EQ(loc.daddr % sectors_per_block(), 0u);
  EXPECT_EQ(loc.length_bytes, blocksize_);
}

TEST_F(XfsDbImage, InodeChunkIsTheBlockHoldingTheInode) {
  auto root = locate_xfs_metadata(image_, "inode-chunk", 1, rootino_);
  EXPECT_GT(root.daddr, 0u);
  EXPECT_LT(root.daddr, dblocks_ * sectors_per_block());
  EXPECT_EQ(root.length_bytes, blocksize_);
  // In AG 0 an inode number is its AG inode number: block = ino / inopblock.
  // xfs_db itself names the inode's own sector; the whole block is reported.
  auto block_daddr = [&](uint64_t ino) { return ino / inopblock_ * sectors_per_block(); };
  EXPECT_EQ(root.daddr, block_daddr(rootino_));
  EXPECT_EQ(locate_xfs_metadata(image_, "inode-chunk", 1, rootino_ + 3).daddr, block_daddr(rootino_ + 3));
}

TEST_F(XfsDbImage, InodeChunkNeverWrittenStillLocates) {
  // The chunk after the root's is unallocated: xfs_db warns about its CRC
  // but its address is geometry, as for a mounted fs's new, unflushed chunk.
  uint64_t ino = rootino_ + 64;
  auto loc = locate_xfs_metadata(image_, "inode-chunk", 0, ino);
  EXPECT_EQ(loc.daddr, ino / inopblock_ * sectors_per_block());
}

TEST_F(XfsDbImage, RejectedCommandsThrowNamingTheDevice) {
  for (auto [structure, ag, ino] : {std::tuple{"ag-header", 99u, std::optional<uint64_t>{}},
                                    std::tuple{"inode-chunk", 0u, std::optional<uint64_t>{1ull << 40}}}) {
    try {
      locate_xfs_metadata(image_, structure, ag, ino);
      ADD_FAILURE() << structure << " should have failed";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(image_.string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad "), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("xfs_db -r -c"), std::string::npos) << e.what();
    }
  }
}

TEST_F(XfsDbImage, MissingDeviceThrowsNamingIt) {
  auto missing = dir_ / "no-such-device";
  try {
    locate_xfs_metadata(missing, "ag-header", 0, std::nullopt);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace poisonlab::agent

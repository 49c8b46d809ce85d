#include "agent/fsmap.h"

#include <gtest/gtest.h>
#include <linux/fsmap.h>

#include <cerrno>

namespace poisonlab::agent {
namespace {

constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB;

FsmapRecord special(uint64_t physical, uint64_t length, uint64_t owner) {
  return {0x800, physical, length, owner, 0, FMR_OF_SPECIAL_OWNER};
}
FsmapRecord free_space(uint64_t physical, uint64_t length) { return special(physical, length, FMR_OWN_FREE); }
FsmapRecord file(uint64_t physical, uint64_t length, uint64_t ino) { return {0x800, physical, length, ino, 0, 0}; }

TEST(Fsmap, OwnerNames) {
  EXPECT_EQ(free_space(0, 4096).owner_name(), "free");
  EXPECT_EQ(special(0, 4096, FMR_OWN_UNKNOWN).owner_name(), "unknown");
  EXPECT_EQ(special(0, 4096, FMR_OWNER('X', 1)).owner_name(), "fs-static");
  EXPECT_EQ(special(0, 4096, FMR_OWNER('X', 2)).owner_name(), "log");
  EXPECT_EQ(special(0, 4096, FMR_OWNER('X', 3)).owner_name(), "ag-metadata");
  EXPECT_EQ(special(0, 4096, FMR_OWNER('X', 4)).owner_name(), "inode-btree");
  EXPECT_EQ(special(0, 4096, FMR_OWNER('X', 5)).owner_name(), "inodes");
  EXPECT_EQ(special(0, 4096, FMR_OWNER('X', 6)).owner_name(), "refcount-btree");
  EXPECT_EQ(special(0, 4096, FMR_OWNER('X', 7)).owner_name(), "cow");
  EXPECT_EQ(special(0, 4096, FMR_OWNER('X', 8)).owner_name(), "defective");
  EXPECT_EQ(special(0, 4096, FMR_OWNER('Q', 9)).owner_name(), "special 0x5100000009");
  // Owner 1 without the special flag is inode 1, not free space.
  EXPECT_EQ(file(0, 4096, 1).owner_name(), "inode 1");
  EXPECT_FALSE(file(0, 4096, 1).free());
  EXPECT_EQ(file(0, 4096, 131).owner_name(), "inode 131");
}

TEST(Fsmap, FreeRangeIsMiddleOfLargestFreeRecord) {
  std::vector<FsmapRecord> recs{
      special(0, 1 * kMiB, FMR_OWNER('X', 1)),
      free_space(1 * kMiB, 1 * kMiB),
      file(2 * kMiB, 1 * kMiB, 131),
      free_space(3 * kMiB, 8 * kMiB),
      special(11 * kMiB, 1 * kMiB, FMR_OWNER('X', 2)),
  };
  // Middle of [3 MiB, 11 MiB) for 64 KiB is 7 MiB - 32 KiB, aligned down.
  EXPECT_EQ(find_free_range(recs, 64 * kKiB, 64 * kKiB), 7 * kMiB - 64 * kKiB);
  EXPECT_EQ(find_free_range(recs, 64 * kKiB, 0), 7 * kMiB - 32 * kKiB);  // no alignment
  // The whole largest record still fits exactly.
  EXPECT_EQ(find_free_range(recs, 8 * kMiB, 4096), 3 * kMiB);
  // Non-free records, however large, are never chosen.
  recs.push_back(file(12 * kMiB, 100 * kMiB, 132));
  EXPECT_EQ(find_free_range(recs, 64 * kKiB, 64 * kKiB), 7 * kMiB - 64 * kKiB);
}

TEST(Fsmap, FreeRangeAlignsUpWhenRoundingDownLeavesTheRecord) {
  // [68 KiB, 196 KiB): the middle (100 KiB) rounds down to 64 KiB, outside.
  std::vector<FsmapRecord> recs{free_space(68 * kKiB, 128 * kKiB)};
  EXPECT_EQ(find_free_range(recs, 64 * kKiB, 64 * kKiB), 128 * kKiB);
}

TEST(Fsmap, FreeRangeFallsBackWhenAlignmentDoesNotFitInLargest) {
  // The largest record [4 KiB, 72 KiB) holds 64 KiB but no 64 KiB-aligned
  // 64 KiB; the smaller aligned one does.
  std::vector<FsmapRecord> recs{free_space(4 * kKiB, 68 * kKiB), free_space(128 * kKiB, 64 * kKiB)};
  EXPECT_EQ(find_free_range(recs, 64 * kKiB, 64 * kKiB), 128 * kKiB);
  EXPECT_EQ(find_free_range({recs[0]}, 64 * kKiB, 64 * kKiB), std::nullopt);
}

TEST(Fsmap, FreeRangeTooSmall) {
  std::vector<FsmapRecord> recs{free_space(0, 32 * kKiB), free_space(1 * kMiB, 60 * kKiB),
                                file(2 * kMiB, 10 * kMiB, 140)};
  EXPECT_EQ(find_free_range(recs, 64 * kKiB, 4096), std::nullopt);
  EXPECT_EQ(find_free_range({}, 4096, 4096), std::nullopt);
  EXPECT_EQ(find_free_range(recs, 0, 4096), std::nullopt);
}

TEST(Fsmap, UnsupportedFileSystemNamesPathAndErrno) {
  try {
    read_fsmap("/proc/self/status");
    FAIL() << "GETFSMAP on procfs should fail";
  } catch (const FsmapError& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/self/status"), std::string::npos) << e.what();
    EXPECT_TRUE(e.error_number() == ENOTTY || e.error_number() == EOPNOTSUPP) << e.what();
  }
}

TEST(Fsmap, MissingPathIsUserError) {
  try {
    read_fsmap("/nonexistent/fsmap/path");
    FAIL() << "expected FsmapError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/fsmap/path"), std::string::npos) << e.what();
  }
}

TEST(Fsmap, ReadsRealFileSystemWhenSupported) {
  auto dir = std::filesystem::temp_directory_path();
  std::vector<FsmapRecord> recs;
  try {
    recs = read_fsmap(dir);
  } catch (const FsmapError& e) {
    if (e.error_number() == ENOTTY || e.error_number() == EOPNOTSUPP || e.error_number() == EPERM)
      GTEST_SKIP() << "no GETFSMAP here: " << e.what();
    throw;
  }
  ASSERT_FALSE(recs.empty());
  for (size_t i = 1; i < recs.size(); ++i) {
    EXPECT_EQ(recs[i].device, recs[0].device);  // the data device only
    ASSERT_LE(recs[i - 1].physical, recs[i].physical) << "records out of order at " << i;
  }
  // A temp directory's file system has some free space somewhere.
  EXPECT_TRUE(find_free_range(recs, 4096, 4096).has_value());
}

}  // namespace
}  // namespace poisonlab::agent

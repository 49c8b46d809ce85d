#include "agent/trial_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/unique_fd.h"
#include "common/temp_dir.h"

namespace poisonlab::agent {
namespace {

// FIEMAP on the build machine's file system: the extents must cover the
// file and map each page somewhere (tmpfs has no FIEMAP: skipped there).
TEST(TrialFile, ExtentsCoverEveryPage) {
  TempDir dir;
  auto path = dir / "victim";
  TrialFile f;
  try {
    f = create_pattern_file(path, "victim", 16);
  } catch (const UserError& e) {
    if (std::string(e.what()).find("FIEMAP") != std::string::npos) GTEST_SKIP() << e.what();
    throw;
  }
  EXPECT_EQ(f.size, 65536u);
  EXPECT_NE(f.ino, 0u);
  ASSERT_FALSE(f.extents.empty());
  for (uint64_t p = 0; p < 16; ++p) EXPECT_TRUE(address::device_offset_of(f.extents, p * 4096).has_value()) << p;
  EXPECT_EQ(f.to_json()["extents"].size(), f.extents.size());
  EXPECT_EQ(f.to_json()["id"], "victim");
  EXPECT_THROW(create_pattern_file(path, "victim", 1), UserError);  // never reuse a file
}

TEST(TrialFile, PatternPagesReadBackAndChangesShow) {
  TempDir dir;
  auto path = dir / "victim";
  try {
    create_pattern_file(path, "victim", 4);
  } catch (const UserError& e) {
    GTEST_SKIP() << e.what();
  }
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  PageRead a = read_page(fd.get(), 2);
  ASSERT_TRUE(a.checksum);
  EXPECT_TRUE(a.pattern_ok);
  EXPECT_NE(read_page(fd.get(), 1).checksum, a.checksum);
  ASSERT_EQ(::pwrite(fd.get(), "x", 1, 2 * 4096 + 100), 1);
  PageRead b = read_page(fd.get(), 2);
  EXPECT_NE(b.checksum, a.checksum);
  EXPECT_FALSE(b.pattern_ok);
  PageRead past = read_page(fd.get(), 9);  // past the end: a short read
  EXPECT_FALSE(past.checksum);
  EXPECT_EQ(past.bytes, 0);
}

}  // namespace
}  // namespace poisonlab::agent

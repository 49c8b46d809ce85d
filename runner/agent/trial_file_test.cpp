#include "agent/trial_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"

namespace poisonlab::agent {
namespace {

// FIEMAP on the build machine's file system: the extents must cover the
// file and map each page somewhere (tmpfs has no FIEMAP: skipped there).
TEST(TrialFile, ExtentsCoverEveryPage) {
  auto dir = std::filesystem::temp_directory_path() / ("pl-agent-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / "victim";
  TrialFile f;
  try {
    f = create_trial_file(path, 16, 4096);
  } catch (const UserError& e) {
    std::filesystem::remove_all(dir);
    if (std::string(e.what()).find("FIEMAP") != std::string::npos) GTEST_SKIP() << e.what();
    throw;
  }
  EXPECT_EQ(f.size, 65536u);
  ASSERT_FALSE(f.extents.empty());
  for (uint64_t p = 0; p < 16; ++p) EXPECT_TRUE(device_offset_of(f.extents, p * 4096).has_value()) << p;
  EXPECT_EQ(f.to_json()["extents"].size(), f.extents.size());
  EXPECT_THROW(create_trial_file(path, 1, 4096), UserError);  // never reuse a file
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace poisonlab::agent

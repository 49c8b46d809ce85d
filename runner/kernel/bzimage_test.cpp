#include "kernel/bzimage.h"

#include <gtest/gtest.h>

namespace poisonlab {
namespace {

std::string fake_bzimage(const std::string& version, bool with_magic = true) {
  std::string image(0x4000, '\0');
  if (with_magic) image.replace(0x202, 4, "HdrS");
  size_t string_at = 0x3000;
  size_t pointer = string_at - 0x200;
  image[0x20e] = static_cast<char>(pointer & 0xff);
  image[0x20f] = static_cast<char>(pointer >> 8);
  image.replace(string_at, version.size(), version);
  return image;
}

TEST(BzImage, ReadsTheReleaseFromTheSetupHeader) {
  EXPECT_EQ(bzimage_release(fake_bzimage("6.12.95+deb12-amd64 (debian-kernel@lists) #1 SMP")),
            "6.12.95+deb12-amd64");
  EXPECT_EQ(bzimage_release(fake_bzimage(std::string("6.1.0-custom") + '\0' + "junk")), "6.1.0-custom");
}

TEST(BzImage, RejectsOtherFiles) {
  EXPECT_FALSE(bzimage_release(fake_bzimage("6.1.0", false)));
  EXPECT_FALSE(bzimage_release("\x7f" "ELF"));
  EXPECT_FALSE(bzimage_release(""));
  EXPECT_FALSE(bzimage_release_of_file("/nonexistent/bzImage"));
}

}  // namespace
}  // namespace poisonlab

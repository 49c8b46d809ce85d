#include "kernel/apt_resolve.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poisonlab {
namespace {

// Host names are elided: the parser only looks at the words after the URI.
const char* kMadison =
    "linux-image-amd64 | 6.12.95-1~bpo12+1 | http://mirror.invalid/debian bookworm-backports/main amd64 Packages\n"
    "linux-image-amd64 |  6.1.192-2 | http://mirror.invalid/debian-security bookworm-security/main amd64 Packages\n"
    "linux-image-amd64 |  6.1.176-1 | http://mirror.invalid/debian bookworm/main amd64 Packages\n"
    "     linux | 6.1.176-1 | http://mirror.invalid/debian bookworm/main Sources\n";

const char* kShow =
    "Package: linux-image-amd64\n"
    "Source: linux-signed-amd64 (6.1.192+2)\n"
    "Version: 6.1.192-2\n"
    "Provides: linux-image-generic, linux-latest-modules-6.1.0-56-amd64\n"
    "Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)\n"
    "Description: Linux for 64-bit PCs (meta-package)\n"
    "\n"
    "Package: linux-image-amd64\n"
    "Version: 6.1.176-1\n"
    "Depends: linux-image-6.1.0-44-amd64 (= 6.1.176-1)\n";

TEST(DebianVersion, OrdersLikeDpkg) {
  EXPECT_GT(compare_debian_versions("6.1.192-2", "6.1.176-1"), 0);
  EXPECT_LT(compare_debian_versions("6.1.99-1", "6.1.176-1"), 0);  // numeric, not lexical
  EXPECT_LT(compare_debian_versions("6.12.95-1~bpo12+1", "6.12.95-1"), 0);  // '~' sorts first
  EXPECT_GT(compare_debian_versions("6.12.95-1~bpo12+2", "6.12.95-1~bpo12+1"), 0);
  EXPECT_GT(compare_debian_versions("1:1.0-1", "9.9-1"), 0);  // epoch wins
  EXPECT_EQ(compare_debian_versions("6.1.192-2", "6.1.192-2"), 0);
  EXPECT_EQ(compare_debian_versions("0:1.00-1", "1.0-1"), 0);
  EXPECT_GT(compare_debian_versions("1.0a", "1.0"), 0);
  EXPECT_LT(compare_debian_versions("1.0~rc1", "1.0"), 0);
}

TEST(Madison, ParsesPackageVersionAndSuiteAndSkipsSources) {
  auto entries = parse_madison(kMadison);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].package, "linux-image-amd64");
  EXPECT_EQ(entries[0].version, "6.12.95-1~bpo12+1");
  EXPECT_EQ(entries[0].suite, "bookworm-backports");
  EXPECT_EQ(entries[1].suite, "bookworm-security");
  EXPECT_EQ(entries[2].version, "6.1.176-1");
}

TEST(Madison, EmptyTextGivesNoEntries) { EXPECT_TRUE(parse_madison("").empty()); }

TEST(PickHighest, PrefersTheHighestVersionAmongTheVariantsSuites) {
  auto entries = parse_madison(kMadison);
  auto v61 = pick_highest(entries, {"bookworm", "bookworm-security"});
  ASSERT_TRUE(v61);
  EXPECT_EQ(v61->version, "6.1.192-2");
  EXPECT_EQ(v61->suite, "bookworm-security");
  auto v612 = pick_highest(entries, {"bookworm-backports"});
  ASSERT_TRUE(v612);
  EXPECT_EQ(v612->version, "6.12.95-1~bpo12+1");
  EXPECT_FALSE(pick_highest(entries, {"trixie"}));
}

TEST(DependencyMatching, TakesThePackageAndPinnedVersionFromTheFirstStanza) {
  auto ref = dependency_matching(kShow, "linux-image-6.1.0-*-amd64");
  ASSERT_TRUE(ref);
  EXPECT_EQ(*ref, (PackageRef{"linux-image-6.1.0-56-amd64", "6.1.192-2"}));
  EXPECT_FALSE(dependency_matching(kShow, "linux-image-6.12.*+deb12-amd64"));
}

TEST(DependencyMatching, HandlesAlternativesContinuationLinesAndUnversionedDeps) {
  const char* show =
      "Package: linux-image-amd64\n"
      "Depends: initramfs-tools | linux-initramfs-tool,\n"
      " linux-image-6.12.95+deb12-amd64 (= 6.12.95-1~bpo12+1), kmod\n";
  auto ref = dependency_matching(show, "linux-image-6.12.*+deb12-amd64");
  ASSERT_TRUE(ref);
  EXPECT_EQ(*ref, (PackageRef{"linux-image-6.12.95+deb12-amd64", "6.12.95-1~bpo12+1"}));
  auto unversioned = dependency_matching("Depends: kmod, linux-image-6.1.0-9-amd64\n", "linux-image-6.1.0-*-amd64");
  ASSERT_TRUE(unversioned);
  EXPECT_EQ(*unversioned, (PackageRef{"linux-image-6.1.0-9-amd64", ""}));
}

TEST(ReleaseFromPackage, StripsPrefixAndUnsignedSuffix) {
  EXPECT_EQ(release_from_package("linux-image-6.1.0-56-amd64"), "6.1.0-56-amd64");
  EXPECT_EQ(release_from_package("linux-image-6.12.95+deb12-amd64-unsigned"), "6.12.95+deb12-amd64");
}

}  // namespace
}  // namespace poisonlab

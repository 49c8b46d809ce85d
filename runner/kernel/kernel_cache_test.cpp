#include "kernel/kernel_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace poisonlab {
namespace {

// Sets or clears an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value->c_str(), 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(KernelCache, EnvironmentPrecedence) {
  ScopedEnv home("HOME", "/home/tester");
  {
    ScopedEnv cache("POISONLAB_CACHE", "/srv/plcache");
    ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(KernelCache::from_environment().root, "/srv/plcache");
  }
  {
    ScopedEnv cache("POISONLAB_CACHE", std::nullopt);
    ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(KernelCache::from_environment().root, "/xdg/poisonlab");
  }
  {
    ScopedEnv cache("POISONLAB_CACHE", "");
    ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
    EXPECT_EQ(KernelCache::from_environment().root, "/home/tester/.cache/poisonlab");
  }
}

TEST(KernelCache, PathsLiveUnderKernels) {
  KernelCache cache{"/c"};
  EXPECT_EQ(cache.debian_dir("linux-image-6.1.0-56-amd64", "6.1.192-2"),
            "/c/kernels/debian/linux-image-6.1.0-56-amd64_6.1.192-2");
  EXPECT_EQ(cache.debian_dir("linux-image-6.12.95+deb12-amd64", "6.12.95-1~bpo12+1"),
            "/c/kernels/debian/linux-image-6.12.95+deb12-amd64_6.12.95-1%7ebpo12+1");
  EXPECT_EQ(cache.variant_pointer("debian-6.12"), "/c/kernels/variants/debian-6.12.json");
  EXPECT_EQ(cache.custom_dir(std::string(64, 'a')), "/c/kernels/custom/aaaaaaaaaaaaaaaa");
}

TEST(KernelCache, SafePathComponentIsInjective) {
  EXPECT_NE(safe_path_component("1~bpo"), safe_path_component("1_bpo"));
  EXPECT_NE(safe_path_component("1:2"), safe_path_component("1%3a2"));
  EXPECT_EQ(safe_path_component("../x"), "..%2fx");
}

TEST(InitramfsName, StableForTheSameInputs) {
  std::vector<std::string> mods = {"kernel/lib/libcrc32c.ko.xz", "kernel/fs/xfs/xfs.ko.xz"};
  // Pinned: a changed name would rebuild every cached initramfs.
  EXPECT_EQ(initramfs_file_name(mods, "#!/bin/sh\n"), "initramfs-82e1f00764809555.cpio");
  EXPECT_EQ(initramfs_file_name(mods, "#!/bin/sh\n"), initramfs_file_name(mods, "#!/bin/sh\n"));
}

TEST(InitramfsName, ChangesWithModulesOrScript) {
  std::vector<std::string> mods = {"a.ko", "b.ko"};
  std::string base = initramfs_file_name(mods, "init");
  EXPECT_NE(base, initramfs_file_name({"b.ko", "a.ko"}, "init"));  // load order matters
  EXPECT_NE(base, initramfs_file_name({"a.ko"}, "init"));
  EXPECT_NE(base, initramfs_file_name(mods, "init2"));
  EXPECT_NE(initramfs_file_name({"ab.ko"}, ""), initramfs_file_name({"a", "b.ko"}, ""));
}

}  // namespace
}  // namespace poisonlab

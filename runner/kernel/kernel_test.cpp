#include "kernel/kernel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

#include "common/error.h"
#include "common/fs_util.h"
#include "kernel/debian_fetch.h"
#include "kernel/initramfs.h"
#include "common/temp_dir.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void write(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  write_file_atomic(p, content);
}

std::string fake_bzimage(const std::string& release) {
  std::string image(0x4000, '\0');
  image.replace(0x202, 4, "HdrS");
  image[0x20e] = 0x00;  // version string at 0x2e00 + 0x200
  image[0x20f] = 0x2e;
  image.replace(0x3000, release.size() + 5, release + " #1 ");
  return image;
}

// A custom kernel build: bzImage plus a small lib/modules/<release> tree.
struct CustomKernel {
  TempDir tmp;
  fs::path image = tmp.path() / "build/arch/x86/boot/bzImage";
  fs::path modules = tmp.path() / "rootfs/lib/modules/6.9.0-test";
  KernelCache cache{tmp.path() / "cache"};
  std::vector<ModuleRequest> requests = {{"virtio_pci", true}, {"9p", true}, {"xfs", true}};

  CustomKernel() {
    write(image, fake_bzimage("6.9.0-test"));
    write(tmp.path() / "build/.config", "CONFIG_XFS_FS=y\n");
    write(modules / "modules.dep", "kernel/net/9p/9pnet.ko:\nkernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko\n");
    write(modules / "modules.builtin", "kernel/drivers/virtio/virtio_pci.ko\n");
    write(modules / "kernel/net/9p/9pnet.ko", "9pnet");
    write(modules / "kernel/fs/9p/9p.ko", "9p");
  }
};

bool have_static_busybox() {
  try {
    find_static_busybox();
    return true;
  } catch (const UserError&) {
    return false;
  }
}

TEST(PrepareCustom, BuildsAnInitramfsFromTheModuleTreeOnce) {
  if (!have_static_busybox()) GTEST_SKIP() << "busybox-static not installed";
  CustomKernel k;
  std::ostringstream log;
  auto a = prepare_custom(k.image, k.modules, k.requests, k.cache, log);
  EXPECT_EQ(a.variant, "custom");
  EXPECT_EQ(a.release, "6.9.0-test");
  EXPECT_TRUE(a.package.empty());
  EXPECT_THAT(a.modules, ElementsAre("9pnet.ko", "9p.ko"));
  EXPECT_EQ(read_file(a.vmlinuz), read_file(k.image));
  EXPECT_EQ(a.config.filename(), ".config");
  EXPECT_EQ(a.config_sha256, sha256_hex("CONFIG_XFS_FS=y\n"));
  EXPECT_THAT(log.str(), HasSubstr("built in: virtio_pci"));
  EXPECT_THAT(log.str(), HasSubstr("not available (optional, skipped): xfs"));
  auto entries = read_cpio(read_file(a.initramfs));
  bool has_order = false;
  for (const auto& e : entries)
    if (e.path == "modules.order") has_order = e.data == "9pnet.ko\n9p.ko\n";
  EXPECT_TRUE(has_order);

  std::ostringstream again;
  auto b = prepare_custom(k.image, k.modules.parent_path(), k.requests, k.cache, again);  // lib/modules form
  EXPECT_EQ(b.initramfs, a.initramfs);
  EXPECT_EQ(b.modules, a.modules);
  EXPECT_THAT(again.str(), ::testing::Not(HasSubstr("built initramfs")));
}

TEST(PrepareCustom, ModulesForAnotherReleaseAreRejected) {
  CustomKernel k;
  fs::path other = k.tmp.path() / "other/lib/modules/6.9.1-other";
  fs::create_directories(other / "kernel");
  std::ostringstream log;
  try {
    prepare_custom(k.image, other, k.requests, k.cache, log);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("modules are for release 6.9.1-other"));
  }
}

TEST(PrepareCustom, MissingImageIsAnInputError) {
  TempDir tmp;
  std::ostringstream log;
  EXPECT_THROW(prepare_custom(tmp.path() / "nope", std::nullopt, {}, KernelCache{tmp.path()}, log), InputError);
}

TEST(KernelArtifacts, ToJsonHasEveryField) {
  KernelArtifacts a{"debian-6.12", "6.12.95+deb12-amd64", "linux-image-6.12.95+deb12-amd64", "6.12.95-1~bpo12+1",
                    "/c/vmlinuz", "/c/initramfs.cpio", "/c/config", "abc", {"xfs.ko"}};
  auto j = a.to_json();
  EXPECT_EQ(j["variant"], "debian-6.12");
  EXPECT_EQ(j["package_version"], "6.12.95-1~bpo12+1");
  EXPECT_EQ(j["initramfs"], "/c/initramfs.cpio");
  EXPECT_EQ(j["config_sha256"], "abc");
  EXPECT_EQ(j["modules"], nlohmann::json::array({"xfs.ko"}));
}

TEST(DebianKernelDir, CompleteOnlyWithManifestAndFiles) {
  TempDir tmp;
  fs::path dir = tmp.path() / "linux-image-x_1";
  EXPECT_FALSE(read_debian_kernel(dir));
  write(dir / "tree/boot/vmlinuz-6.1.0-x", "k");
  write(dir / "kernel.json", R"({"package":"linux-image-x","version":"1","release":"6.1.0-x",
      "vmlinuz":"tree/boot/vmlinuz-6.1.0-x","config":"tree/boot/config-6.1.0-x","config_sha256":"c",
      "modules_root":"tree/lib/modules/6.1.0-x"})");
  EXPECT_FALSE(read_debian_kernel(dir));  // no modules.dep yet
  write(dir / "tree/lib/modules/6.1.0-x/modules.dep", "");
  auto k = read_debian_kernel(dir);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->release, "6.1.0-x");
  EXPECT_EQ(k->vmlinuz, dir / "tree/boot/vmlinuz-6.1.0-x");
}

TEST(DefaultVariantRegistry, IsInTheSourceTree) {
  EXPECT_EQ(default_variant_registry(), fs::path(POISONLAB_SOURCE_DIR) / "kernel-config/variants.json");
}

}  // namespace
}  // namespace poisonlab

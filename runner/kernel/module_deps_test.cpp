#include "kernel/module_deps.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace poisonlab {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Shaped like Debian 6.12: .ko.xz paths, dependencies listed deepest-last.
const char* kModulesDep =
    "kernel/fs/netfs/netfs.ko.xz:\n"
    "kernel/net/9p/9pnet.ko.xz:\n"
    "kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz\n"
    "kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz\n"
    "kernel/drivers/nvdimm/libnvdimm.ko.xz:\n"
    "kernel/drivers/nvdimm/nd_btt.ko.xz: kernel/drivers/nvdimm/libnvdimm.ko.xz\n"
    "kernel/drivers/nvdimm/nd_pmem.ko.xz: kernel/drivers/nvdimm/nd_btt.ko.xz kernel/drivers/nvdimm/libnvdimm.ko.xz\n"
    "kernel/lib/libcrc32c.ko.xz:\n"
    "kernel/fs/xfs/xfs.ko.xz: kernel/lib/libcrc32c.ko.xz\n"
    "kernel/drivers/md/dm-mod.ko.xz:\n"
    "kernel/mm/hwpoison-inject.ko.xz:\n";

const char* kModulesBuiltin =
    "kernel/drivers/virtio/virtio_pci.ko\n"
    "kernel/drivers/char/virtio_console.ko\n";

std::vector<ModuleRequest> req(std::initializer_list<const char*> names) {
  std::vector<ModuleRequest> out;
  for (const char* n : names) out.push_back({n, false});
  return out;
}

TEST(ModuleName, StripsDirectoryAndSuffixAndNormalizesDashes) {
  EXPECT_EQ(module_name_from_path("kernel/fs/xfs/xfs.ko.xz"), "xfs");
  EXPECT_EQ(module_name_from_path("kernel/drivers/md/dm-mod.ko"), "dm_mod");
  EXPECT_EQ(module_name_from_path("hwpoison-inject.ko.zst"), "hwpoison_inject");
  EXPECT_EQ(normalize_module_name("dm-mod"), "dm_mod");
}

TEST(ModuleIndex, ClosurePutsDependenciesFirstAndEachModuleOnce) {
  auto index = ModuleIndex::parse(kModulesDep, kModulesBuiltin);
  auto closure = index.closure(req({"9pnet_virtio", "9p", "nd_pmem", "xfs"}));
  EXPECT_THAT(closure.paths,
              ElementsAre("kernel/net/9p/9pnet.ko.xz", "kernel/net/9p/9pnet_virtio.ko.xz", "kernel/fs/netfs/netfs.ko.xz",
                          "kernel/fs/9p/9p.ko.xz", "kernel/drivers/nvdimm/libnvdimm.ko.xz",
                          "kernel/drivers/nvdimm/nd_btt.ko.xz", "kernel/drivers/nvdimm/nd_pmem.ko.xz",
                          "kernel/lib/libcrc32c.ko.xz", "kernel/fs/xfs/xfs.ko.xz"));
  EXPECT_TRUE(closure.builtin.empty());
}

TEST(ModuleIndex, DashAndUnderscoreAreInterchangeable) {
  auto index = ModuleIndex::parse(kModulesDep, kModulesBuiltin);
  auto closure = index.closure(req({"dm_mod", "hwpoison_inject", "hwpoison-inject"}));
  EXPECT_THAT(closure.paths, ElementsAre("kernel/drivers/md/dm-mod.ko.xz", "kernel/mm/hwpoison-inject.ko.xz"));
}

TEST(ModuleIndex, BuiltinModulesAreSkipped) {
  auto index = ModuleIndex::parse(kModulesDep, kModulesBuiltin);
  EXPECT_TRUE(index.is_builtin("virtio-pci"));
  EXPECT_FALSE(index.has_module("virtio_pci"));
  auto closure = index.closure(req({"virtio_pci", "virtio_console", "xfs"}));
  EXPECT_THAT(closure.builtin, ElementsAre("virtio_pci", "virtio_console"));
  EXPECT_THAT(closure.paths, ElementsAre("kernel/lib/libcrc32c.ko.xz", "kernel/fs/xfs/xfs.ko.xz"));
}

TEST(ModuleIndex, MissingRequiredModulesAreNamedInTheError) {
  auto index = ModuleIndex::parse(kModulesDep, kModulesBuiltin);
  try {
    index.closure(req({"xfs", "nfit", "cxl_pmem"}));
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("nfit, cxl_pmem"));
    EXPECT_THAT(e.what(), HasSubstr("neither built in nor in modules.dep"));
  }
}

TEST(ModuleIndex, MissingOptionalModulesAreReportedNotThrown) {
  auto index = ModuleIndex::parse(kModulesDep, kModulesBuiltin);
  auto closure = index.closure({{"cxl_pmem", true}, {"xfs", false}});
  EXPECT_THAT(closure.absent, ElementsAre("cxl_pmem"));
  EXPECT_EQ(closure.paths.size(), 2u);
}

TEST(ModuleIndex, DependencyWithoutItsOwnLineIsAnError) {
  auto index = ModuleIndex::parse("kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n", "");
  EXPECT_THROW(index.closure(req({"xfs"})), UserError);
}

TEST(ModuleIndex, CycleIsAnError) {
  auto index = ModuleIndex::parse("a.ko: b.ko\nb.ko: a.ko\n", "");
  EXPECT_THROW(index.closure(req({"a"})), UserError);
}

TEST(ModuleIndex, MalformedLineIsAnError) {
  EXPECT_THROW(ModuleIndex::parse("kernel/fs/xfs/xfs.ko kernel/lib/libcrc32c.ko\n", ""), UserError);
}

}  // namespace
}  // namespace poisonlab

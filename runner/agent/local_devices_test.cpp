#include "agent/local_devices.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/local_inject.h"
#include "agent/sysfs.h"
#include "common/temp_dir.h"

namespace poisonlab::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// sysfs of an fsdax namespace as the kernel lays it out:
// /sys/class/block/pmem0 -> devices/.../region0/pfn0.1/block/pmem0, whose
// device link is the pfn device; /sys/bus/nd/devices/* link to the same.
class PmemSysfs : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path region = dir / "devices/ndbus0/region0";
    dir.write("devices/ndbus0/region0/resource", "0x100000000\n");
    dir.write("devices/ndbus0/region0/size", "1073741824\n");
    dir.write("devices/ndbus0/region0/namespace0.0/resource", "0x100000000\n");
    dir.write("devices/ndbus0/region0/pfn0.1/resource", "0x100200000\n");
    dir.write("devices/ndbus0/region0/pfn0.1/namespace", "namespace0.0\n");
    dir.write("devices/ndbus0/region0/pfn0.1/align", "2097152\n");
    dir.write("devices/ndbus0/region0/pfn0.1/block/pmem0/dev", "259:0\n");
    dir.write("devices/ndbus0/region0/pfn0.1/block/pmem0/size", "2088960\n");  // sectors
    fs::create_directory_symlink(region / "pfn0.1", region / "pfn0.1/block/pmem0/device");
    fs::create_directories(dir / "class/block");
    fs::create_directory_symlink(region / "pfn0.1/block/pmem0", dir / "class/block/pmem0");
    fs::create_directories(dir / "bus/nd/devices");
    fs::create_directory_symlink(region, dir / "bus/nd/devices/region0");
    for (const char* d : {"namespace0.0", "pfn0.1"}) fs::create_directory_symlink(region / d, dir / "bus/nd/devices" / d);
    // A raw namespace: the disk's parent is the namespace itself.
    dir.write("devices/ndbus0/region1/resource", "0x140000000\n");
    dir.write("devices/ndbus0/region1/size", "1073741824\n");
    dir.write("devices/ndbus0/region1/namespace1.0/resource", "0x140000000\n");
    dir.write("devices/ndbus0/region1/namespace1.0/block/pmem1/dev", "259:1\n");
    dir.write("devices/ndbus0/region1/namespace1.0/block/pmem1/size", "2097152\n");
    fs::path ns1 = dir / "devices/ndbus0/region1/namespace1.0";
    fs::create_directory_symlink(ns1, ns1 / "block/pmem1/device");
    fs::create_directory_symlink(ns1 / "block/pmem1", dir / "class/block/pmem1");
    fs::create_directory_symlink(dir / "devices/ndbus0/region1", dir / "bus/nd/devices/region1");
    fs::create_directory_symlink(ns1, dir / "bus/nd/devices/namespace1.0");
  }
  NamespaceInfo describe(const std::string& name) {
    return describe_pmem_device(name, dir / "class/block", dir / "bus/nd/devices");
  }
  TempDir dir{"local-devices-test"};
};

TEST_F(PmemSysfs, AnFsdaxDiskIsDescribedLikeANamespaceTheAgentMade) {
  NamespaceInfo ns = describe("pmem0");
  EXPECT_EQ(ns.blockdev, "pmem0");
  EXPECT_EQ(ns.block_majmin, "259:0");
  EXPECT_EQ(ns.blockdev_bytes, 2088960u * 512);
  EXPECT_EQ(ns.mode, "fsdax");
  EXPECT_EQ(ns.pfn_dev, "pfn0.1");
  EXPECT_EQ(ns.ns_dev, "namespace0.0");
  EXPECT_EQ(ns.region_dev, "region0");
  EXPECT_EQ(ns.region_resource, 0x100000000u);
  EXPECT_EQ(ns.align, 2097152u);
  // Byte 0 of the disk is 2 MiB into the namespace (kernel-facts.md).
  EXPECT_EQ(ns.layout().data_offset(), 2u << 20);
  EXPECT_EQ(ns.disk().layout.data_start, 0x100200000u);
}

TEST_F(PmemSysfs, ARawDiskIsRawAndRefusedForAnFsdaxCell) {
  NamespaceInfo raw = describe("pmem1");
  EXPECT_EQ(raw.mode, "raw");
  EXPECT_FALSE(raw.pfn_dev);
  CellSpec spec;  // fsdax by default
  auto refusal = local_cell_refusal(spec, {raw});
  ASSERT_TRUE(refusal);
  EXPECT_THAT(*refusal, HasSubstr("pmem1 (namespace1.0) is in raw mode, the cell needs fsdax"));
  EXPECT_THAT(*refusal, HasSubstr("ndctl create-namespace -f -e namespace1.0 -m fsdax"));
}

TEST_F(PmemSysfs, NotAPmemDiskIsNamed) {
  dir.write("class/block/sda/dev", "8:0\n");
  try {
    describe("sda");
    FAIL() << "expected a refusal";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/dev/sda is not a pmem disk"));
  }
}

TEST(LocalCellRefusal, CellsTheLocalTargetCannotRun) {
  NamespaceInfo one;
  one.mode = "fsdax";
  one.blockdev = "pmem0";
  CellSpec spec;
  EXPECT_FALSE(local_cell_refusal(spec, {one}));
  spec.stack_type = "dm-stripe";
  EXPECT_THAT(local_cell_refusal(spec, {one}).value_or(""), HasSubstr("needs 2 pmem devices"));
  spec.stack_type = "raw";
  spec.method = "unbind";
  EXPECT_THAT(local_cell_refusal(spec, {one}).value_or(""), HasSubstr("QEMU target only"));
  spec.method = "madvise";
  spec.pmem = "cxl";
  EXPECT_THAT(local_cell_refusal(spec, {one}).value_or(""), HasSubstr("CXL region"));
}

constexpr const char* kIomem =
    "00001000-0009fbff : System RAM\n"
    "00100000-7ffdffff : System RAM\n"
    "100000000-13fffffff : Persistent Memory\n";

TEST(SystemRamGuard, RefusesPhysicalMethodsInRamOnly) {
  SystemRamGuard pfn("hwpoison-pfn", kIomem);
  EXPECT_FALSE(pfn.refusal(0x100200000));
  EXPECT_THAT(pfn.refusal(0x2000000).value_or(""), HasSubstr("intersects \"System RAM\""));
  EXPECT_TRUE(SystemRamGuard("einj", kIomem).refusal(0x2000000));
  EXPECT_TRUE(SystemRamGuard("hard-offline", kIomem).refusal(0x2000000));
  // madvise poisons through a mapping, badblocks and ndctl by disk offset.
  EXPECT_FALSE(SystemRamGuard("madvise", kIomem).refusal(0x2000000));
  EXPECT_FALSE(SystemRamGuard("ndctl-inject-error", kIomem).refusal(0x2000000));
  // Hidden addresses (not root): refused, not taken as clear.
  EXPECT_THAT(SystemRamGuard("hwpoison-pfn", "00000000-00000000 : System RAM\n").refusal(0x100200000).value_or(""),
              HasSubstr("run as root"));
}

TEST(Einj, SaysWhyItIsNotAvailable) {
  TempDir dir("einj-test");
  EinjPaths paths{dir / "debug/apei/einj", dir / "tables/EINJ"};
  EXPECT_THAT(einj_unavailable(paths).value_or(""), HasSubstr("the firmware has no ACPI EINJ table"));
  dir.write("tables/EINJ", "table");
  EXPECT_THAT(einj_unavailable(paths).value_or(""), HasSubstr("load the einj module"));
  dir.write("debug/apei/einj/available_error_type", "0x00000008\tMemory Correctable\n");
  EXPECT_THAT(einj_unavailable(paths).value_or(""), HasSubstr("does not offer error type 0x10"));
  dir.write("debug/apei/einj/available_error_type",
            "0x00000008\tMemory Correctable\n0x00000010\tMemory Uncorrectable non-fatal\n");
  EXPECT_FALSE(einj_unavailable(paths));
}

TEST(Einj, WritesTypeAddressMaskThenInjects) {
  TempDir dir("einj-test");
  EinjPaths paths{dir / "einj", dir / "EINJ"};
  dir.write("EINJ", "table");
  dir.write("einj/available_error_type", "0x00000010\tMemory Uncorrectable non-fatal\n");
  for (const char* f : {"error_type", "flags", "param1", "param2", "notrigger", "error_inject"}) dir.write(std::string("einj/") + f, "");
  PoisonUnit unit;
  unit.phys = 0x100201234;
  InjectionStep step;
  einj_step(unit, step, paths);
  EXPECT_FALSE(step.error) << *step.error;
  EXPECT_EQ(step.ret, 0);
  EXPECT_EQ(read_attr(paths.einj / "param1").value_or(""), "0x100201000");
  EXPECT_EQ(read_attr(paths.einj / "param2").value_or(""), "0xfffffffffffff000");
  EXPECT_EQ(read_attr(paths.einj / "error_type").value_or(""), "0x10");
  EXPECT_EQ(read_attr(paths.einj / "error_inject").value_or(""), "1");
  EXPECT_EQ(step.tool_output["einj"]["param1"], "0x100201000");
}

TEST(Einj, AStepOnAMachineWithoutEinjFailsClearly) {
  TempDir dir("einj-test");
  PoisonUnit unit;
  unit.phys = 0x100200000;
  InjectionStep step;
  einj_step(unit, step, {dir / "einj", dir / "EINJ"});
  ASSERT_TRUE(step.error);
  EXPECT_THAT(*step.error, HasSubstr("einj: not available on this machine: the firmware has no ACPI EINJ table"));
  EXPECT_NE(step.ret, 0);
}

}  // namespace
}  // namespace poisonlab::agent

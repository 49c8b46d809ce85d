#include "target/local/local_safety.h"

#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/temp_dir.h"

namespace poisonlab::local {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// /proc/iomem of a 2 GiB VM with a 1 GiB NVDIMM (nested, as the kernel prints it).
constexpr const char* kIomem = R"(00000000-00000fff : Reserved
00001000-0009fbff : System RAM
0009fc00-0009ffff : Reserved
000f0000-000fffff : Reserved
  000f0000-000fffff : System ROM
00100000-7ffdffff : System RAM
  2a000000-2b002fff : Kernel code
  2b200000-2b8dafff : Kernel rodata
7ffe0000-7fffffff : Reserved
100000000-13fffffff : Persistent Memory
  100000000-13fffffff : namespace0.0
140000000-17fffffff : pmem-kmem
  140000000-17fffffff : dax0.0
    140000000-17fffffff : System RAM (kmem)
)";

TEST(Iomem, ParsesNestedEntriesWithDepth) {
  auto entries = parse_iomem(kIomem);
  ASSERT_THAT(entries, SizeIs(14));
  EXPECT_EQ(entries[1].start, 0x1000u);
  EXPECT_EQ(entries[1].end, 0x9fbffu);
  EXPECT_EQ(entries[1].name, "System RAM");
  EXPECT_EQ(entries[6].name, "Kernel code");
  EXPECT_EQ(entries[6].depth, 1);
  EXPECT_EQ(entries[13].name, "System RAM (kmem)");
  EXPECT_EQ(entries[13].depth, 2);
  EXPECT_EQ(entries[9].name, "Persistent Memory");
  EXPECT_EQ(entries[9].start, 0x100000000u);
  EXPECT_EQ(entries[9].end, 0x13fffffffu);
}

TEST(Iomem, PmemIsClearButRamKernelCodeAndKmemAreNot) {
  auto entries = parse_iomem(kIomem);
  EXPECT_FALSE(system_ram_overlap(entries, 0x100200000, 4096 * 4));
  // A range touching the last byte of System RAM.
  auto ram = system_ram_overlap(entries, 0x7ffdf000, 4096);
  ASSERT_TRUE(ram);
  EXPECT_EQ(ram->start, 0x100000u);
  // Inside the kernel's code: a child of System RAM.
  EXPECT_TRUE(system_ram_overlap(entries, 0x2a001000, 4096));
  // A range from reserved space into RAM.
  EXPECT_TRUE(system_ram_overlap(entries, 0x0, 0x2000));
  // Nested three deep: pmem handed to the page allocator.
  auto kmem = system_ram_overlap(entries, 0x150000000, 4096);
  ASSERT_TRUE(kmem);
  EXPECT_EQ(kmem->name, "System RAM (kmem)");
  // Reserved space just after RAM is not RAM.
  EXPECT_FALSE(system_ram_overlap(entries, 0x7ffe0000, 4096));
}

TEST(Iomem, HiddenAddressesAreRefusedNotTakenAsClear) {
  auto entries = parse_iomem("00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n");
  try {
    system_ram_overlap(entries, 0x100000000, 4096);
    FAIL() << "expected a refusal";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("run as root"));
    EXPECT_EQ(e.exit_code(), kExitRefused);
  }
}

TEST(Iomem, RefusalNamesRangeEntryAndThatNoFlagAllowsIt) {
  auto refusal = system_ram_refusal(parse_iomem(kIomem), 0x1000000, 8192, "physical range");
  ASSERT_TRUE(refusal);
  EXPECT_THAT(*refusal, AllOf(HasSubstr("0x1000000-0x1001fff"), HasSubstr("\"System RAM\" 0x100000-0x7ffdffff"),
                              HasSubstr("no flag allows")));
}

TEST(Iomem, PhysicalTargetsOfCellsAreChecked) {
  nlohmann::json ram_cell = {{"injection", {{"method", "hwpoison-pfn"}, {"pages", 2},
                                            {"target", {{"space", "physical"}, {"address", 0x10000000}}}}}};
  nlohmann::json pmem_cell = {{"injection", {{"method", "hwpoison-pfn"}, {"pages", 2},
                                             {"target", {{"space", "physical"}, {"address", 0x100200000}}}}}};
  nlohmann::json file_cell = {{"injection", {{"method", "madvise"}, {"target", {{"space", "file"}}}}}};
  auto iomem = parse_iomem(kIomem);
  EXPECT_NO_THROW(check_physical_targets({{"a", pmem_cell}, {"b", file_cell}}, iomem));
  try {
    check_physical_targets({{"a", pmem_cell}, {"local/raw/xfs/hwpoison-pfn", ram_cell}}, iomem);
    FAIL() << "expected a refusal";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("cell local/raw/xfs/hwpoison-pfn"), HasSubstr("0x10000000-0x10001fff"),
                                HasSubstr("System RAM")));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("cell a:")));
  }
}

TEST(Mountinfo, ParsesDeviceMountPointAndSource) {
  auto mounts = parse_mountinfo(
      "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
      "40 28 259:0 / /mnt/pmem\\040dax rw,relatime shared:1 - xfs /dev/pmem0 rw,dax=always\n"
      "41 28 254:0 / /mnt/dm rw - xfs /dev/mapper/poisonlab0 rw\n");
  ASSERT_THAT(mounts, SizeIs(3));
  EXPECT_EQ(mounts[1].majmin, "259:0");
  EXPECT_EQ(mounts[1].mount_point, "/mnt/pmem dax");
  EXPECT_EQ(mounts[1].source, "/dev/pmem0");
  EXPECT_EQ(mounts[2].source, "/dev/mapper/poisonlab0");
}

TEST(Signatures, WipefsJsonAndBlkidExport) {
  EXPECT_THAT(parse_wipefs_json(R"({"signatures": [{"device":"pmem0","offset":"0x0","type":"xfs","uuid":"u","label":null}]})"),
              ElementsAre("xfs signature at offset 0x0"));
  EXPECT_THAT(parse_wipefs_json(R"({"signatures": []})"), IsEmpty());
  EXPECT_THAT(parse_wipefs_json(""), IsEmpty());
  EXPECT_THAT(parse_blkid_export("DEVNAME=/dev/pmem0\nUUID=abc\nTYPE=xfs\nUSAGE=filesystem\n"), ElementsAre("TYPE=xfs"));
  EXPECT_THAT(parse_blkid_export("DEVNAME=/dev/pmem0\nPTUUID=x\nPTTYPE=gpt\n"), ElementsAre("PTTYPE=gpt"));
}

// A fixture machine: block devices by path, a /sys/class/block tree, mountinfo and signatures.
class FixtureView : public HostView {
 public:
  FixtureView() { add_block("pmem0", "259:0"); add_block("pmem1", "259:1"); }
  void add_block(const std::string& name, const std::string& majmin) {
    dir.write("sys/class/block/" + name + "/dev", majmin + "\n");
    devices["/dev/" + name] = {"/dev/" + name, "/dev/" + name, majmin, name};
  }
  std::optional<DeviceId> block_device(const fs::path& path) const override {
    auto it = devices.find(path.string());
    if (it == devices.end()) return std::nullopt;
    DeviceId id = it->second;
    id.given = path;
    return id;
  }
  std::string mountinfo() const override { return mounts; }
  fs::path sys_class_block() const override { return dir / "sys/class/block"; }
  std::vector<std::string> signatures(const fs::path& device) const override {
    auto it = found.find(device.string());
    return it == found.end() ? std::vector<std::string>{} : it->second;
  }
  std::string iomem() const override { return kIomem; }

  TempDir dir{"local-safety-test"};
  std::map<std::string, DeviceId> devices;
  std::map<std::string, std::vector<std::string>> found;
  std::string mounts = "22 1 0:21 / /proc rw - proc proc rw\n";
};

TEST(DeviceChecks, AnAllowedBlankUnmountedDeviceIsAccepted) {
  FixtureView view;
  auto ids = check_devices({{"/dev/pmem0"}, {"/dev/pmem0"}, false}, view);
  ASSERT_THAT(ids, SizeIs(1));
  EXPECT_EQ(ids[0].name, "pmem0");
}

TEST(DeviceChecks, ANotAllowedDeviceIsRefusedNamingTheFlag) {
  FixtureView view;
  auto refusals = device_refusals({{"/dev/pmem1"}, {"/dev/pmem0"}, true}, view);
  ASSERT_THAT(refusals, SizeIs(1));
  EXPECT_THAT(refusals[0], AllOf(HasSubstr("refusing /dev/pmem1"), HasSubstr("not named by --allow-device"),
                                 HasSubstr("allowed: /dev/pmem0"), HasSubstr("add --allow-device /dev/pmem1")));
}

TEST(DeviceChecks, AllowedByAnotherNodeOfTheSameDevice) {
  FixtureView view;
  // A second node (another path, same major:minor), as mknod or udev makes.
  view.devices["/dev/disk/by-id/pmem-xyz"] = {"/dev/disk/by-id/pmem-xyz", "/dev/disk/by-id/pmem-xyz", "259:0", "pmem0"};
  EXPECT_THAT(device_refusals({{"/dev/pmem0"}, {"/dev/disk/by-id/pmem-xyz"}, false}, view), IsEmpty());
  // A symlink: another path, same real path.
  view.devices["/dev/my-pmem"] = {"/dev/my-pmem", "/dev/pmem0", "259:0", "pmem0"};
  EXPECT_THAT(device_refusals({{"/dev/my-pmem"}, {"/dev/pmem0"}, false}, view), IsEmpty());
}

TEST(DeviceChecks, NotABlockDevice) {
  FixtureView view;
  auto refusals = device_refusals({{"/dev/nothing"}, {"/dev/nothing"}, false}, view);
  ASSERT_THAT(refusals, SizeIs(1));
  EXPECT_THAT(refusals[0], HasSubstr("refusing /dev/nothing: not a block device"));
}

TEST(DeviceChecks, AMountedDeviceIsRefusedEvenWithForce) {
  FixtureView view;
  view.mounts += "40 28 259:0 / /mnt/pmem rw - xfs /dev/pmem0 rw,dax=always\n";
  auto refusals = device_refusals({{"/dev/pmem0"}, {"/dev/pmem0"}, true}, view);
  ASSERT_THAT(refusals, SizeIs(1));
  EXPECT_THAT(refusals[0], AllOf(HasSubstr("refusing /dev/pmem0"), HasSubstr("mounted at /mnt/pmem"),
                                 HasSubstr("unmount it first")));
}

TEST(DeviceChecks, AMountedDmDeviceOverAPartitionCounts) {
  FixtureView view;
  view.dir.write("sys/class/block/pmem0/pmem0p1/partition", "1\n");
  view.dir.write("sys/class/block/pmem0/pmem0p1/dev", "259:2\n");
  view.add_block("pmem0p1", "259:2");
  view.dir.write("sys/class/block/pmem0p1/holders/dm-0/.keep", "");
  view.add_block("dm-0", "254:0");
  view.mounts += "41 28 254:0 / /mnt/dm rw - xfs /dev/mapper/vg-lv rw\n";
  auto stacked = stacked_devices(view.sys_class_block(), "pmem0");
  ASSERT_THAT(stacked, SizeIs(3));
  EXPECT_EQ(stacked[2].name, "dm-0");
  EXPECT_EQ(stacked[2].via, "holder of pmem0p1");
  auto refusals = device_refusals({{"/dev/pmem0"}, {"/dev/pmem0"}, false}, view);
  ASSERT_THAT(refusals, SizeIs(1));
  EXPECT_THAT(refusals[0], AllOf(HasSubstr("mounted at /mnt/dm through dm-0 (holder of pmem0p1)"),
                                 HasSubstr("/dev/mapper/vg-lv")));
  // An unmounted holder alone is not a refusal.
  view.mounts = "";
  EXPECT_THAT(device_refusals({{"/dev/pmem0"}, {"/dev/pmem0"}, false}, view), IsEmpty());
}

TEST(DeviceChecks, ASignatureIsRefusedUnlessForced) {
  FixtureView view;
  view.found["/dev/pmem0"] = {"xfs signature at offset 0x0"};
  auto refusals = device_refusals({{"/dev/pmem0"}, {"/dev/pmem0"}, false}, view);
  ASSERT_THAT(refusals, SizeIs(1));
  EXPECT_THAT(refusals[0], AllOf(HasSubstr("refusing /dev/pmem0"), HasSubstr("xfs signature at offset 0x0"),
                                 HasSubstr("pass --force")));
  EXPECT_THAT(device_refusals({{"/dev/pmem0"}, {"/dev/pmem0"}, true}, view), IsEmpty());
}

TEST(DeviceChecks, EveryRefusalIsListedInOneError) {
  FixtureView view;
  view.found["/dev/pmem0"] = {"TYPE=ext4"};
  try {
    check_devices({{"/dev/pmem0", "/dev/pmem1"}, {"/dev/pmem0"}, false}, view);
    FAIL() << "expected a refusal";
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), kExitRefused);
    EXPECT_THAT(e.what(), AllOf(HasSubstr("TYPE=ext4"), HasSubstr("refusing /dev/pmem1")));
  }
}

TEST(DeviceChecks, NoDeviceAtAll) {
  FixtureView view;
  EXPECT_THAT(device_refusals({{}, {}, false}, view), ElementsAre(HasSubstr("no device to use")));
}

}  // namespace
}  // namespace poisonlab::local

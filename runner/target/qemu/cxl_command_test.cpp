// The CXL topology of the QEMU command line (issue 5).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "target/qemu/qemu_command.h"

namespace poisonlab {
namespace {
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

VmConfig cxl_config() {
  VmConfig c;
  c.vm_dir = "/runs/r1/vm0";
  c.kernel_image = "/k/bzImage";
  c.initramfs = "/k/initrd.cpio";
  c.agent_path = "/opt/pl/poisonlab-agent";
  c.cxl = CxlDeviceSpec{1 * kGiB};
  return c;
}

std::vector<std::string> values_of(const std::vector<std::string>& argv, const std::string& flag) {
  std::vector<std::string> out;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag) out.push_back(argv[i + 1]);
  return out;
}

std::vector<std::string> command() { return build_qemu_command(cxl_config(), {"/s/agent.sock", "/s/qmp.sock"}); }

TEST(CxlCommand, Q35WithCxlHostBridgeRootPortAndType3Device) {
  auto argv = command();
  EXPECT_THAT(values_of(argv, "-machine"), ElementsAre("q35,cxl=on"));
  EXPECT_THAT(values_of(argv, "-object"),
              ElementsAre("memory-backend-file,id=cxlmem0,share=on,mem-path=/runs/r1/vm0/cxl0.img,size=1073741824",
                          "memory-backend-file,id=cxllsa0,share=on,mem-path=/runs/r1/vm0/cxl0-lsa.img,size=262144"));
  auto devices = values_of(argv, "-device");
  EXPECT_THAT(devices, Contains("pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1"));
  EXPECT_THAT(devices, Contains("cxl-rp,port=0,bus=cxl.1,id=cxl_rp0,chassis=0,slot=2"));
  EXPECT_THAT(devices, Contains("cxl-type3,bus=cxl_rp0,persistent-memdev=cxlmem0,lsa=cxllsa0,id=cxl-pmem0,sn=0x1"));
  EXPECT_THAT(values_of(argv, "-M"), ElementsAre("cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G"));
  EXPECT_THAT(devices, Not(Contains(HasSubstr("nvdimm"))));
  // The machine check still needs an Intel vendor with broadcast support.
  EXPECT_THAT(values_of(argv, "-cpu"), ElementsAre("max,vendor=GenuineIntel,family=6,model=85"));
}

TEST(CxlCommand, VirtioDevicesOnTheRootBusExplicitly) {
  auto argv = command();
  EXPECT_THAT(values_of(argv, "-virtfs"), ElementsAre());
  auto fsdevs = values_of(argv, "-fsdev");
  ASSERT_EQ(fsdevs.size(), 3u);
  EXPECT_EQ(fsdevs[0], "local,id=fs-hostroot,path=/,security_model=none,readonly=on,multidevs=remap");
  EXPECT_EQ(fsdevs[1], "local,id=fs-agentdir,path=/opt/pl,security_model=none,readonly=on");
  EXPECT_EQ(fsdevs[2], "local,id=fs-rundir,path=/runs/r1/vm0/guest,security_model=none");
  auto devices = values_of(argv, "-device");
  for (const char* tag : {"hostroot", "agentdir", "rundir"})
    EXPECT_THAT(devices, Contains(std::string("virtio-9p-pci,fsdev=fs-") + tag + ",mount_tag=" + tag + ",bus=pcie.0"));
  EXPECT_THAT(devices, Contains("virtio-serial-pci,bus=pcie.0"));
}

TEST(CxlCommand, WindowCoversLargerDevices) {
  EXPECT_EQ(cxl_window_bytes({512 * kMiB}), 4 * kGiB);
  EXPECT_EQ(cxl_window_bytes({4 * kGiB}), 4 * kGiB);
  EXPECT_EQ(cxl_window_bytes({4 * kGiB + 256 * kMiB}), 5 * kGiB);
  VmConfig c = cxl_config();
  EXPECT_EQ(cxl_image_path(c), "/runs/r1/vm0/cxl0.img");
  EXPECT_EQ(cxl_lsa_path(c), "/runs/r1/vm0/cxl0-lsa.img");
}

TEST(CxlCommand, NvdimmCommandLineUnchanged) {
  VmConfig c = cxl_config();
  c.cxl.reset();
  c.nvdimms = {{1 * kGiB}};
  auto argv = build_qemu_command(c, {"/s/agent.sock", "/s/qmp.sock"});
  EXPECT_THAT(values_of(argv, "-machine"), ElementsAre("pc,nvdimm=on"));
  EXPECT_THAT(values_of(argv, "-virtfs"), Contains(HasSubstr("mount_tag=hostroot")));
  EXPECT_THAT(values_of(argv, "-fsdev"), ElementsAre());
  EXPECT_THAT(values_of(argv, "-device"), Contains("virtio-serial-pci"));
}

TEST(CxlCommand, ValidationNamesTheField) {
  VmConfig c = cxl_config();
  c.cxl->size_bytes = 300 * kMiB;
  try {
    validate_vm_config(c);
    ADD_FAILURE() << "accepted";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cxl.size_bytes: expected a positive multiple of 256 MiB, got 314572800"));
  }
  c = cxl_config();
  c.nvdimms = {{1 * kGiB}};
  EXPECT_THROW(validate_vm_config(c), UserError);
  c = cxl_config();
  EXPECT_NO_THROW(validate_vm_config(c));
}

}  // namespace
}  // namespace poisonlab

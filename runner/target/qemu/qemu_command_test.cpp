#include "target/qemu/qemu_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/temp_dir.h"
#include "target/qemu/unix_socket.h"

namespace poisonlab {
namespace {
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;
using ::testing::StartsWith;

VmConfig sample_config() {
  VmConfig c;
  c.vm_dir = "/runs/r1/vm0";
  c.kernel_image = "/k/vmlinuz";
  c.initramfs = "/k/initrd.cpio";
  c.agent_path = "/opt/pl/poisonlab-agent";
  c.nvdimms = {{1 * kGiB}};
  return c;
}

QemuSockets sample_sockets() { return {"/s/agent.sock", "/s/qmp.sock"}; }

// Values following each occurrence of flag.
std::vector<std::string> values_of(const std::vector<std::string>& argv, const std::string& flag) {
  std::vector<std::string> out;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag) out.push_back(argv[i + 1]);
  return out;
}

TEST(QemuCommand, NvdimmBackingIncludesTheLabel) {
  VmConfig c = sample_config();
  c.nvdimms = {{1 * kGiB}, {512 * kMiB, 256 * 1024}};
  auto argv = build_qemu_command(c, sample_sockets());
  EXPECT_THAT(values_of(argv, "-object"),
              ElementsAre("memory-backend-file,id=nvmem0,share=on,mem-path=/runs/r1/vm0/nvdimm0.img,size=1073872896",
                          "memory-backend-file,id=nvmem1,share=on,mem-path=/runs/r1/vm0/nvdimm1.img,size=537133056"));
  EXPECT_THAT(values_of(argv, "-device"), Contains("nvdimm,memdev=nvmem0,id=nv0,label-size=131072"));
  EXPECT_THAT(values_of(argv, "-device"), Contains("nvdimm,memdev=nvmem1,id=nv1,label-size=262144"));
  EXPECT_EQ(nvdimm_backing_bytes(c.nvdimms[1]), 512 * kMiB + 256 * 1024);
}

TEST(QemuCommand, SlotsAndMaxmemCoverAllNvdimmsWithSlack) {
  VmConfig c = sample_config();
  // 2 GiB RAM + (1 GiB + 128 KiB) -> rounded up to 4 GiB, plus 1 GiB.
  EXPECT_EQ(memory_slots(c), 2);
  EXPECT_EQ(max_memory_mib(c), 5120u);
  EXPECT_THAT(values_of(build_qemu_command(c, sample_sockets()), "-m"), ElementsAre("2048M,slots=2,maxmem=5120M"));

  c.nvdimms = {};
  EXPECT_EQ(memory_slots(c), 1);
  EXPECT_EQ(max_memory_mib(c), 3072u);

  c.memory_mib = 1000;
  c.nvdimms = {{2 * kGiB}, {2 * kGiB}, {2 * kGiB}};
  // 1000 MiB + 6 GiB + 384 KiB -> 7 GiB, plus 1 GiB.
  EXPECT_EQ(memory_slots(c), 4);
  EXPECT_EQ(max_memory_mib(c), 8192u);
}

TEST(QemuCommand, MachineAccelCpuAndNoReboot) {
  auto argv = build_qemu_command(sample_config(), sample_sockets());
  EXPECT_EQ(argv.front(), "qemu-system-x86_64");
  EXPECT_THAT(values_of(argv, "-machine"), ElementsAre("pc,nvdimm=on"));
  EXPECT_THAT(values_of(argv, "-accel"), ElementsAre("tcg"));
  EXPECT_THAT(values_of(argv, "-cpu"), ElementsAre("max,vendor=GenuineIntel,family=6,model=85"));
  EXPECT_THAT(values_of(argv, "-smp"), ElementsAre("2"));
  EXPECT_THAT(argv, Contains("-no-reboot"));
  EXPECT_THAT(values_of(argv, "-display"), ElementsAre("none"));
  EXPECT_THAT(values_of(argv, "-kernel"), ElementsAre("/k/vmlinuz"));
  EXPECT_THAT(values_of(argv, "-initrd"), ElementsAre("/k/initrd.cpio"));
}

TEST(QemuCommand, HostRootIsReadOnlyAndRundirIsTheGuestFolder) {
  auto argv = build_qemu_command(sample_config(), sample_sockets());
  EXPECT_THAT(values_of(argv, "-virtfs"),
              ElementsAre("local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
                          "local,path=/opt/pl,mount_tag=agentdir,security_model=none,readonly=on",
                          "local,path=/runs/r1/vm0/guest,mount_tag=rundir,security_model=none"));
}

TEST(QemuCommand, SocketsSerialAndAgentPort) {
  auto argv = build_qemu_command(sample_config(), sample_sockets());
  EXPECT_THAT(values_of(argv, "-chardev"),
              ElementsAre("file,id=serial0,path=/runs/r1/vm0/serial.log",
                          "socket,id=qmp,path=/s/qmp.sock,server=on,wait=off",
                          "socket,id=agent,path=/s/agent.sock,server=on,wait=off"));
  EXPECT_THAT(values_of(argv, "-serial"), ElementsAre("chardev:serial0"));
  EXPECT_THAT(values_of(argv, "-mon"), ElementsAre("chardev=qmp,mode=control"));
  EXPECT_THAT(values_of(argv, "-device"), Contains("virtio-serial-pci"));
  EXPECT_THAT(values_of(argv, "-device"), Contains("virtserialport,chardev=agent,name=poisonlab.agent"));
}

TEST(QemuCommand, CommasInPathsAreEscaped) {
  VmConfig c = sample_config();
  c.vm_dir = "/runs/a,b";
  auto argv = build_qemu_command(c, {"/s/x,y/agent.sock", "/s/x,y/qmp.sock"});
  EXPECT_THAT(values_of(argv, "-chardev"), Contains("socket,id=agent,path=/s/x,,y/agent.sock,server=on,wait=off"));
  EXPECT_THAT(values_of(argv, "-virtfs"), Contains("local,path=/runs/a,,b/guest,mount_tag=rundir,security_model=none"));
  EXPECT_EQ(qemu_opt_value("a,,b"), "a,,,,b");
}

TEST(QemuCommand, AgentFolderIsSharedReadOnly) {
  VmConfig c = sample_config();
  c.agent_path = "/tmp/b,x/poisonlab-agent";
  EXPECT_THAT(values_of(build_qemu_command(c, sample_sockets()), "-virtfs"),
              Contains("local,path=/tmp/b,,x,mount_tag=agentdir,security_model=none,readonly=on"));
}

TEST(QemuCommand, KernelCmdlineNamesAgentAndPortThenExtra) {
  VmConfig c = sample_config();
  c.extra_cmdline = "pl.cmd=/x/y,z loglevel=7";
  EXPECT_EQ(kernel_cmdline(c),
            "console=ttyS0 quiet panic=-1 maxcpus=1 poisonlab.agent=poisonlab-agent poisonlab.port=poisonlab.agent "
            "pl.cmd=/x/y,z loglevel=7");
  EXPECT_THAT(values_of(build_qemu_command(c, sample_sockets()), "-append"), ElementsAre(kernel_cmdline(c)));
  c.extra_cmdline = "";
  EXPECT_THAT(kernel_cmdline(c), ::testing::EndsWith("poisonlab.port=poisonlab.agent"));
}

TEST(QemuCommand, SecondaryCpusComeOnlineLateOnlyWithMoreThanOne) {
  VmConfig c = sample_config();
  EXPECT_THAT(kernel_cmdline(c), HasSubstr(" maxcpus=1 "));
  c.cpus = 1;
  EXPECT_THAT(kernel_cmdline(c), Not(HasSubstr("maxcpus")));
  c.cpus = 4;
  c.boot.late_secondary_cpus = false;
  EXPECT_THAT(kernel_cmdline(c), Not(HasSubstr("maxcpus")));
  EXPECT_THAT(values_of(build_qemu_command(c, sample_sockets()), "-smp"), ElementsAre("4"));
}

TEST(QemuCommand, FirmwareAndBootImageWhenResolved) {
  VmConfig c = sample_config();
  auto argv = build_qemu_command(c, sample_sockets());
  EXPECT_THAT(argv, Not(Contains("-bios")));
  EXPECT_THAT(values_of(argv, "-kernel"), ElementsAre("/k/vmlinuz"));
  EXPECT_EQ(describe_boot(c), (nlohmann::json{{"firmware", "default"}, {"kernel_entry", "bzimage"},
                                              {"late_secondary_cpus", true}}));
  c.firmware = "/usr/share/qemu/qboot.rom";
  c.boot_image = "/k/vmlinuz.pvh";
  argv = build_qemu_command(c, sample_sockets());
  EXPECT_THAT(values_of(argv, "-bios"), ElementsAre("/usr/share/qemu/qboot.rom"));
  EXPECT_THAT(values_of(argv, "-kernel"), ElementsAre("/k/vmlinuz.pvh"));
  EXPECT_THAT(values_of(argv, "-initrd"), ElementsAre("/k/initrd.cpio"));
  EXPECT_EQ(describe_boot(c), (nlohmann::json{{"firmware", "qboot"}, {"kernel_entry", "pvh"},
                                              {"late_secondary_cpus", true}}));
}

TEST(QemuCommand, ResolveUsesQbootAndThePvhImageWhenPresentOnly) {
  TempDir tmp;
  VmConfig c = sample_config();
  c.qemu_binary = "/nonexistent/qemu-system-x86_64";
  c.kernel_image = tmp.path() / "vmlinuz";

  // No PVH image from the kernel stage: it boots as a bzImage.
  VmConfig r = c;
  resolve_boot_files(r);
  EXPECT_TRUE(r.boot_image.empty());

  c.pvh_image = tmp.path() / "vmlinuz.pvh";
  r = c;
  resolve_boot_files(r);
  EXPECT_EQ(r.boot_image, tmp.path() / "vmlinuz.pvh");
  r = c;
  r.boot.pvh_entry = false;
  resolve_boot_files(r);
  EXPECT_TRUE(r.boot_image.empty());
  r = c;
  resolve_boot_files(r);
  EXPECT_TRUE(r.firmware.empty());  // SeaBIOS unless qboot is asked for
  r.boot.fast_firmware = true;
  r.firmware = "/my/bios.bin";  // set by hand: kept
  resolve_boot_files(r);
  EXPECT_EQ(r.firmware, "/my/bios.bin");
  r.firmware.clear();
  resolve_boot_files(r);
  if (auto rom = find_qboot_rom(r.qemu_binary)) {
    EXPECT_EQ(r.firmware, *rom);
  } else {
    EXPECT_TRUE(r.firmware.empty());  // no qboot.rom: the default firmware, not an error
  }

  fs::create_directories(tmp.path() / "share");
  auto system_rom = find_qboot_rom(c.qemu_binary, {tmp.path() / "share"});  // the host's, if QEMU ships one
  if (system_rom) {
    EXPECT_EQ(system_rom->filename(), "qboot.rom");
    EXPECT_NE(system_rom->parent_path(), tmp.path() / "share");
  }
  write_file_atomic(tmp.path() / "share/qboot.rom", "rom");
  EXPECT_EQ(find_qboot_rom(c.qemu_binary, {tmp.path() / "share"}), tmp.path() / "share/qboot.rom");
}

TEST(QemuCommand, FastBootSetting) {
  BootOptions b;
  EXPECT_FALSE(b.fast_firmware);  // qboot is opt-in: it leaves the MTRRs unprogrammed
  apply_fast_boot_setting(b, "");
  EXPECT_TRUE(b.pvh_entry && b.late_secondary_cpus);
  EXPECT_FALSE(b.fast_firmware);
  apply_fast_boot_setting(b, "1");
  EXPECT_TRUE(b.pvh_entry && b.late_secondary_cpus);
  EXPECT_FALSE(b.fast_firmware);
  apply_fast_boot_setting(b, "qboot,no-pvh,no-late-cpus");
  EXPECT_TRUE(b.fast_firmware);
  EXPECT_FALSE(b.pvh_entry || b.late_secondary_cpus);
  b = {};
  apply_fast_boot_setting(b, "qboot");
  EXPECT_TRUE(b.fast_firmware && b.pvh_entry && b.late_secondary_cpus);
  apply_fast_boot_setting(b, "0");
  EXPECT_FALSE(b.fast_firmware || b.pvh_entry || b.late_secondary_cpus);
  for (const char* bad : {"no-kaslr", "qboot,", "yes", "no-qboot"}) {
    try {
      apply_fast_boot_setting(b, bad);
      FAIL() << bad;
    } catch (const UserError& e) {
      EXPECT_EQ(e.exit_code(), kExitBadInput);
      EXPECT_THAT(e.what(), HasSubstr("POISONLAB_FAST_BOOT"));
    }
  }
}

void expect_bad_config(const VmConfig& c, const std::string& field) {
  try {
    validate_vm_config(c);
    FAIL() << "expected an error about " << field;
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_THAT(e.what(), HasSubstr(field));
  }
}

TEST(QemuCommand, ValidationNamesTheBadField) {
  EXPECT_NO_THROW(validate_vm_config(sample_config()));
  VmConfig c = sample_config();
  c.nvdimms = {{1 * kGiB}, {3 * kMiB}};
  expect_bad_config(c, "nvdimms[1].size_bytes");
  c = sample_config();
  c.nvdimms = {{1 * kGiB, 64 * 1024}};
  expect_bad_config(c, "nvdimms[0].label_bytes");
  c = sample_config();
  c.agent_path = "bin/poisonlab-agent";
  expect_bad_config(c, "agent_path");
  c.agent_path = "/opt/my agent";
  expect_bad_config(c, "agent_path");
  c.agent_path = "/opt/pl/";
  expect_bad_config(c, "agent_path");
  // The agent's folder is its own share: a build under /tmp (a tmpfs in the
  // guest) or with blanks in its folder works.
  c.agent_path = "/tmp/my build/poisonlab-agent";
  EXPECT_NO_THROW(validate_vm_config(c));
  c = sample_config();
  c.cpus = 0;
  expect_bad_config(c, "cpus");
}

TEST(QemuSocketDir, ShortVmDirHoldsTheSockets) {
  QemuSocketDir dir("/runs/r1/vm0");
  EXPECT_FALSE(dir.is_private_temp());
  EXPECT_EQ(dir.sockets().agent, "/runs/r1/vm0/agent.sock");
  EXPECT_EQ(dir.sockets().qmp, "/runs/r1/vm0/qmp.sock");
}

TEST(QemuSocketDir, LongVmDirUsesAPrivateTempDirRemovedAfterwards) {
  std::filesystem::path long_dir = "/runs/" + std::string(120, 'x');
  std::filesystem::path temp;
  {
    QemuSocketDir dir(long_dir);
    EXPECT_TRUE(dir.is_private_temp());
    EXPECT_THAT(dir.sockets().agent.string(), StartsWith("/tmp/poisonlab-sock-"));
    EXPECT_LE(dir.sockets().agent.native().size(), kMaxUnixSocketPath);
    temp = dir.sockets().agent.parent_path();
    EXPECT_EQ(dir.sockets().qmp.parent_path(), temp);
    EXPECT_TRUE(std::filesystem::is_directory(temp));
  }
  EXPECT_FALSE(std::filesystem::exists(temp));
}

}  // namespace
}  // namespace poisonlab

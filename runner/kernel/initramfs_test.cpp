#include "kernel/initramfs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/fs_util.h"
#include "common/process.h"
#include "guest_init.h"
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

TEST(Cpio, RoundTripsEntriesInOrder) {
  CpioWriter w;
  w.add_directory("bin");
  w.add_file("bin/tool", "abc", 0755);  // sizes not a multiple of 4 exercise padding
  w.add_file("init", "#!/bin/sh\necho hi\n", 0700);
  w.add_char_device("dev/console", 5, 1);
  std::string archive = w.finish();
  EXPECT_EQ(archive.compare(0, 6, "070701"), 0);
  EXPECT_EQ(archive.size() % 4, 0u);
  auto entries = read_cpio(archive);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].path, "bin");
  EXPECT_EQ(entries[0].mode, 040755u);
  EXPECT_EQ(entries[1].path, "bin/tool");
  EXPECT_EQ(entries[1].mode, 0100755u);
  EXPECT_EQ(entries[1].data, "abc");
  EXPECT_EQ(entries[2].data, "#!/bin/sh\necho hi\n");
  EXPECT_EQ(entries[3].mode, 020600u);
  EXPECT_NE(archive.find("TRAILER!!!"), std::string::npos);
}

TEST(Cpio, RejectsTruncatedArchives) {
  CpioWriter w;
  w.add_file("init", "data");
  std::string archive = w.finish();
  EXPECT_THROW(read_cpio(archive.substr(0, archive.size() - 130)), UserError);
  EXPECT_THROW(read_cpio("070702"), UserError);
}

TEST(InitramfsModuleName, DropsDirectoryAndCompressionSuffix) {
  EXPECT_EQ(initramfs_module_name("kernel/fs/xfs/xfs.ko.xz"), "xfs.ko");
  EXPECT_EQ(initramfs_module_name("kernel/drivers/md/dm-mod.ko"), "dm-mod.ko");
}

TEST(BuildInitramfs, ContainsBusyboxInitModulesAndOrder) {
  TempDir tmp;
  write(tmp.path() / "busybox", "fake busybox");
  fs::path root = tmp.path() / "lib/modules/6.9.0";
  write(root / "kernel/net/9p/9pnet.ko", "9pnet module");
  std::vector<std::string> paths = {"kernel/net/9p/9pnet.ko"};
  bool have_xz = find_program("xz").has_value();
  if (have_xz) {
    write(root / "kernel/fs/xfs/xfs.ko", "xfs module bytes");
    run_checked({"xz", root / "kernel/fs/xfs/xfs.ko"});  // leaves xfs.ko.xz
    paths.push_back("kernel/fs/xfs/xfs.ko.xz");
  }
  fs::path out = tmp.path() / "initramfs.cpio";
  auto names = build_initramfs({tmp.path() / "busybox", "#!/bin/busybox sh\n", root, paths}, out);
  auto entries = read_cpio(read_file(out));
  std::map<std::string, CpioEntry> by_path;
  for (const auto& e : entries) by_path[e.path] = e;
  EXPECT_EQ(by_path.at("bin/busybox").data, "fake busybox");
  EXPECT_EQ(by_path.at("bin/busybox").mode, 0100755u);
  EXPECT_EQ(by_path.at("init").data, "#!/bin/busybox sh\n");
  EXPECT_EQ(by_path.at("lib/modules/9pnet.ko").data, "9pnet module");
  EXPECT_TRUE(by_path.count("dev/console"));
  EXPECT_TRUE(by_path.count("host"));
  if (have_xz) {
    EXPECT_THAT(names, ElementsAre("9pnet.ko", "xfs.ko"));
    EXPECT_EQ(by_path.at("lib/modules/xfs.ko").data, "xfs module bytes");
    EXPECT_EQ(by_path.at("modules.order").data, "9pnet.ko\nxfs.ko\n");
  } else {
    EXPECT_EQ(by_path.at("modules.order").data, "9pnet.ko\n");
  }
}

TEST(BuildInitramfs, TwoModulesWithTheSameFileNameAreAnError) {
  TempDir tmp;
  write(tmp.path() / "busybox", "bb");
  write(tmp.path() / "m/a/x.ko", "1");
  write(tmp.path() / "m/b/x.ko", "2");
  try {
    build_initramfs({tmp.path() / "busybox", "", tmp.path() / "m", {"a/x.ko", "b/x.ko"}}, tmp.path() / "out");
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("two modules named x.ko"));
  }
}

TEST(BuildInitramfs, UnknownModuleSuffixIsAnError) {
  TempDir tmp;
  write(tmp.path() / "x.ko.bz2", "1");
  EXPECT_THROW(read_module(tmp.path() / "x.ko.bz2"), UserError);
}

// A minimal ELF64 header with one program header of the given type.
std::string elf_with_program_header(uint32_t type) {
  std::string elf(64 + 56, '\0');
  std::memcpy(elf.data(), "\x7f" "ELF\x02\x01\x01", 7);
  uint64_t phoff = 64;
  uint16_t phentsize = 56, phnum = 1;
  std::memcpy(elf.data() + 0x20, &phoff, 8);
  std::memcpy(elf.data() + 0x36, &phentsize, 2);
  std::memcpy(elf.data() + 0x38, &phnum, 2);
  std::memcpy(elf.data() + 64, &type, 4);
  return elf;
}

TEST(ElfIsStatic, ProgramInterpreterMeansDynamic) {
  EXPECT_TRUE(elf_is_static(elf_with_program_header(1)));   // PT_LOAD only
  EXPECT_FALSE(elf_is_static(elf_with_program_header(3)));  // PT_INTERP
  EXPECT_FALSE(elf_is_static("#!/bin/sh\n"));
}

TEST(GuestInit, EmbeddedScriptIsTheSourceFile) {
  EXPECT_EQ(std::string(kGuestInitScript),
            read_file(fs::path(POISONLAB_SOURCE_DIR) / "runner/kernel/guest_init.sh"));
}

TEST(GuestInit, ScriptParsesAndKeepsTheContract) {
  std::string script = kGuestInitScript;
  EXPECT_EQ(script.rfind("#!/bin/busybox sh\n", 0), 0u);
  for (const char* needle : {"poisonlab.agent=", "poisonlab.port=", "hostroot", "rundir", "agentdir",
                             "/host/run/poisonlab/init-times", "init_start", "modules_loaded", "--port",
                             "/proc/sysrq-trigger", "agent exited with status", "tracefs", "debugfs"}) {
    EXPECT_NE(script.find(needle), std::string::npos) << needle;
  }
  auto shell = find_program("busybox");
  if (!shell) GTEST_SKIP() << "busybox not installed";
  RunOptions options;
  options.input = script;
  auto r = run_command({shell->string(), "sh", "-n"}, options);
  EXPECT_TRUE(r.ok()) << r.out << r.err;
}

}  // namespace
}  // namespace poisonlab

#include "run/vm_job.h"

#include <sys/wait.h>

#include <csignal>

#include <gtest/gtest.h>

namespace poisonlab {
namespace {

int killed_by(int signo) { return signo; }  // a raw wait status: WIFSIGNALED with that signal
int exited_with(int code) { return code << 8; }

TEST(ClassifyVmFailure, TheConsoleNamesAPanicOrAnAgentThatDied) {
  std::string panic = "[  9.1] sysrq: Trigger a crash\n[  9.2] Kernel panic - not syncing: sysrq triggered crash\n";
  EXPECT_EQ(classify_vm_failure("qemu-exited", panic, exited_with(0)), "guest-panic");
  EXPECT_EQ(classify_vm_failure("kernel-crash", panic, std::nullopt), "guest-panic");
  std::string agent = "poisonlab-init: agent exited with status 134\n";
  EXPECT_EQ(classify_vm_failure("qemu-exited", agent, exited_with(0)), "agent-crash");
  EXPECT_EQ(classify_vm_failure("channel-closed", agent, std::nullopt), "agent-crash");
}

TEST(ClassifyVmFailure, QemuEndingOnASignalNobodySentIsACrash) {
  ASSERT_TRUE(WIFSIGNALED(killed_by(SIGKILL)));
  EXPECT_EQ(classify_vm_failure("qemu-exited", "", killed_by(SIGKILL)), "qemu-crash");
  EXPECT_EQ(classify_vm_failure("qemu-exited", "", killed_by(SIGSEGV)), "qemu-crash");
  EXPECT_EQ(classify_vm_failure("qemu-exited", "", exited_with(1)), "qemu-exited");
  // The runner's own kills keep what they were for.
  EXPECT_EQ(classify_vm_failure("hang", "", killed_by(SIGKILL)), "hang");
  EXPECT_EQ(classify_vm_failure("timeout", "", killed_by(SIGKILL)), "timeout");
}

}  // namespace
}  // namespace poisonlab

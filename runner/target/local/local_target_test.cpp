#include "target/local/local_target.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/fs_util.h"
#include "common/temp_dir.h"

namespace poisonlab {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using std::chrono::milliseconds;

// A stand-in agent: a shell script speaking JSON lines over --channel-fd N.
// It says hello, answers run-cell with a cell-result echoing its argv, and
// bye on shutdown. BEHAVIOUR picks a misbehaviour.
constexpr const char* kFakeAgent = R"(#!/bin/sh
fd=$2
echo "fake agent started: $*" >&2
case "$BEHAVIOUR" in
  exit3) echo "fake agent: giving up" >&2; exit 3 ;;
  silent) sleep 30; exit 0 ;;
esac
printf '{"type":"hello","argv":"%s"}\n' "$*" >&$fd
while read -r line <&$fd; do
  case "$line" in
    *'"shutdown"'*) printf '{"type":"bye"}\n' >&$fd; exit 0 ;;
    *'"run-cell"'*) printf '{"type":"cell-result","cell_id":"c1","observation":{}}\n' >&$fd ;;
  esac
done
)";

class LocalTargetTest : public ::testing::Test {
 protected:
  LocalTargetOptions options(const std::string& behaviour = "") {
    fs::path agent = dir / ("agent" + behaviour + ".sh");
    std::ofstream(agent) << std::string(kFakeAgent).replace(std::string(kFakeAgent).find("$BEHAVIOUR"), 10,
                                                            behaviour.empty() ? "none" : behaviour);
    fs::permissions(agent, fs::perms::owner_all);
    LocalTargetOptions o;
    o.allow_devices = {"/dev/pmem0", "/dev/pmem1"};
    o.devices = {"/dev/pmem1"};
    o.force = true;
    o.agent_path = agent;
    return o;
  }
  TempDir dir{"local-target-test"};
};

TEST_F(LocalTargetTest, StartsTheAgentWithItsDevicesAndTalksOverTheSocket) {
  LocalTarget target(options(), dir.path());
  target.start();
  auto hello = target.receive(milliseconds(5000));
  EXPECT_EQ(hello.value("type", ""), "hello");
  std::string argv = hello.value("argv", "");
  EXPECT_THAT(argv, HasSubstr("--local --device /dev/pmem1 --allow-device /dev/pmem0 --allow-device /dev/pmem1 --force"));
  EXPECT_EQ(target.agent_command()[1], "--channel-fd");
  target.send({{"type", "run-cell"}, {"cell_id", "c1"}, {"cell", nlohmann::json::object()}});
  EXPECT_EQ(target.receive(milliseconds(5000)).value("type", ""), "cell-result");
  // Nothing more comes: try_receive times out without failing.
  EXPECT_FALSE(target.try_receive(milliseconds(200)));
  target.shutdown(milliseconds(5000));
  EXPECT_EQ(target.shutdown_outcome(), "agent");
  // The agent's stderr is in the console log the runner watches.
  EXPECT_THAT(read_file(target.serial_log()), HasSubstr("fake agent started"));
  EXPECT_EQ(target.serial_log(), dir.path() / "local" / "console.log");
}

TEST_F(LocalTargetTest, AnAgentThatExitsIsReportedWithItsStatusAndStderr) {
  LocalTarget target(options("exit3"), dir.path());
  target.start();
  try {
    target.receive(milliseconds(5000));
    FAIL() << "expected a TargetFailure";
  } catch (const TargetFailure& f) {
    EXPECT_EQ(f.kind, "agent-exited");
    EXPECT_THAT(f.detail, HasSubstr("exit 3"));
    EXPECT_THAT(f.serial_tail, HasSubstr("fake agent: giving up"));
    EXPECT_TRUE(f.qemu_wait_status.has_value());
  }
}

TEST_F(LocalTargetTest, ASilentAgentIsAHangAndIsKilled) {
  LocalTarget target(options("silent"), dir.path());
  target.start();
  auto started = std::chrono::steady_clock::now();
  try {
    target.receive(milliseconds(300));
    FAIL() << "expected a TargetFailure";
  } catch (const TargetFailure& f) {
    EXPECT_EQ(f.kind, "hang");
    ASSERT_TRUE(f.qemu_wait_status.has_value());  // reaped: it was killed, not left behind
    EXPECT_THAT(describe_wait_status(*f.qemu_wait_status), HasSubstr("signal"));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  target.shutdown(milliseconds(100));
  EXPECT_EQ(target.shutdown_outcome(), "already-exited");
}

TEST_F(LocalTargetTest, HasNoMonitorAndDescribesTheMachine) {
  LocalTarget target(options(), dir.path());
  target.start();
  try {
    target.human_monitor("mce -b 0 9 0xbd000000000000c0 5 0x100000000 0x8c");
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no machine monitor"));
    EXPECT_THAT(e.what(), HasSubstr("mce -b 0"));
  }
  EXPECT_THROW(target.qmp_command("cxl-inject-poison", nlohmann::json::object()), UserError);
  auto d = target.describe();
  EXPECT_EQ(d.at("backend"), "local");
  EXPECT_EQ(d.at("devices").size(), 1u);
  EXPECT_EQ(d.at("devices")[0].at("path"), "/dev/pmem1");
  EXPECT_EQ(d.at("force"), true);
  EXPECT_FALSE(d.at("kernel_release").get<std::string>().empty());
}

// The kernel's log reaches the console log (needs root for /dev/kmsg).
TEST_F(LocalTargetTest, KernelLogLinesReachTheConsoleLog) {
  if (::access("/dev/kmsg", W_OK) != 0 || !find_program("dmesg")) GTEST_SKIP() << "needs a writable /dev/kmsg and dmesg";
  LocalTarget target(options(), dir.path());
  target.start();
  target.receive(milliseconds(5000));
  std::string marker = "poisonlab local_target_test marker " + std::to_string(::getpid());
  std::string text;
  for (int i = 0; i < 50 && text.find(marker) == std::string::npos; ++i) {
    std::ofstream("/dev/kmsg") << marker << "\n";  // dmesg may not be following yet: repeat until it shows
    std::this_thread::sleep_for(milliseconds(100));
    text = read_file(target.serial_log());
  }
  EXPECT_THAT(text, HasSubstr("] " + marker));  // formatted like a console line
  target.shutdown(milliseconds(5000));
}

TEST(LocalTargetSafety, RefusesBeforeAnyCell) {
  LocalTargetOptions o;
  o.allow_devices = {"/nonexistent/pmem9"};
  try {
    check_local_target_safety(o, {});
    FAIL() << "expected a refusal";
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), local::kExitRefused);
    EXPECT_THAT(e.what(), HasSubstr("refusing /nonexistent/pmem9: not a block device"));
  }
}

}  // namespace
}  // namespace poisonlab

// QemuTarget's failure paths with a fake "qemu" (a shell script given as
// qemu_binary); the test itself serves the agent and QMP sockets. No VM.
#include "target/qemu/qemu_target.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "target/qemu/fake_qemu_test_util.h"

namespace poisonlab {
namespace {
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::FakeQmpServer;
using json = nlohmann::json;
namespace fs = std::filesystem;

void write_text(const fs::path& path, const std::string& text, bool executable = false) {
  std::ofstream(path) << text;
  if (executable) fs::permissions(path, fs::perms::owner_all);
}

struct QemuTargetTest : ::testing::Test {
  TempDir dir{"pl-target-test"};
  fs::path vm_dir = dir.path() / "vm0";
  fs::path exit_flag = dir.path() / "exit-now";

  void SetUp() override {
    fs::create_directories(vm_dir);
    write_text(dir.path() / "vmlinuz", "kernel");
    write_text(dir.path() / "initrd", "initrd");
  }

  // A fake qemu running body (sh).
  VmConfig config_with(const std::string& body) {
    fs::path script = dir.path() / "fake-qemu";
    write_text(script, "#!/bin/sh\n" + body + "\n", true);
    VmConfig c;
    c.vm_dir = vm_dir;
    c.kernel_image = dir.path() / "vmlinuz";
    c.initramfs = dir.path() / "initrd";
    c.agent_path = "/usr/bin/true";
    c.nvdimms = {{2 * kMiB}};
    c.qemu_binary = script;
    c.start_timeout = 5s;
    return c;
  }
  // Runs until exit_flag appears.
  VmConfig config_waiting_for_flag() {
    return config_with("while [ ! -e " + exit_flag.string() + " ]; do sleep 0.02; done; exit 0");
  }
  void raise_exit_flag() { write_text(exit_flag, ""); }

  // QMP that answers version/status/HMP and raises exit_flag on quit.
  std::unique_ptr<FakeQmpServer> serve_qmp() {
    return std::make_unique<FakeQmpServer>(vm_dir / "qmp.sock", [this](const json& r) -> std::vector<std::string> {
      std::string cmd = r.value("execute", "");
      if (cmd == "query-version")
        return FakeQmpServer::ok(R"({"qemu": {"major": 10, "minor": 0, "micro": 2}, "package": "fake"})");
      if (cmd == "query-status") return FakeQmpServer::ok(R"({"status": "running", "running": true})");
      if (cmd == "human-monitor-command") return FakeQmpServer::ok(R"("fake monitor says hi")");
      if (cmd == "quit") {
        raise_exit_flag();
        return {R"({"event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}})", "CLOSE"};
      }
      return FakeQmpServer::ok();
    });
  }
};

TargetFailure expect_failure(const std::function<void()>& action, const std::string& kind) {
  try {
    action();
  } catch (const TargetFailure& f) {
    EXPECT_EQ(f.kind, kind) << f.what();
    return f;
  }
  ADD_FAILURE() << "expected TargetFailure " << kind;
  return TargetFailure("none", "", "");
}

TEST_F(QemuTargetTest, QemuExitingAtOnceIsReportedWithItsStatusAndLog) {
  QemuTarget target(config_with("echo 'fake qemu: cannot open kernel' >&2; exit 3"));
  auto f = expect_failure([&] { target.start(); }, "qemu-exited");
  ASSERT_TRUE(f.qemu_wait_status.has_value());
  EXPECT_TRUE(WIFEXITED(*f.qemu_wait_status));
  EXPECT_EQ(WEXITSTATUS(*f.qemu_wait_status), 3);
  EXPECT_THAT(f.detail, HasSubstr("exit 3"));
  EXPECT_THAT(f.detail, HasSubstr("cannot open kernel"));
  EXPECT_EQ(f.to_json()["qemu_status"], "exit 3");
}

TEST_F(QemuTargetTest, QemuNeverOpeningItsSocketsIsAStartTimeoutAndIsKilled) {
  VmConfig c = config_with("exec sleep 600");
  c.start_timeout = 300ms;
  QemuTarget target(c);
  auto f = expect_failure([&] { target.start(); }, "start-timeout");
  EXPECT_THAT(f.detail, HasSubstr("agent socket"));
  ASSERT_TRUE(target.qemu_wait_status().has_value());
  EXPECT_TRUE(WIFSIGNALED(*target.qemu_wait_status()));
}

TEST_F(QemuTargetTest, StartCreatesTheVmFolderAndSparseNvdimmImage) {
  VmConfig c = config_with("exit 0");
  c.nvdimms = {{4 * kMiB, 256 * 1024}};
  c.keep_nvdimm_images = true;
  {
    QemuTarget target(c);
    EXPECT_THROW(target.start(), TargetFailure);
  }
  EXPECT_TRUE(fs::is_directory(vm_dir / "guest"));
  EXPECT_EQ(fs::file_size(vm_dir / "nvdimm0.img"), 4 * kMiB + 256 * 1024);
  struct stat st{};
  ASSERT_EQ(::stat((vm_dir / "nvdimm0.img").c_str(), &st), 0);
  EXPECT_EQ(st.st_blocks, 0);  // sparse
}

TEST_F(QemuTargetTest, NvdimmImagesAreRemovedUnlessKept) {
  {
    QemuTarget target(config_with("exit 0"));
    EXPECT_THROW(target.start(), TargetFailure);
    EXPECT_TRUE(fs::exists(vm_dir / "nvdimm0.img"));
  }
  EXPECT_FALSE(fs::exists(vm_dir / "nvdimm0.img"));
}

TEST_F(QemuTargetTest, MissingKernelImageIsNamed) {
  VmConfig c = config_with("exit 0");
  c.kernel_image = dir.path() / "absent-vmlinuz";
  QemuTarget target(c);
  try {
    target.start();
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("absent-vmlinuz"));
  }
}

TEST_F(QemuTargetTest, MissingQemuBinaryNamesThePackage) {
  VmConfig c = config_with("exit 0");
  c.qemu_binary = "qemu-system-nonexistent-arch";
  QemuTarget target(c);
  try {
    target.start();
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("qemu-system-x86"));
  }
}

TEST_F(QemuTargetTest, ReceivesMessagesThenDetectsAHangAndKillsTheVm) {
  testing::UnixListener agent_listener(vm_dir / "agent.sock");
  auto qmp = serve_qmp();
  auto owned = std::make_unique<QemuTarget>(config_with("exec sleep 600"));
  QemuTarget& target = *owned;
  std::thread agent([&] {
    auto conn = agent_listener.accept();
    testing::write_line(conn.get(), R"({"type":"hello","agent_version":"0.1.0"})");
    testing::read_line(conn.get(), 10000);  // holds the channel open until the target closes it
  });
  target.start();
  write_text(vm_dir / "serial.log", "boot line\n[  1.0] agent started\n");
  EXPECT_EQ(target.describe()["qemu_version"], "10.0.2");
  EXPECT_EQ(target.describe()["backend"], "qemu");
  ASSERT_TRUE(target.spawned_at() && target.channel_connected_at());
  EXPECT_LE(*target.spawned_at(), *target.channel_connected_at());
  EXPECT_EQ(target.human_monitor("info version"), "fake monitor says hi");

  EXPECT_EQ(target.receive(10s)["type"], "hello");
  auto f = expect_failure([&] { target.receive(300ms); }, "hang");
  EXPECT_THAT(f.detail, HasSubstr("no agent message within 300 ms"));
  EXPECT_THAT(f.detail, HasSubstr("run state: running"));
  EXPECT_THAT(f.serial_tail, HasSubstr("agent started"));
  ASSERT_TRUE(target.qemu_wait_status().has_value());
  EXPECT_EQ(WTERMSIG(*target.qemu_wait_status()), SIGKILL);
  // Dead now: further use reports the exit, shutdown does not throw.
  expect_failure([&] { target.send({{"type", "shutdown"}}); }, "qemu-exited");
  EXPECT_NO_THROW(target.shutdown(100ms));
  EXPECT_EQ(target.shutdown_outcome(), "already-exited");
  owned.reset();
  agent.join();
}

TEST_F(QemuTargetTest, MessagesSentBeforeQemuExitedAreDeliveredThenTheExit) {
  testing::UnixListener agent_listener(vm_dir / "agent.sock");
  auto qmp = serve_qmp();
  auto owned = std::make_unique<QemuTarget>(config_waiting_for_flag());
  QemuTarget& target = *owned;
  std::thread agent([&] {
    auto conn = agent_listener.accept();
    testing::write_line(conn.get(), R"({"type":"cell-result"})");
    testing::write_line(conn.get(), R"({"type":"bye"})");
    raise_exit_flag();
    testing::read_line(conn.get(), 10000);
  });
  target.start();
  EXPECT_EQ(target.receive(10s)["type"], "cell-result");
  EXPECT_EQ(target.receive(10s)["type"], "bye");
  auto f = expect_failure([&] { target.receive(10s); }, "qemu-exited");
  ASSERT_TRUE(f.qemu_wait_status.has_value());
  EXPECT_EQ(describe_wait_status(*f.qemu_wait_status), "exit 0");
  owned.reset();
  agent.join();
}

TEST_F(QemuTargetTest, ChannelClosedWhileQemuRuns) {
  testing::UnixListener agent_listener(vm_dir / "agent.sock");
  auto qmp = serve_qmp();
  QemuTarget target(config_waiting_for_flag());
  std::thread agent([&] { agent_listener.accept(); });  // accepts and closes at once
  target.start();
  agent.join();
  auto f = expect_failure([&] { target.receive(10s); }, "channel-closed");
  EXPECT_FALSE(f.qemu_wait_status.has_value());
  target.shutdown(100ms);  // the agent cannot be asked: QMP quit
  EXPECT_EQ(target.shutdown_outcome(), "qmp-quit");
}

TEST_F(QemuTargetTest, ShutdownAsksTheAgentFirst) {
  testing::UnixListener agent_listener(vm_dir / "agent.sock");
  auto qmp = serve_qmp();
  QemuTarget target(config_waiting_for_flag());
  std::string received;
  std::thread agent([&] {
    auto conn = agent_listener.accept();
    received = testing::read_line(conn.get(), 10000);
    if (json::parse(received, nullptr, false).value("type", "") == "shutdown") raise_exit_flag();
  });
  target.start();
  target.shutdown(10s);
  agent.join();
  EXPECT_EQ(json::parse(received)["type"], "shutdown");
  EXPECT_EQ(target.shutdown_outcome(), "agent");
  EXPECT_EQ(describe_wait_status(target.qemu_wait_status().value()), "exit 0");
}

TEST_F(QemuTargetTest, ShutdownFallsBackToQmpQuit) {
  testing::UnixListener agent_listener(vm_dir / "agent.sock");
  auto qmp = serve_qmp();
  QemuTarget target(config_waiting_for_flag());
  std::thread agent([&] {
    auto conn = agent_listener.accept();
    testing::read_line(conn.get(), 10000);  // ignores the shutdown request
  });
  target.start();
  target.shutdown(200ms);
  agent.join();
  EXPECT_EQ(target.shutdown_outcome(), "qmp-quit");
}

}  // namespace
}  // namespace poisonlab

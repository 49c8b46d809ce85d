#include "agent/agent_env.h"

#include <unistd.h>

#include <fstream>
#include <gtest/gtest.h>
#include "common/temp_dir.h"

namespace poisonlab::agent {
namespace {

TEST(AgentEnv, CmdlineValue) {
  std::string cmdline = "console=ttyS0 quiet poisonlab.agent=/usr/bin/a poisonlab.port=poisonlab.agent panic=-1\n";
  EXPECT_EQ(cmdline_value(cmdline, "poisonlab.port").value_or(""), "poisonlab.agent");
  EXPECT_EQ(cmdline_value(cmdline, "poisonlab.agent").value_or(""), "/usr/bin/a");
  EXPECT_FALSE(cmdline_value(cmdline, "poisonlab").has_value());
  EXPECT_FALSE(cmdline_value(cmdline, "quiet").has_value());
}

TEST(AgentEnv, InitTimes) {
  auto j = parse_init_times("init_start 4.83\nmodules_loaded 9.150000001\n");
  EXPECT_EQ(j["init_start_uptime_ns"], 4830000000u);
  EXPECT_EQ(j["modules_loaded_uptime_ns"], 9150000001u);
  auto missing = parse_init_times("init_start x\n");
  EXPECT_TRUE(missing["init_start_uptime_ns"].is_null());
  EXPECT_TRUE(missing["modules_loaded_uptime_ns"].is_null());
}

TEST(AgentEnv, FindsPortByName) {
  TempDir dir("pl-ports");
  dir.write("vport0p0/name", "org.qemu.guest_agent.0\n");
  dir.write("vport1p1/name", "poisonlab.agent\n");
  EXPECT_EQ(find_virtio_port("poisonlab.agent", dir.path()).value_or(""), "/dev/vport1p1");
  EXPECT_FALSE(find_virtio_port("other", dir.path()).has_value());
}

TEST(AgentEnv, HelloHasProtocolFields) {
  auto h = hello_message("/nonexistent");
  EXPECT_EQ(h["type"], "hello");
  for (const char* k : {"agent_version", "kernel_release", "uptime_ns", "init_start_uptime_ns",
                        "modules_loaded_uptime_ns"})
    EXPECT_TRUE(h.contains(k)) << k;
  EXPECT_TRUE(h["init_start_uptime_ns"].is_null());
}

}  // namespace
}  // namespace poisonlab::agent

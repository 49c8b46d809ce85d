#include "run/agent_requests.h"

#include <algorithm>
#include <functional>

#include <gtest/gtest.h>

#include "common/error.h"

namespace poisonlab {
namespace {

using nlohmann::json;

json mce_request() {
  return {{"type", "request"}, {"action", "mce"},      {"cpu", 0},           {"bank", 9},
          {"status", 0xbd000000000000c0ull},   {"mcg_status", 5}, {"addr", 0x10027b000ull}, {"misc", 0x8c}};
}

TEST(AgentRequests, MceBecomesABroadcastMonitorCommand) {
  EXPECT_EQ(monitor_command_for(mce_request()), "mce -b 0 9 0xbd000000000000c0 0x5 0x10027b000 0x8c");
  json r = mce_request();
  r["broadcast"] = false;
  EXPECT_EQ(monitor_command_for(r), "mce 0 9 0xbd000000000000c0 0x5 0x10027b000 0x8c");
}

TEST(AgentRequests, OnlyKnownActionsWithTypedFields) {
  json r = mce_request();
  r["action"] = "dump-guest-memory /etc/passwd";
  EXPECT_THROW(monitor_command_for(r), UserError);
  r = mce_request();
  r["addr"] = "0x1000; quit";
  try {
    monitor_command_for(r);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("/addr"), std::string::npos);
  }
  r = mce_request();
  r["bank"] = 99;
  EXPECT_THROW(monitor_command_for(r), UserError);
}


const char* kTwoCpus =
    "\nCPU#0\nRAX=0 RBX=0\nRIP=ffffffff81000000 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"
    "\nCPU#1\nRAX=0\nRIP=00007f0000001000 RFL=00000202 [-------] CPL=3 II=0 A20=1 SMM=0 HLT=0\n";

TEST(AgentRequests, ReadsTheCplOfEachVcpu) {
  EXPECT_EQ(cpl_of_cpu(kTwoCpus, 0), 0);
  EXPECT_EQ(cpl_of_cpu(kTwoCpus, 1), 3);
  EXPECT_EQ(cpl_of_cpu(kTwoCpus, 2), std::nullopt);
  EXPECT_EQ(cpl_of_cpu("RIP=0 CPL=3 II=0", 0), 3);
  EXPECT_EQ(cpl_of_cpu("no registers here", 0), std::nullopt);
}

// A monitor that reports CPU 0 in the kernel for the first `kernel_tries`
// looks, and records every command.
struct FakeMonitor {
  int kernel_tries = 0;
  int looks = 0;
  std::vector<std::string> commands;
  std::string operator()(const std::string& c) {
    commands.push_back(c);
    if (c != "info registers -a") return "";
    return ++looks <= kernel_tries ? "CPU#0\nCPL=0\nCPU#1\nCPL=3\n" : "CPU#0\nCPL=3\nCPU#1\nCPL=0\n";
  }
};

TEST(AgentRequests, UserModeMceWaitsForCpl3AndAlwaysContinues) {
  FakeMonitor fake{.kernel_tries = 2};
  json request = mce_request();
  request["user_mode"] = true;
  json reply;
  serve_monitor_request(std::ref(fake), request, reply);
  EXPECT_EQ(reply["attempts"], 3);
  EXPECT_EQ(reply["cpl"], 3);
  std::vector<std::string> expected;
  for (int i = 0; i < 2; ++i) expected.insert(expected.end(), {"stop", "info registers -a", "cont"});
  expected.insert(expected.end(), {"stop", "info registers -a", reply["command"].get<std::string>(), "cont"});
  EXPECT_EQ(fake.commands, expected);
}

TEST(AgentRequests, PlainMceIsOneCommand) {
  FakeMonitor fake;
  json reply;
  serve_monitor_request(std::ref(fake), mce_request(), reply);
  EXPECT_EQ(fake.commands, std::vector<std::string>{reply["command"].get<std::string>()});
  EXPECT_FALSE(reply.contains("attempts"));
}

TEST(AgentRequests, UserModeMceGivesUpWithTheVmRunning) {
  FakeMonitor fake{.kernel_tries = 1000000};
  json request = mce_request();
  request["user_mode"] = true;
  json reply;
  EXPECT_THROW(serve_monitor_request(std::ref(fake), request, reply), UserError);
  EXPECT_EQ(fake.commands.back(), "cont");
  EXPECT_EQ(std::count(fake.commands.begin(), fake.commands.end(), "stop"),
            std::count(fake.commands.begin(), fake.commands.end(), "cont"));
}

}  // namespace
}  // namespace poisonlab

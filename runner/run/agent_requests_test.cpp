#include "run/agent_requests.h"

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

}  // namespace
}  // namespace poisonlab

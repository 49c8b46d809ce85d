#include "agent/heartbeat.h"

#include <sys/socket.h>

#include <gtest/gtest.h>

namespace poisonlab::agent {
namespace {

TEST(Heartbeat, ProgressMessageShape) {
  auto m = progress_message("debian-6.12/raw/madvise", "trial", 2);
  EXPECT_EQ(m["type"], "progress");
  EXPECT_EQ(m["cell_id"], "debian-6.12/raw/madvise");
  EXPECT_EQ(m["stage"], "trial");
  EXPECT_EQ(m["trial"], 2);
  EXPECT_TRUE(m["time_ns"].is_number_unsigned());
  EXPECT_TRUE(progress_message("c", "stack", std::nullopt)["trial"].is_null());
  EXPECT_FALSE(m.contains("detail"));
  EXPECT_EQ(progress_message("c", "inject", 0, {{"units_done", 7}})["detail"]["units_done"], 7);
}

TEST(Heartbeat, RepeatsProgressWhileBusy) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  JsonLineChannel agent_end{UniqueFd(sv[0])}, runner_end{UniqueFd(sv[1])};
  {
    ChannelSender sender(agent_end, std::chrono::milliseconds(1));
    sender.progress("c", "trial", 0);
    auto first = runner_end.receive(std::chrono::seconds(5));
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ((*first)["stage"], "trial");
    // No new call: the heartbeat thread repeats the same stage.
    auto again = runner_end.receive(std::chrono::seconds(5));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ((*again)["type"], "progress");
    EXPECT_EQ((*again)["trial"], 0);
    sender.end_cell();
    sender.send({{"type", "bye"}});
  }
  // After end_cell only the explicit message (and maybe already-queued
  // heartbeats) arrive: the last message is bye.
  std::optional<nlohmann::json> last;
  while (auto m = runner_end.receive(std::chrono::milliseconds(200))) last = m;
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ((*last)["type"], "bye");
}

}  // namespace
}  // namespace poisonlab::agent

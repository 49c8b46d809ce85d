#include "protocol/channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace poisonlab {
namespace {
using nlohmann::json;
using namespace std::chrono_literals;

// A message line far larger than one read, preceded by console noise and
// followed by a small message in the same stream: both arrive whole, in
// order, and the stray line is skipped.
TEST(JsonLineChannel, ReceivesALargeLineAndWhatFollowsIt) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  JsonLineChannel reader{UniqueFd(sv[0])};
  json big = {{"type", "cell-result"}, {"observation", {{"kernel_log", json::array()}}}};
  for (int i = 0; i < 20000; ++i) big["observation"]["kernel_log"].push_back(std::string(50, 'a' + i % 26));
  std::string text = "stray console output\n" + big.dump() + "\n" + json{{"type", "bye"}}.dump() + "\n";
  std::thread writer([&] {
    size_t done = 0;
    while (done < text.size()) {  // small pieces: lines cross reads
      ssize_t n = write(sv[1], text.data() + done, std::min<size_t>(7000, text.size() - done));
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
  });
  auto first = reader.receive(10s);
  auto second = reader.receive(10s);
  writer.join();
  close(sv[1]);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, big);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ((*second)["type"], "bye");
}

}  // namespace
}  // namespace poisonlab

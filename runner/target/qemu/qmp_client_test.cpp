#include "target/qemu/qmp_client.h"

#include <gtest/gtest.h>

#include "target/qemu/fake_qemu_test_util.h"

namespace poisonlab {
namespace {
using namespace std::chrono_literals;
using testing::FakeQmpServer;
using json = nlohmann::json;

std::vector<std::string> standard_replies(const json& request) {
  std::string cmd = request.value("execute", "");
  if (cmd == "qmp_capabilities") return FakeQmpServer::ok();
  if (cmd == "query-version") return FakeQmpServer::ok(R"({"qemu": {"major": 10, "minor": 0, "micro": 2}, "package": "fake"})");
  if (cmd == "query-status")  // an event arrives before the reply
    return {R"({"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"})",
            R"({"return": {"status": "paused", "running": false}, "id": {id}})"};
  if (cmd == "device_add")
    return {R"({"error": {"class": "GenericError", "desc": "Device 'nope' not found"}, "id": {id}})"};
  if (cmd == "human-monitor-command") return FakeQmpServer::ok(R"("QEMU 10.0.2\r\n")");
  if (cmd == "quit") return {"CLOSE"};
  return {R"({"error": {"class": "CommandNotFound", "desc": "unknown"}, "id": {id}})"};
}

struct QmpClientTest : ::testing::Test {
  TempDir dir{"pl-qmp-test"};
  std::filesystem::path socket = dir.path() / "qmp.sock";
};

TEST_F(QmpClientTest, HandshakeReadsGreetingAndNegotiatesCapabilitiesFirst) {
  std::vector<json> seen;
  {
    FakeQmpServer server(socket, standard_replies);
    QmpClient client;
    client.connect(socket, 5s);
    EXPECT_TRUE(client.connected());
    EXPECT_EQ(client.greeting()["QMP"]["version"]["qemu"]["major"], 10);
    client.execute("query-version");
    client = QmpClient();  // closes the connection so the server ends
    seen = server.requests();
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0]["execute"], "qmp_capabilities");
  EXPECT_EQ(seen[1]["execute"], "query-version");
}

TEST_F(QmpClientTest, ExecuteReturnsTheReturnValueAndForwardsArguments) {
  FakeQmpServer server(socket, standard_replies);
  QmpClient client;
  client.connect(socket, 5s);
  json version = client.execute("query-version");
  EXPECT_EQ(version["qemu"]["minor"], 0);
  EXPECT_EQ(version["package"], "fake");
  EXPECT_EQ(client.human_monitor_command("info version"), "QEMU 10.0.2\r\n");
  client = QmpClient();
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2]["arguments"]["command-line"], "info version");
  EXPECT_FALSE(seen[1].contains("arguments"));
}

TEST_F(QmpClientTest, ErrorReplyThrowsWithQemusDescription) {
  FakeQmpServer server(socket, standard_replies);
  QmpClient client;
  client.connect(socket, 5s);
  try {
    client.execute("device_add", {{"driver", "nope"}});
    FAIL() << "expected QmpError";
  } catch (const QmpError& e) {
    EXPECT_EQ(e.error_class, "GenericError");
    EXPECT_EQ(e.desc, "Device 'nope' not found");
    EXPECT_NE(std::string(e.what()).find("Device 'nope' not found"), std::string::npos);
  }
  // The connection is still usable afterwards.
  EXPECT_EQ(client.execute("query-version")["qemu"]["major"], 10);
}

TEST_F(QmpClientTest, EventBeforeTheReplyIsKeptAndTheReplyReturned) {
  FakeQmpServer server(socket, standard_replies);
  QmpClient client;
  client.connect(socket, 5s);
  json status = client.execute("query-status");
  EXPECT_EQ(status["status"], "paused");
  auto events = client.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["event"], "STOP");
}

TEST_F(QmpClientTest, ClosedConnectionThrows) {
  FakeQmpServer server(socket, standard_replies);
  QmpClient client;
  client.connect(socket, 5s);
  EXPECT_THROW(client.execute("quit"), UserError);
  EXPECT_FALSE(client.poll_events(0ms));
}

TEST_F(QmpClientTest, MissingSocketThrowsAfterTheTimeout) {
  QmpClient client;
  EXPECT_THROW(client.connect(dir.path() / "absent.sock", 50ms), UserError);
  EXPECT_FALSE(client.connected());
}

TEST_F(QmpClientTest, NotAGreetingIsRejected) {
  testing::UnixListener listener(socket);
  std::thread server([&] {
    auto conn = listener.accept();
    testing::write_line(conn.get(), R"({"hello": 1})");
    testing::read_line(conn.get(), 2000);
  });
  QmpClient client;
  EXPECT_THROW(client.connect(socket, 5s), UserError);
  client = QmpClient();
  server.join();
}

}  // namespace
}  // namespace poisonlab

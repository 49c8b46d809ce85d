// The agent's cxl-inject-poison request becomes a checked QMP command (issue 5).
#include <gtest/gtest.h>

#include "common/error.h"
#include "run/agent_requests.h"

namespace poisonlab {
namespace {
using nlohmann::json;

json poison_request() {
  return {{"type", "request"}, {"action", "cxl-inject-poison"}, {"device", "cxl-pmem0"},
          {"start", 0x2000000}, {"length", 4096}};
}

TEST(CxlRequests, BecomesQmpCxlInjectPoison) {
  auto q = qmp_request_for(poison_request());
  ASSERT_TRUE(q);
  EXPECT_EQ(q->name, "cxl-inject-poison");
  EXPECT_EQ(q->arguments, json({{"path", "/machine/peripheral/cxl-pmem0"}, {"start", 0x2000000}, {"length", 4096}}));
  json mce = {{"action", "mce"}};
  EXPECT_FALSE(qmp_request_for(mce));
}

TEST(CxlRequests, FieldsAreChecked) {
  auto expect_bad = [](json r, const std::string& field) {
    try {
      qmp_request_for(r);
      ADD_FAILURE() << "accepted " << r.dump();
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  json r = poison_request();
  r["device"] = "../../machine/unattached";
  expect_bad(r, "/device");
  r = poison_request();
  r.erase("device");
  expect_bad(r, "/device");
  r = poison_request();
  r["start"] = 100;
  expect_bad(r, "/start: expected a multiple of 64");
  r = poison_request();
  r["length"] = 0;
  expect_bad(r, "/length: expected a positive multiple of 64");
  r = poison_request();
  r["length"] = 2 << 20;
  expect_bad(r, "/length: expected at most");
  r = poison_request();
  r["start"] = -64;
  expect_bad(r, "/start: expected a non-negative integer");
}

TEST(CxlRequests, ServedThroughQmp) {
  std::string called;
  json args;
  QmpFn qmp = [&](const std::string& name, const json& a) {
    called = name;
    args = a;
    return json::object();
  };
  json reply;
  serve_qmp_request(qmp, *qmp_request_for(poison_request()), reply);
  EXPECT_EQ(called, "cxl-inject-poison");
  EXPECT_EQ(args["start"], 0x2000000);
  EXPECT_EQ(reply["output"], "");
  EXPECT_EQ(reply["return"], json::object());
  EXPECT_NE(reply["command"].get<std::string>().find("\"execute\":\"cxl-inject-poison\""), std::string::npos);
}

}  // namespace
}  // namespace poisonlab

#include "scenario/fio_scenario.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "scenario/scenario.h"
#include "scenario/scenario_test_util.h"

namespace poisonlab {
namespace {
using nlohmann::json;
using ::testing::HasSubstr;

json with_fio(const json& fio) {
  json doc = json::parse(R"({"name": "t", "kernels": ["debian-6.12"], "files": {"pages": 16},
                             "injections": [{"method": "mce", "offset_pages": 4, "pages": 2}]})");
  doc["fio"] = fio;
  return doc;
}

void expect_error(const json& fio, const std::string& pointer, const std::string& text) {
  expect_scenario_error(with_fio(fio), pointer, text);
}

TEST(FioScenario, DefaultsAndVictimSize) {
  Scenario s = parse_scenario(with_fio(json::parse(R"({"jobs": [{"ioengine": "mmap"},
      {"ioengine": "psync", "name": "w", "rw": "randwrite", "target": "separate", "size_pages": 64}]})")),
                              "test.json");
  ASSERT_TRUE(s.fio);
  ASSERT_EQ(s.fio->jobs.size(), 2u);
  EXPECT_EQ(s.fio->jobs[0].name, "mmap");
  EXPECT_EQ(s.fio->jobs[0].rw, "randread");
  EXPECT_EQ(s.fio->jobs[0].target, "victim");
  EXPECT_EQ(s.fio->jobs[0].size_pages, 16);  // the victim file
  EXPECT_EQ(s.fio->jobs[1].size_pages, 64);
  EXPECT_EQ(s.fio->before_ms, 2000);
  EXPECT_EQ(s.fio->log_avg_ms, 100);
}

TEST(FioScenario, RoundTripsThroughFilledInScenario) {
  Scenario s = parse_scenario(with_fio(json::parse(R"({"jobs": [{"ioengine": "psync", "bs_kib": 8,
      "continue_on_error": true}], "before_ms": 500, "after_ms": 700, "log_avg_ms": 50})")),
                              "test.json");
  EXPECT_EQ(parse_scenario(scenario_to_json(s), "again.json"), s);
  EXPECT_FALSE(parse_scenario(scenario_to_json(Scenario{.name = "n", .kernels = {"k"}, .injections = s.injections}),
                              "none.json")
                   .fio);
}

TEST(FioScenario, NamesTheBadField) {
  expect_error(json::object(), "/fio/jobs", "required");
  expect_error(json::parse(R"({"jobs": []})"), "/fio/jobs", "1");
  expect_error(json::parse(R"({"jobs": [{"ioengine": "libaio"}]})"), "/fio/jobs/0/ioengine", "one of mmap, psync, got string \"libaio\"");
  expect_error(json::parse(R"({"jobs": [{"ioengine": "mmap", "iodepth": 4}]})"), "/fio/jobs/0/iodepth", "");
  expect_error(json::parse(R"({"jobs": [{"ioengine": "mmap", "rw": "randwrite"}]})"), "/fio/jobs/0/rw",
               "target \"separate\"");
  expect_error(json::parse(R"({"jobs": [{"ioengine": "mmap", "size_pages": 8}]})"), "/fio/jobs/0/size_pages",
               "only with target \"separate\"");
  expect_error(json::parse(R"({"jobs": [{"ioengine": "mmap", "bs_kib": 6}]})"), "/fio/jobs/0/bs_kib",
               "multiple of 4");
  expect_error(json::parse(R"({"jobs": [{"ioengine": "mmap", "bs_kib": 128}]})"), "/fio/jobs/0/bs_kib",
               "16 pages");
  expect_error(json::parse(R"({"jobs": [{"ioengine": "mmap"}, {"ioengine": "mmap"}]})"), "/fio/jobs/1",
               "unique job name");
  expect_error(json::parse(R"({"jobs": [{"ioengine": "mmap", "name": "a/b"}]})"), "/fio/jobs/0/name", "[A-Za-z0-9_-]");
  expect_error(json::parse(R"({"jobs": [{"ioengine": "mmap"}], "log_avg_ms": 200, "before_ms": 300})"),
               "/fio/before_ms", "400..600000, got 300");
  expect_error(json::parse(R"([{"ioengine": "mmap"}])"), "/fio", "object");
}

}  // namespace
}  // namespace poisonlab

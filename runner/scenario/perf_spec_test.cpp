#include "scenario/perf_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "scenario/scenario.h"
#include "scenario/scenario_test_util.h"

namespace poisonlab {
namespace {
using nlohmann::json;
using ::testing::HasSubstr;

json with_perf(const json& perf) {
  json doc = json::parse(R"({"name": "t", "kernels": ["debian-6.12"], "files": {"pages": 128},
                             "injections": [{"method": "hwpoison-pfn", "offset_pages": 4, "pages": 64}]})");
  doc["perf"] = perf;
  return doc;
}

void expect_error(const json& perf, const std::string& pointer, const std::string& text) {
  expect_scenario_error(with_perf(perf), pointer, text);
}

TEST(PerfSpec, AbsentMeansNoPerf) {
  json doc = with_perf(nullptr);
  doc.erase("perf");
  Scenario s = parse_scenario(doc, "t.json");
  EXPECT_FALSE(s.perf.has_value());
  EXPECT_FALSE(scenario_to_json(s).contains("perf"));
}

TEST(PerfSpec, EmptyObjectTakesTheDefaults) {
  Scenario s = parse_scenario(with_perf(json::object()), "t.json");
  ASSERT_TRUE(s.perf.has_value());
  EXPECT_TRUE(s.perf->stat);
  EXPECT_TRUE(s.perf->record);
  EXPECT_EQ(s.perf->record_min_pages, 64);
  EXPECT_EQ(s.perf->record_min_early_kill, 0);
  EXPECT_EQ(s.perf->frequency, 999);
}

TEST(PerfSpec, RoundTrips) {
  Scenario s = parse_scenario(
      with_perf(json{{"stat", true}, {"record", true}, {"record_min_pages", 16}, {"frequency", 499}}), "t.json");
  EXPECT_EQ(perf_to_json(*s.perf), (json{{"stat", true}, {"record", true}, {"record_min_pages", 16},
                                         {"record_min_early_kill", 0}, {"frequency", 499}}));
  EXPECT_EQ(parse_scenario(scenario_to_json(s), "again.json"), s);
  Scenario stat_only = parse_scenario(with_perf(json{{"record", false}}), "t.json");
  EXPECT_EQ(parse_scenario(scenario_to_json(stat_only), "again.json"), stat_only);
  EXPECT_EQ(perf_to_json(*stat_only.perf), (json{{"stat", true}, {"record", false}}));
}

TEST(PerfSpec, Errors) {
  expect_error(true, "/perf", "expected an object, got boolean");
  expect_error(json{{"stat", "yes"}}, "/perf/stat", "expected true or false");
  expect_error(json{{"flame", true}}, "/perf/flame", "unknown key \"flame\"");
  expect_error(json{{"stat", false}, {"record", false}}, "/perf", "expected stat or record to be true");
  expect_error(json{{"record", false}, {"frequency", 99}}, "/perf/frequency",
               "expected frequency only with \"record\": true");
  expect_error(json{{"record", false}, {"record_min_pages", 8}}, "/perf/record_min_pages", "only with \"record\": true");
  expect_error(json{{"frequency", 0}}, "/perf/frequency", "expected an integer in 1..10000, got 0");
  expect_error(json{{"frequency", 20000}}, "/perf/frequency", "got 20000");
  expect_error(json{{"record_min_pages", 0}}, "/perf/record_min_pages", "1..262144");
  expect_error(json{{"record_min_early_kill", 1001}}, "/perf/record_min_early_kill", "0..1000");
  expect_error(json{{"frequency", 99.5}}, "/perf/frequency", "expected an integer");
}

}  // namespace
}  // namespace poisonlab

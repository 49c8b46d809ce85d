// cxl_poison_outcome (issue 5): judged from the trial's cxl record and its
// cxl:cxl_poison trace events, never from the method alone.
#include <gtest/gtest.h>

#include "oracles/canned_observation.h"
#include "oracles/oracles.h"

namespace poisonlab {
namespace {

using canned::oracle;
using nlohmann::json;

uint64_t dpa_of(int trial, uint64_t unit) { return 0x100000ull * (trial + 1) + unit * 4096; }

// The canned cell as a CXL poison-list cell: each trial records its units'
// DPAs and the poison list read back lists every one of them; memory_failure
// and the victims' signals stay as the canned trace and victims have them.
json cxl_observation(const std::string& method) {
  json obs = canned::observation();
  for (size_t t = 0; t < obs["trials"].size(); ++t) {
    json& trial = obs["trials"][t];
    trial["injection"]["method"] = method;
    json units = json::array();
    for (size_t u = 0; u < trial["units"].size(); ++u) {
      units.push_back({{"unit", u}, {"phys", trial["units"][u]["phys_addr"]}, {"dpa", dpa_of(static_cast<int>(t), u)}});
      trial["trace_events"].push_back(canned::agent_event(
          canned::trial_base_ns(static_cast<int>(t)), 900'000 + u, "cxl_poison",
          {{"memdev", "mem0"}, {"trace_type", "List"}, {"dpa", fmt::format("{:#x}", dpa_of(static_cast<int>(t), u))},
           {"dpa_length", "0x1000"}, {"source", "Injected"}}));
    }
    trial["cxl"] = {{"region", "region0"},
                    {"memdev", "mem0"},
                    {"units", units},
                    {"poison_list_read", {{"ok", true}, {"errno", 0}, {"error", nullptr}}}};
  }
  return obs;
}

json spec_for(const std::string& method) {
  json spec = canned::cell_spec();
  spec["injection"]["method"] = method;
  spec["pmem"] = "cxl";
  return spec;
}

json judge(const json& obs, const std::string& method) { return judge_cell(spec_for(method), obs); }

TEST(CxlOracle, PassesWhenThePoisonListHoldsEveryInjectedDpa) {
  json o = oracle(judge(cxl_observation("cxl-qmp-poison"), "cxl-qmp-poison"), "cxl_poison_outcome");
  EXPECT_EQ(o["verdict"], "pass") << o.dump(2);
  EXPECT_NE(o["summary"].get<std::string>().find("8 of 8 injected page(s) in the device's poison list"),
            std::string::npos)
      << o["summary"];
  // What memory_failure and the victims did is recorded as observed (the
  // canned trace has memory_failure at every pfn, and its victims' SIGBUS).
  EXPECT_EQ(o["evidence"][0]["memory_failure_reached_units"], 4);
  EXPECT_EQ(o["evidence"][0]["units"][0]["dpa"], "0x100000");
  EXPECT_EQ(o["evidence"][0]["cxl_poison_events"]["list"], 4);
}

TEST(CxlOracle, FailsWhenAnInjectedDpaIsMissingFromTheList) {
  json obs = cxl_observation("cxl-debugfs-poison");
  json& events = obs["trials"][1]["trace_events"];
  for (size_t i = 0; i < events.size(); ++i)
    if (events[i]["event"] == "cxl_poison" && events[i]["args"]["dpa"] == fmt::format("{:#x}", dpa_of(1, 2))) {
      events.erase(i);
      break;
    }
  json o = oracle(judge(obs, "cxl-debugfs-poison"), "cxl_poison_outcome");
  EXPECT_EQ(o["verdict"], "fail") << o.dump(2);
  EXPECT_EQ(o["evidence"][1]["units"][2]["in_poison_list"], false);
}

TEST(CxlOracle, RecordsWhenMemoryFailureWasNotReached) {
  json obs = cxl_observation("cxl-qmp-poison");
  for (json& t : obs["trials"]) {
    json kept = json::array();
    for (const json& e : t["trace_events"])
      if (e["event"] == "cxl_poison") kept.push_back(e);
    t["trace_events"] = kept;
    for (json& v : t["victims"]) v["signals"] = json::array();
  }
  json judged = judge(obs, "cxl-qmp-poison");
  json o = oracle(judged, "cxl_poison_outcome");
  EXPECT_EQ(o["verdict"], "pass");
  EXPECT_NE(o["summary"].get<std::string>().find("memory_failure reached for 0; 0 machine-check SIGBUS"),
            std::string::npos)
      << o["summary"];
  // The common oracles judge the same observation as for any method.
  EXPECT_EQ(oracle(judged, "memory_failure_traced")["verdict"], "fail");
  EXPECT_EQ(oracle(judged, "expected_victims")["verdict"], "fail");
}

TEST(CxlOracle, FailedListReadFails) {
  json obs = cxl_observation("cxl-qmp-poison");
  obs["trials"][0]["cxl"]["poison_list_read"] = {{"ok", false}, {"errno", 6}, {"error", "write ...: No such device"}};
  json o = oracle(judge(obs, "cxl-qmp-poison"), "cxl_poison_outcome");
  EXPECT_EQ(o["verdict"], "fail");
  EXPECT_NE(o["summary"].get<std::string>().find("1 poison-list read(s) failed"), std::string::npos);
}

TEST(CxlOracle, OtherMethodsOnCxlAreRecordedButSkipped) {
  json o = oracle(judge(cxl_observation("madvise"), "madvise"), "cxl_poison_outcome");
  EXPECT_EQ(o["verdict"], "skip");
  EXPECT_NE(o["summary"].get<std::string>().find("not a poison-list injection (madvise); observed: 8 of 8"),
            std::string::npos)
      << o["summary"];
  EXPECT_EQ(o["evidence"].size(), 2u);
}

TEST(CxlOracle, SkippedOffCxlAndWithoutTrace) {
  EXPECT_EQ(oracle(judge_cell(canned::cell_spec(), canned::observation()), "cxl_poison_outcome")["verdict"], "skip");
  json obs = cxl_observation("cxl-qmp-poison");
  obs["trace"]["enabled"] = false;
  json o = oracle(judge(obs, "cxl-qmp-poison"), "cxl_poison_outcome");
  EXPECT_EQ(o["verdict"], "skip");
}

}  // namespace
}  // namespace poisonlab

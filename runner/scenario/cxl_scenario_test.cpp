// CXL topology and poison-list methods in scenarios (issue 5).
#include <gtest/gtest.h>

#include "scenario/scenario.h"
#include "scenario/scenario_test_util.h"

namespace poisonlab {
namespace {
using nlohmann::json;

json cxl_scenario() {
  return json::parse(R"({"name": "c", "kernels": ["pl-6.12"],
                         "topology": {"pmem": "cxl", "cxl": {"size_mib": 1024}},
                         "injections": [{"method": "cxl-qmp-poison", "offset_pages": 4, "pages": 2},
                                        {"method": "cxl-debugfs-poison", "offset_pages": 4, "pages": 2},
                                        {"method": "mce", "offset_pages": 4, "pages": 2}]})");
}

json with(json doc, const std::string& path, const json& value) {
  doc[json::json_pointer(path)] = value;
  return doc;
}

TEST(CxlScenario, ParsesTopologyAndMethods) {
  Scenario s = parse_scenario(cxl_scenario(), "test.json");
  EXPECT_TRUE(s.topology.is_cxl());
  EXPECT_TRUE(s.topology.nvdimms.empty());
  ASSERT_TRUE(s.topology.cxl);
  EXPECT_EQ(s.topology.cxl->size_mib, 1024);
  EXPECT_EQ(s.topology.pmem_disks(), 1u);
  EXPECT_EQ(s.topology.first_pmem_mib(), 1024);
  EXPECT_EQ(s.injections[0].method, "cxl-qmp-poison");
  EXPECT_EQ(s.injections[1].method, "cxl-debugfs-poison");
  EXPECT_TRUE(is_cxl_poison_method("cxl-qmp-poison"));
  EXPECT_FALSE(is_cxl_poison_method("mce"));
  // The normalized form reads back to the same scenario.
  EXPECT_EQ(parse_scenario(scenario_to_json(s), "round-trip"), s);
}

TEST(CxlScenario, DefaultSizeAndNvdimmDefaultUnchanged) {
  Scenario s = parse_scenario(with(cxl_scenario(), "/topology", {{"pmem", "cxl"}}), "test.json");
  ASSERT_TRUE(s.topology.cxl);
  EXPECT_EQ(s.topology.cxl->size_mib, 1024);
  json nv = cxl_scenario();
  nv.erase("topology");
  nv["injections"] = json::parse(R"([{"method": "mce", "offset_pages": 4, "pages": 2}])");
  Scenario n = parse_scenario(nv, "test.json");
  EXPECT_FALSE(n.topology.is_cxl());
  EXPECT_EQ(n.topology.nvdimms.size(), 1u);
  EXPECT_FALSE(n.topology.cxl);
}

TEST(CxlScenario, RejectsBadTopology) {
  expect_scenario_error(with(cxl_scenario(), "/topology/pmem", "optane"), "/topology/pmem",
                        "expected one of nvdimm, cxl");
  expect_scenario_error(with(cxl_scenario(), "/topology/nvdimms", json::parse(R"([{"size_mib": 512}])")),
                        "/topology/nvdimms", "expected no nvdimms with pmem \"cxl\"");
  expect_scenario_error(with(cxl_scenario(), "/topology/cxl/size_mib", 640), "/topology/cxl/size_mib",
                        "expected a multiple of 256");
  expect_scenario_error(with(cxl_scenario(), "/topology/cxl/size_mib", 256), "/topology/cxl/size_mib",
                        "expected an integer in 512..16384, got 256");
  expect_scenario_error(with(cxl_scenario(), "/topology/cxl/ways", 2), "/topology/cxl/ways", "unknown key \"ways\"");
  expect_scenario_error(with(cxl_scenario(), "/topology", json::parse(R"({"cxl": {"size_mib": 512}})")),
                        "/topology/cxl", "expected cxl only with \"pmem\": \"cxl\"");
}

TEST(CxlScenario, StacksNeedingTwoDisksAreRefused) {
  expect_scenario_error(with(cxl_scenario(), "/stacks", json::parse(R"([{"type": "dm-stripe"}])")),
                        "/stacks/0/type", "a dm-stripe stack needs two pmem disks; a \"cxl\" topology has one");
  // dm-linear sits on the one region; its offset is checked against the region's size.
  Scenario s = parse_scenario(with(cxl_scenario(), "/stacks", json::parse(R"([{"type": "dm-linear"}])")), "t");
  EXPECT_EQ(s.stacks[0].offset_mib, kDmLinearDefaultOffsetMib);
  expect_scenario_error(
      with(cxl_scenario(), "/stacks", json::parse(R"([{"type": "dm-linear", "offset_mib": 700}])")),
      "/stacks/0/offset_mib", "expected an integer in 0..640, got 700");
}

TEST(CxlScenario, PoisonListMethodsNeedCxl) {
  json doc = cxl_scenario();
  doc.erase("topology");
  expect_scenario_error(doc, "/injections/0/method", "expected cxl-qmp-poison only with \"topology\": {\"pmem\": \"cxl\"}");
}

TEST(CxlScenario, RepositoryScenarioLoads) {
  Scenario s = load_scenario(std::string(POISONLAB_SOURCE_DIR) + "/scenarios/cxl.json");
  EXPECT_TRUE(s.topology.is_cxl());
  EXPECT_EQ(s.kernels, std::vector<std::string>{"pl-6.12"});
  bool qmp = false, debugfs = false;
  for (const auto& i : s.injections) {
    qmp = qmp || i.method == "cxl-qmp-poison";
    debugfs = debugfs || i.method == "cxl-debugfs-poison";
  }
  EXPECT_TRUE(qmp && debugfs);
}

}  // namespace
}  // namespace poisonlab

#include "scenario/scenario.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs_util.h"
#include "scenario/json_reader.h"
#include "scenario/scenario_test_util.h"
#include "common/temp_dir.h"

namespace poisonlab {
namespace {
using nlohmann::json;
using ::testing::HasSubstr;

json minimal() {
  return json::parse(R"({"name": "t", "kernels": ["debian-6.12"],
                         "injections": [{"method": "madvise", "offset_pages": 4, "pages": 4}]})");
}

// Applies a list of {"op": "add"|"remove", "path", "value"} edits; unlike
// RFC 6902, "add" creates missing parent objects.
json edited(json doc, const json& edits) {
  for (const auto& edit : edits) {
    json::json_pointer where(edit["path"].get<std::string>());
    if (edit["op"] == "add")
      doc[where] = edit["value"];
    else
      doc[where.parent_pointer()].erase(where.back());
  }
  return doc;
}

// Applies the edits to the minimal scenario and expects an InputError
// at pointer whose message contains text.
void expect_error(const json& patch, const std::string& pointer, const std::string& text) {
  expect_scenario_error(edited(minimal(), patch), pointer, text);
}

json set(const std::string& path, const json& value) {
  return json::array({{{"op", "add"}, {"path", path}, {"value", value}}});
}
json J(const char* text) { return json::parse(text); }

InjectionSpec file_injection(const char* method, int offset, int pages, const char* pacing = "per-page",
                             int settle_ms = 1000) {
  InjectionSpec i;
  i.method = method;
  i.target.offset_pages = offset;
  i.pages = pages;
  i.pacing = pacing;
  i.settle_ms = settle_ms;
  return i;
}
json drop(const std::string& path) { return json::array({{{"op", "remove"}, {"path", path}}}); }

TEST(Scenario, MinimalGetsDocumentedDefaults) {
  Scenario s = parse_scenario(minimal(), "m");
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.description, "");
  EXPECT_EQ(s.kernels, std::vector<std::string>{"debian-6.12"});
  EXPECT_EQ(s.vm.cpus, 2);
  EXPECT_EQ(s.vm.memory_mib, 2048);
  ASSERT_EQ(s.topology.nvdimms.size(), 1u);
  EXPECT_EQ(s.topology.nvdimms[0].size_mib, 1024);
  ASSERT_EQ(s.stacks.size(), 1u);
  EXPECT_EQ(s.stacks[0].type, "raw");
  ASSERT_EQ(s.filesystems.size(), 1u);
  EXPECT_EQ(s.filesystems[0].type, "xfs");
  EXPECT_EQ(s.filesystems[0].mkfs_options, (std::vector<std::string>{"-m", "rmapbt=1"}));
  EXPECT_EQ(s.filesystems[0].mount_options, std::vector<std::string>{"dax=always"});
  EXPECT_EQ(s.filesystems[0].sharers, 0);
  EXPECT_EQ(s.file_pages, 16);
  EXPECT_EQ(s.victims, (VictimCounts{2, 1, 1}));
  ASSERT_EQ(s.injections.size(), 1u);
  EXPECT_EQ(s.injections[0], file_injection("madvise", 4, 4));
  EXPECT_EQ(s.trials, 3);
  EXPECT_TRUE(s.trace);
  EXPECT_TRUE(s.reaccess);
  EXPECT_EQ(s.timeouts, (Timeouts{120, 120, 900}));
  EXPECT_EQ(s.checks, (Checks{true, true}));
}

TEST(Scenario, ReadsEveryField) {
  json doc = json::parse(R"({
    "name": "full-1.0", "description": "d", "kernels": ["a", "b"],
    "vm": {"cpus": 1, "memory_mib": 512},
    "topology": {"nvdimms": [{"size_mib": 2048}, {"size_mib": 384}]},
    "stacks": [{"type": "dm-linear"}, {"type": "dm-linear", "offset_mib": 0}, {"type": "raw"}],
    "filesystem": {"type": "xfs", "mkfs_options": [], "mount_options": ["dax=always", "noatime"]},
    "files": {"pages": 2},
    "victims": {"early_kill": 0, "late_kill": 32, "neighbour": 1},
    "injections": [{"method": "hwpoison-pfn", "offset_pages": 1, "pages": 1, "pacing": "burst", "settle_ms": 60000}],
    "trials": 1000, "trace": false, "reaccess": false,
    "timeouts": {"boot_s": 10, "progress_s": 7200}})");
  Scenario s = parse_scenario(doc, "f");
  EXPECT_EQ(s.vm, (VmSpec{1, 512}));
  EXPECT_EQ(s.topology.nvdimms, (std::vector<ScenarioNvdimm>{{2048}, {384}}));
  EXPECT_EQ(s.stacks, (std::vector<StackSpec>{{"dm-linear", 16}, {"dm-linear", 0}, {"raw", 0}}));
  EXPECT_TRUE(s.filesystems[0].mkfs_options.empty());
  EXPECT_EQ(s.filesystems[0].mount_options.size(), 2u);
  EXPECT_EQ(s.file_pages, 2);
  EXPECT_EQ(s.victims, (VictimCounts{0, 32, 1}));
  EXPECT_EQ(s.injections[0], file_injection("hwpoison-pfn", 1, 1, "burst", 60000));
  EXPECT_EQ(s.trials, 1000);
  EXPECT_FALSE(s.trace);
  EXPECT_FALSE(s.reaccess);
  EXPECT_EQ(s.timeouts, (Timeouts{10, 7200, 900}));
  // The normalized form reads back to the same scenario.
  EXPECT_EQ(parse_scenario(scenario_to_json(s), "round-trip"), s);
}

TEST(Scenario, UnknownKeysAtEveryDepth) {
  expect_error(set("/trails", 3), "/trails", "unknown key \"trails\" (expected one of: name, description, kernels");
  expect_error(set("/vm/cpu", 3), "/vm/cpu", "unknown key \"cpu\" (expected one of: cpus, memory_mib)");
  expect_error(set("/topology", J(R"({"nvdimms": [{"size_mib": 512, "label": 1}]})")), "/topology/nvdimms/0/label",
               "unknown key \"label\"");
  expect_error(set("/injections/0/count", 1), "/injections/0/count", "unknown key \"count\"");
  expect_error(set("/stacks", J(R"([{"type": "raw", "offset_mib": 16}])")), "/stacks/0/offset_mib",
               "unknown key \"offset_mib\" (expected one of: type, name)");
  expect_error(set("/timeouts", {{"boot", 10}}), "/timeouts/boot", "unknown key");
  expect_error(set("/files", {{"page", 10}}), "/files/page", "unknown key");
  expect_error(set("/victims", {{"early", 1}}), "/victims/early", "unknown key");
  expect_error(set("/filesystem", {{"mkfs", json::array()}}), "/filesystem/mkfs", "unknown key");
  expect_error(set("/a~0b", 1), "/a~0b", "unknown key \"a~b\"");
}

TEST(Scenario, WrongTypes) {
  expect_error(set("/trials", "3"), "/trials", "expected an integer in 1..1000, got string \"3\"");
  expect_error(set("/trials", 2.5), "/trials", "expected an integer in 1..1000, got number 2.5");
  expect_error(set("/trace", 1), "/trace", "expected true or false, got number 1");
  expect_error(set("/reaccess", nullptr), "/reaccess", "expected true or false, got null");
  expect_error(set("/name", 7), "/name", "expected a string, got number 7");
  expect_error(set("/description", json::array()), "/description", "expected a string, got array");
  expect_error(set("/kernels", "debian-6.12"), "/kernels", "expected an array of 1..16 elements, got string");
  expect_error(set("/kernels/0", 6), "/kernels/0", "expected a string, got number 6");
  expect_error(set("/vm", json::array()), "/vm", "expected an object, got array");
  expect_error(set("/injections/0", "madvise"), "/injections/0", "expected an object, got string");
  expect_error(set("/filesystem", {{"mount_options", "dax=always"}}), "/filesystem/mount_options",
               "expected an array of 0..32 elements, got string");
  expect_error(set("/filesystem", J(R"({"mkfs_options": ["-m", 1]})")), "/filesystem/mkfs_options/1",
               "expected a string, got number 1");
  expect_error(set("/injections/0/pages", true), "/injections/0/pages", "expected an integer");
  try {
    parse_scenario(json::array(), "top.json");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "");
    EXPECT_THAT(e.what(), HasSubstr("top.json: /: expected an object, got array"));
  }
}

TEST(Scenario, OutOfRange) {
  expect_error(set("/trials", 0), "/trials", "expected an integer in 1..1000, got 0");
  expect_error(set("/trials", 1001), "/trials", "got 1001");
  expect_error(set("/trials", json(18446744073709551615ull)), "/trials", "got 18446744073709551615");
  expect_error(set("/vm/cpus", 9), "/vm/cpus", "1..8");
  expect_error(set("/vm/memory_mib", 511), "/vm/memory_mib", "512..16384");
  expect_error(set("/topology", J(R"({"nvdimms": []})")), "/topology/nvdimms", "1..4 elements, got 0");
  expect_error(set("/topology", J(R"({"nvdimms": [{"size_mib": 640}, {"size_mib": 300}]})")),
               "/topology/nvdimms/1/size_mib", "expected an integer in 384..16384, got 300");
  expect_error(set("/topology", J(R"({"nvdimms": [{"size_mib": 1000}]})")), "/topology/nvdimms/0/size_mib",
               "expected a multiple of 128, got 1000");
  expect_error(set("/files", {{"pages", 1}}), "/files/pages", "2..524288");
  expect_error(set("/victims", {{"late_kill", 33}}), "/victims/late_kill", "0..32");
  expect_error(set("/victims", {{"early_kill", -1}}), "/victims/early_kill", "got -1");
  expect_error(set("/injections/0/settle_ms", 0), "/injections/0/settle_ms", "1..60000");
  expect_error(set("/injections/0/pages", 0), "/injections/0/pages", "1..16, got 0");
  expect_error(set("/injections/0/offset_pages", -1), "/injections/0/offset_pages", "0..15, got -1");
  expect_error(set("/timeouts", {{"boot_s", 9}}), "/timeouts/boot_s", "10..7200");
  expect_error(set("/timeouts", {{"progress_s", 7201}}), "/timeouts/progress_s", "10..7200");
  expect_error(set("/stacks", json::array()), "/stacks", "1..8 elements, got 0");
  expect_error(set("/injections", json::array()), "/injections", "1..32 elements, got 0");
  expect_error(set("/timeouts", {{"cell_s", 29}}), "/timeouts/cell_s", "30..86400");
  // The dm-linear offset must leave kMinFilesystemMib of the first NVDIMM.
  expect_error(set("/stacks", J(R"([{"type": "dm-linear", "offset_mib": 641}])")), "/stacks/0/offset_mib",
               "expected an integer in 0..640, got 641");
  json small = set("/topology", J(R"({"nvdimms": [{"size_mib": 512}, {"size_mib": 4096}]})"));
  small.push_back({{"op", "add"}, {"path", "/stacks"}, {"value", J(R"([{"type": "dm-linear", "offset_mib": 256}])")}});
  expect_error(small, "/stacks/0/offset_mib", "0..128, got 256");
  json tiny = set("/topology", J(R"({"nvdimms": [{"size_mib": 384}]})"));
  tiny.push_back({{"op", "add"}, {"path", "/stacks"}, {"value", J(R"([{"type": "dm-linear"}])")}});
  expect_error(tiny, "/stacks/0", "the default offset_mib (16) leaves less than 384 MiB");
}

TEST(Scenario, SweepOverPagesOrMappers) {
  json doc = edited(minimal(), set("/sweep", J(R"({"parameter": "pages", "values": [1, 4, 12]})")));
  Scenario s = parse_scenario(doc, "test.json");
  ASSERT_TRUE(s.sweep);
  EXPECT_EQ(s.sweep->parameter, "pages");
  EXPECT_EQ(s.sweep->values, (std::vector<int>{1, 4, 12}));
  EXPECT_EQ(parse_scenario(scenario_to_json(s), "round-trip"), s);
  EXPECT_FALSE(parse_scenario(minimal(), "test.json").sweep);

  expect_error(set("/sweep", J(R"({"parameter": "cpus", "values": [1, 2]})")), "/sweep/parameter", "one of pages, early_kill, files");
  expect_error(set("/sweep", J(R"({"parameter": "pages", "values": [4]})")), "/sweep/values", "2..32 elements");
  expect_error(set("/sweep", J(R"({"parameter": "pages", "values": [4, 4]})")), "/sweep/values/1", "ascending");
  expect_error(set("/sweep", J(R"({"parameter": "early_kill", "values": [1, 1001]})")), "/sweep/values/1",
               "1..1000, got 1001");
  // At offset 4 in a 16-page file the widest range is 12 pages.
  expect_error(set("/sweep", J(R"({"parameter": "pages", "values": [1, 13]})")), "/sweep/values",
               "injections/0 at offset_pages 4 with 13 pages needs files.pages >= 17, got 16");
  json unbind = set("/injections", J(R"([{"method": "unbind"}])"));
  unbind.push_back({{"op", "add"}, {"path", "/sweep"}, {"value", J(R"({"parameter": "pages", "values": [1, 2]})")}});
  expect_error(unbind, "/sweep/values", "injections/0 is an unbind");
}

// A range spread over several victim files: files.count, or a files sweep.
json over_files(int pages, const char* method = "hwpoison-pfn") {
  json doc = minimal();
  doc["files"] = {{"pages", 16}};
  doc["injections"] = json::array({{{"method", method}, {"offset_pages", 0}, {"pages", pages}}});
  return doc;
}

TEST(Scenario, RangeSpreadOverVictimFiles) {
  json doc = over_files(8);
  doc["files"]["count"] = 4;
  Scenario s = parse_scenario(doc, "test.json");
  EXPECT_EQ(s.file_count, 4);
  EXPECT_EQ(file_counts(s), (std::vector<int>{4}));
  EXPECT_EQ(parse_scenario(scenario_to_json(s), "round-trip"), s);
  EXPECT_EQ(parse_scenario(minimal(), "t").file_count, 1);

  // 32 pages over 2 files of 16 leave no neighbour page; over 4 they do.
  json sweep = over_files(32);
  sweep["sweep"] = J(R"({"parameter": "files", "values": [4, 8, 16, 32]})");
  Scenario swept = parse_scenario(sweep, "test.json");
  EXPECT_EQ(file_counts(swept), (std::vector<int>{4, 8, 16, 32}));
  EXPECT_EQ(parse_scenario(scenario_to_json(swept), "round-trip"), swept);
  sweep["sweep"]["values"] = {2, 4};
  expect_scenario_error(sweep, "/injections/0", "victims.neighbour (1) needs a page outside it");
  sweep["sweep"]["values"] = {3, 4};
  expect_scenario_error(sweep, "/injections/0/pages", "pages divisible by the 3 victim files it is spread over, got 32");
  sweep["sweep"]["values"] = {1, 4};
  expect_scenario_error(sweep, "/injections/0/pages",
                        "expected offset_pages + pages <= files.pages (16), got 0 + 32 = 32");

  json madvise = over_files(8, "madvise");
  madvise["files"]["count"] = 2;
  expect_scenario_error(madvise, "/injections/0", "expected one victim file (2 victim files: madvise poisons");
  json counted = over_files(8);
  counted["files"]["count"] = 2;
  counted["sweep"] = J(R"({"parameter": "files", "values": [1, 2]})");
  expect_scenario_error(counted, "/sweep/parameter", "expected files.count 1 with a files sweep");
  json device = minimal();
  device["injections"] = J(R"([{"method": "hwpoison-pfn", "target": {"space": "device", "sector": 0}, "pages": 4}])");
  device["sweep"] = J(R"({"parameter": "files", "values": [1, 2]})");
  expect_scenario_error(device, "/sweep/values", "expected file targets for a files sweep; injections/0 aims at device");
  json crowd = over_files(8);
  crowd["files"]["count"] = 8;
  crowd["victims"] = {{"early_kill", 200}};
  expect_scenario_error(crowd, "/victims", "at most 1100 victim processes per trial, got 8 files x 202 victims = 1616");
  json pages_sweep = over_files(4);
  pages_sweep["files"]["count"] = 2;
  pages_sweep["sweep"] = J(R"({"parameter": "pages", "values": [2, 3]})");
  expect_scenario_error(pages_sweep, "/sweep/values", "values divisible by files.count (2)");
}

TEST(Scenario, EnumsNamesAndKernels) {
  expect_error(set("/injections/0/method", "laser"), "/injections/0/method",
               "expected one of madvise, hwpoison-pfn, hard-offline, mce, badblocks, unbind, cxl-qmp-poison, cxl-debugfs-poison, ndctl-inject-error, einj, got string \"laser\"");
  expect_error(set("/injections/0/pacing", "slow"), "/injections/0/pacing", "expected one of per-page, burst, rate");
  expect_error(set("/stacks", J(R"([{"type": "dm-crypt"}])")), "/stacks/0/type",
               "expected one of raw, dm-linear, dm-concat, dm-stripe");
  expect_error(set("/stacks", J(R"([{"type": "dm-stripe"}])")), "/stacks/0/type", "needs two NVDIMMs");
  expect_error(set("/filesystem", {{"type", "btrfs"}}), "/filesystem/type", "expected one of xfs, ext4");
  expect_error(set("/filesystem", J(R"({"mount_options": [""]})")), "/filesystem/mount_options/0", "non-empty");
  expect_error(set("/name", "has space"), "/name", "[A-Za-z0-9._-]");
  expect_error(set("/name", ""), "/name", "1..64 characters");
  expect_error(set("/name", std::string(65, 'a')), "/name", "1..64 characters");
  expect_error(set("/kernels", json::array()), "/kernels", "expected an array of 1..16 elements, got 0");
  expect_error(set("/kernels", J(R"(["a", "b", "a"])")), "/kernels/2", "duplicate kernel \"a\" (already at /kernels/0)");
  expect_error(set("/kernels", J(R"([""])")), "/kernels/0", "kernel name");
  expect_error(set("/kernels", J(R"(["x/y"])")), "/kernels/0", "without '/'");
  expect_error(set("/kernels", json(std::vector<std::string>(17, "k"))), "/kernels", "got 17");
}

TEST(Scenario, TargetsAndMatrixFields) {
  json doc = json::parse(R"({
    "name": "m", "kernels": ["k"],
    "topology": {"nvdimms": [{"size_mib": 512}, {"size_mib": 512}]},
    "stacks": [{"type": "dm-stripe", "chunk_kib": 128}, {"type": "dm-concat", "name": "concat"}],
    "filesystems": [{"name": "reflink", "type": "xfs", "mkfs_options": ["-m", "reflink=1"], "sharers": 2},
                    {"type": "ext4"}],
    "injections": [
      {"method": "mce", "target": {"space": "file", "straddle": "stripe-chunk"}, "pages": 2, "mce_mode": "ar"},
      {"method": "hwpoison-pfn", "target": {"space": "metadata", "structure": "btree-block", "ag": 1}, "pages": 1},
      {"method": "badblocks", "target": {"space": "device", "sector": 8192}, "pages": 4, "pacing": "rate", "rate_per_s": 10},
      {"name": "phys", "method": "hard-offline", "target": {"space": "physical", "address": 4297064448}, "pages": 1},
      {"method": "hwpoison-pfn", "target": {"space": "free"}, "pages": 8},
      {"method": "unbind"}],
    "checks": {"fsck": false}})");
  Scenario s = parse_scenario(doc, "m.json");
  EXPECT_EQ(s.stacks[0].chunk_kib, 128);
  EXPECT_EQ(s.stacks[1].name, "concat");
  EXPECT_EQ(s.filesystems[0].sharers, 2);
  EXPECT_EQ(s.filesystems[1].mount_options, std::vector<std::string>{"dax"});  // ext4's defaults
  EXPECT_EQ(s.filesystems[1].mkfs_options, (std::vector<std::string>{"-b", "4096"}));
  EXPECT_EQ(s.injections[0].target.straddle, "stripe-chunk");
  EXPECT_EQ(s.injections[0].mce_mode, "ar");
  EXPECT_EQ(s.injections[1].target.structure, "btree-block");
  EXPECT_EQ(s.injections[1].target.ag, 1);
  EXPECT_EQ(s.injections[2].target.sector, 8192);
  EXPECT_EQ(s.injections[2].rate_per_s, 10);
  EXPECT_EQ(s.injections[3].target.address, 4297064448u);
  EXPECT_EQ(s.injections[5].target.space, "namespace");
  EXPECT_FALSE(s.checks.fsck);
  EXPECT_EQ(parse_scenario(scenario_to_json(s), "round-trip"), s);
}

TEST(Scenario, TargetErrorsNameTheField) {
  expect_error(set("/injections/0", J(R"({"method": "madvise", "target": {"space": "free"}, "pages": 1})")),
               "/injections/0/target", "expected a file target for madvise");
  expect_error(set("/injections/0", J(R"({"method": "mce", "target": {"space": "device", "sector": 5}, "pages": 1})")),
               "/injections/0/target/sector", "multiple of 8");
  expect_error(set("/injections/0", J(R"({"method": "mce", "target": {"space": "file"}, "pages": 1})")),
               "/injections/0/target/offset_pages", "required");
  expect_error(set("/injections/0", J(R"({"method": "mce", "target": {"space": "file", "straddle": "seam"}, "pages": 1})")),
               "/injections/0/target/straddle", "expected one of extent-boundary, stripe-chunk, concat-seam");
  expect_error(set("/injections/0", J(R"({"method": "unbind", "target": {"space": "free"}})")), "/injections/0",
               "namespace");
  expect_error(set("/injections/0", J(R"({"method": "mce", "offset_pages": 1, "pages": 1, "rate_per_s": 3})")),
               "/injections/0/rate_per_s", "only with pacing");
  expect_error(set("/injections/0", J(R"({"method": "madvise", "offset_pages": 1, "pages": 1, "mce_mode": "ar"})")),
               "/injections/0/mce_mode", "only with method mce");
  expect_error(set("/injections/0", J(R"({"method": "mce", "target": {"space": "free"}, "pages": 1, "mce_mode": "ar"})")),
               "/injections/0/mce_mode", "file target");
  expect_error(set("/injections/0", J(R"({"method": "mce", "target": {"space": "metadata", "structure": "log"}, "pages": 1})")),
               "/injections/0/target/structure", "ag-header, inode-chunk, btree-block");
}

TEST(Scenario, MissingRequiredFields) {
  expect_error(drop("/name"), "/name", "required field is missing");
  expect_error(drop("/kernels"), "/kernels", "required field is missing");
  expect_error(drop("/injections"), "/injections", "required field is missing");
  expect_error(drop("/injections/0/method"), "/injections/0/method", "required field is missing");
  expect_error(drop("/injections/0/pages"), "/injections/0/pages", "required field is missing");
  expect_error(drop("/injections/0/offset_pages"), "/injections/0/offset_pages", "required field is missing");
  expect_error(set("/stacks", J("[{}]")), "/stacks/0/type", "required field is missing");
}

TEST(Scenario, RangeMustFitTheFileAndLeaveRoomForTheNeighbour) {
  expect_error(set("/injections/0/pages", 13), "/injections/0/pages",
               "expected offset_pages + pages <= files.pages (16), got 4 + 13 = 17");
  json later = set("/injections/-", {{"method", "madvise"}, {"offset_pages", 15}, {"pages", 2}});
  expect_error(later, "/injections/1/pages", "got 15 + 2 = 17");
  json whole = set("/injections/0/offset_pages", 0);
  whole.push_back({{"op", "add"}, {"path", "/injections/0/pages"}, {"value", 16}});
  expect_error(whole, "/injections/0", "victims.neighbour (1) needs a page outside it");
  // Without a neighbour the whole file may be poisoned.
  whole.push_back({{"op", "add"}, {"path", "/victims"}, {"value", {{"neighbour", 0}}}});
  EXPECT_EQ(parse_scenario(edited(minimal(), whole), "t").injections[0].pages, 16);
  // files.pages is read before the injections that depend on it.
  json bigger = set("/files", {{"pages", 64}});
  bigger.push_back({{"op", "add"}, {"path", "/injections/0/pages"}, {"value", 40}});
  EXPECT_EQ(parse_scenario(edited(minimal(), bigger), "t").injections[0].pages, 40);
}

TEST(ScenarioFile, SyntaxErrorNamesLineAndColumn) {
  TempDir dir;
  auto file = dir.write("bad.json", "{\n  \"name\": \"x\",\n  \"kernels\": [\"a\",]\n}\n");
  try {
    load_scenario(file);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "");
    EXPECT_EQ(e.file(), file.string());
    EXPECT_THAT(e.what(), HasSubstr("invalid JSON: parse error at line 3, column 19"));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("json.exception")));
  }
}

TEST(ScenarioFile, ANumberTooLargeForADoubleIsInvalidJson) {  // found by tests/fuzz
  TempDir dir;
  auto file = dir.write("huge.json", R"({"name": "x", "trials": 1841e308})");
  try {
    load_scenario(file);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "");
    EXPECT_THAT(e.what(), HasSubstr("invalid JSON: number overflow parsing '1841e308'"));
  }
}

TEST(ScenarioFile, MissingFileIsInputError) {
  TempDir dir;
  try {
    load_scenario(dir.path() / "absent.json");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_THAT(e.what(), HasSubstr("absent.json"));
    EXPECT_THAT(e.what(), HasSubstr("cannot read"));
  }
}

TEST(ScenarioFile, RepeatedKeyIsAnErrorNotSilentlyCollapsed) {
  TempDir dir;
  auto file = dir.write("dup.json", R"({"name": "x", "kernels": ["a"], "injections": [
      {"method": "madvise", "offset_pages": 1, "pages": 1},
      {"method": "madvise", "offset_pages": 1, "pages": 1, "pages": 2}]})");
  try {
    load_scenario(file);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/injections/1/pages");
    EXPECT_THAT(e.what(), HasSubstr("appears more than once"));
  }
  auto top = dir.write("dup2.json", R"({"name": "x", "trials": [1, {"a": [2, 3]}], "trials": 2})");
  try {
    load_scenario(top);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/trials");
  }
}

TEST(ScenarioFile, RealScenarioFilesLoad) {
  const std::filesystem::path dir = std::filesystem::path(POISONLAB_SOURCE_DIR) / "scenarios";
  Scenario smoke = load_scenario(dir / "smoke.json");
  EXPECT_EQ(smoke.name, "smoke");
  EXPECT_EQ(smoke.kernels, std::vector<std::string>{"debian-6.12"});
  EXPECT_EQ(smoke.stacks, (std::vector<StackSpec>{StackSpec{"raw", 0}}));
  ASSERT_EQ(smoke.injections.size(), 2u);
  EXPECT_EQ(smoke.injections[0], file_injection("madvise", 4, 4));
  EXPECT_EQ(smoke.injections[1], file_injection("hwpoison-pfn", 4, 4));
  EXPECT_EQ(smoke.file_pages, 16);
  EXPECT_EQ(smoke.trials, 3);

  Scenario dm = load_scenario(dir / "dm-linear.json");
  EXPECT_EQ(dm.name, "dm-linear");
  EXPECT_EQ(dm.kernels, (std::vector<std::string>{"debian-6.1", "debian-6.12"}));
  EXPECT_EQ(dm.stacks, (std::vector<StackSpec>{{"raw", 0}, {"dm-linear", 16}}));
  ASSERT_EQ(dm.injections.size(), 2u);
  EXPECT_EQ(dm.injections[0].method, "hwpoison-pfn");
  EXPECT_EQ(dm.injections[1].method, "madvise");
  EXPECT_EQ(dm.injections[0].pages, 4);
  EXPECT_EQ(dm.trials, 2);
}

// The example in scenarios/README.md must stay a valid scenario.
TEST(ScenarioFile, ReadmeExampleIsValid) {
  std::string readme = read_file(std::filesystem::path(POISONLAB_SOURCE_DIR) / "scenarios" / "README.md");
  auto start = readme.find("```json\n");
  ASSERT_NE(start, std::string::npos);
  start += 8;
  auto end = readme.find("```", start);
  ASSERT_NE(end, std::string::npos);
  Scenario s = parse_scenario(parse_json_strict(readme.substr(start, end - start), "README.md"), "README.md");
  EXPECT_EQ(s.name, "two-ranges");
  EXPECT_EQ(s.injections.size(), 2u);
}

}  // namespace
}  // namespace poisonlab

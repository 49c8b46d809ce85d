#include "observe/notify_path.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace poisonlab {
namespace {

using nlohmann::json;

json ev(uint64_t t, int pid, const std::string& name, json args = json::object()) {
  return {{"time_ns", t}, {"cpu", 0}, {"pid", pid}, {"comm", "poisonlab-agent"}, {"event", name}, {"args", args}};
}

json probes(std::initializer_list<std::pair<const char*, bool>> list) {
  json out = json::array();
  for (auto [name, ok] : list)
    out.push_back({{"name", name}, {"kind", "kprobe"}, {"ok", ok}, {"error", ok ? json(nullptr) : json("ENOENT")}});
  return out;
}

json all_probes() {
  return probes({{"memory_failure", true},
                 {"memory_failure_ret", true},
                 {"pmem_pagemap_memory_failure", true},
                 {"dax_holder_notify_failure", true},
                 {"dax_holder_notify_failure_ret", true},
                 {"xfs_dax_notify_failure", true},
                 {"xfs_dax_notify_failure_ret", true},
                 {"mf_dax_kill_procs", true},
                 {"unmap_mapping_range", true},
                 {"signal_generate", true}});
}

TEST(NotifyPath, HolderPath) {
  json events = json::array({
      ev(1000, 300, "memory_failure", {{"pfn", "0x10027b"}, {"flags", "0x1"}}),
      ev(1100, 300, "pmem_pagemap_memory_failure", {{"pfn", "0x10027b"}, {"nr", "1"}, {"flags", "0x1"}}),
      ev(1200, 300, "dax_holder_notify_failure", {{"off", "0x27b000"}, {"len", "0x1000"}, {"flags", "0x1"}}),
      ev(1300, 300, "xfs_dax_notify_failure", {{"off", "0x27b000"}, {"len", "0x1000"}, {"flags", "0x1"}}),
      ev(1400, 300, "mf_dax_kill_procs", {{"index", "0x4"}, {"count", "1"}, {"flags", "0x1"}}),
      ev(1500, 300, "signal_generate", {{"sig", "7"}, {"code", "5"}}),
      ev(1550, 300, "unmap_mapping_range", {{"start", "0x4000"}, {"len", "0x1000"}}),
      ev(1600, 300, "xfs_dax_notify_failure_ret", {{"ret", "0"}}),
      ev(1700, 300, "dax_holder_notify_failure_ret", {{"ret", "0"}}),
      ev(1800, 300, "memory_failure_ret", {{"ret", "0"}}),
      ev(1900, 300, "signal_generate", {{"sig", "7"}}),  // after the return: not part of it
  });
  json result = classify_notify_path(events, all_probes());
  ASSERT_EQ(result["per_event"].size(), 1u);
  const json& g = result["per_event"][0];
  EXPECT_EQ(g["class"], "holder");
  EXPECT_EQ(g["pfn"], 0x10027b);
  EXPECT_EQ(g["xfs_dax_notify_failure_ret"], 0);
  EXPECT_EQ(g["dax_holder_notify_failure_ret"], 0);
  EXPECT_EQ(g["memory_failure_ret"], 0);
  EXPECT_TRUE(g["mf_dax_kill_procs"]);
  EXPECT_TRUE(g["unmap_mapping_range"]);
  EXPECT_EQ(g["signals_generated"], 1);
  EXPECT_EQ(g["duration_ns"], 800);
  EXPECT_EQ(g["event_count"], 10);
  EXPECT_EQ(result["summary"], json({{"holder", 1}}));
  EXPECT_TRUE(result["unavailable_probes"].empty());
}

TEST(NotifyPath, HolderThroughAForwardingMappedDevice) {
  // kernel-config/patches/dm-notify-failure: pmem's holder is the mapped
  // device, which translates the range and notifies XFS on its own dax_device.
  json events = json::array({
      ev(1000, 300, "memory_failure", {{"pfn", "0x10027b"}, {"flags", "0x1"}}),
      ev(1100, 300, "pmem_pagemap_memory_failure"),
      ev(1200, 300, "dax_holder_notify_failure", {{"off", "0x27b000"}, {"len", "0x1000"}}),
      ev(1250, 300, "dm_dax_notify_failure", {{"off", "0x27b000"}, {"len", "0x1000"}}),
      ev(1300, 300, "dax_holder_notify_failure", {{"off", "0x7b000"}, {"len", "0x1000"}}),
      ev(1400, 300, "xfs_dax_notify_failure", {{"off", "0x7b000"}, {"len", "0x1000"}}),
      ev(1500, 300, "xfs_dax_notify_failure_ret", {{"ret", "0"}}),
      ev(1600, 300, "dax_holder_notify_failure_ret", {{"ret", "0"}}),
      ev(1700, 300, "dax_holder_notify_failure_ret", {{"ret", "0"}}),
      ev(1800, 300, "memory_failure_ret", {{"ret", "0"}}),
  });
  json with_dm_probe = all_probes();
  with_dm_probe.push_back({{"name", "dm_dax_notify_failure"}, {"kind", "kprobe"}, {"ok", true}, {"error", nullptr}});
  const json g = classify_notify_path(events, with_dm_probe)["per_event"][0];
  EXPECT_EQ(g["class"], "holder");
  EXPECT_EQ(g["dm_forwarded"], true);
  EXPECT_EQ(g["dax_holder_notify_failure_calls"], 2);
  EXPECT_NE(g["reason"].get<std::string>().find("forwarded by dm_dax_notify_failure"), std::string::npos);
}

TEST(NotifyPath, DmForwardedIsFalseOnlyWhenItsProbeWorked) {
  json events = json::array({
      ev(1000, 300, "memory_failure", {{"pfn", "0x10027b"}, {"flags", "0x1"}}),
      ev(1100, 300, "pmem_pagemap_memory_failure"),
      ev(1200, 300, "dax_holder_notify_failure"),
      ev(1300, 300, "dax_holder_notify_failure_ret", {{"ret", "-95"}}),
      ev(1400, 300, "memory_failure_ret", {{"ret", "0"}}),
  });
  json stock = classify_notify_path(events, all_probes())["per_event"][0];
  EXPECT_EQ(stock["class"], "generic-fallback");
  EXPECT_TRUE(stock["dm_forwarded"].is_null());  // a kernel without the patch: not known
  json with_dm_probe = all_probes();
  with_dm_probe.push_back({{"name", "dm_dax_notify_failure"}, {"kind", "kprobe"}, {"ok", true}, {"error", nullptr}});
  json patched = classify_notify_path(events, with_dm_probe)["per_event"][0];
  EXPECT_EQ(patched["dm_forwarded"], false);
  EXPECT_EQ(patched["dax_holder_notify_failure_calls"], 1);
}

TEST(NotifyPath, TimelineOfOneMemoryFailure) {
  // The order memory_failure -> holder -> kill -> unmap -> signal of 6.12.
  json events = json::array({
      ev(1000, 300, "memory_failure", {{"pfn", "0x10027b"}, {"flags", "0x1"}}),
      ev(1100, 300, "pmem_pagemap_memory_failure"),
      ev(1200, 300, "dax_holder_notify_failure"),
      ev(1300, 300, "xfs_dax_notify_failure"),
      ev(1400, 300, "mf_dax_kill_procs"),
      ev(1450, 300, "unmap_mapping_range"),
      ev(1480, 300, "unmap_mapping_range_ret"),
      ev(1490, 300, "unmap_mapping_range"),
      ev(1520, 300, "unmap_mapping_range_ret"),
      ev(1600, 300, "signal_generate", {{"sig", "7"}}),
      ev(1650, 300, "signal_generate", {{"sig", "7"}}),
      ev(1700, 300, "xfs_dax_notify_failure_ret", {{"ret", "0"}}),
      ev(1800, 300, "memory_failure_ret", {{"ret", "0"}}),
      ev(1850, 300, "unmap_mapping_range_ret"),  // after the return: not part of it
  });
  json t = classify_notify_path(events, all_probes())["per_event"][0]["timeline"];
  EXPECT_EQ(t, json({{"memory_failure_ns", 1000},
                     {"notify_ns", 1200},
                     {"kill_procs_ns", 1400},
                     {"unmap_start_ns", 1450},
                     {"unmap_done_ns", 1520},
                     {"first_signal_generated_ns", 1600},
                     {"last_signal_generated_ns", 1650},
                     {"memory_failure_return_ns", 1800}}));
  // Nothing but the entry seen: the rest is null, not zero.
  json bare = classify_notify_path(json::array({ev(5, 1, "memory_failure")}), all_probes());
  EXPECT_EQ(bare["per_event"][0]["timeline"]["memory_failure_ns"], 5);
  EXPECT_TRUE(bare["per_event"][0]["timeline"]["unmap_done_ns"].is_null());
}

TEST(NotifyPath, HolderWithoutCapturedReturnAndHolderError) {
  json events = json::array({
      ev(10, 1, "memory_failure", {{"pfn", "0x100"}}),
      ev(20, 1, "pmem_pagemap_memory_failure"),
      ev(30, 1, "xfs_dax_notify_failure"),
      ev(40, 1, "memory_failure", {{"pfn", "0x101"}}),
      ev(50, 1, "xfs_dax_notify_failure"),
      ev(60, 1, "xfs_dax_notify_failure_ret", {{"ret", "-117"}}),
      ev(70, 1, "dax_holder_notify_failure_ret", {{"ret", "-117"}}),
  });
  json result = classify_notify_path(events, all_probes());
  ASSERT_EQ(result["per_event"].size(), 2u);
  EXPECT_EQ(result["per_event"][0]["class"], "holder");
  EXPECT_EQ(result["per_event"][0]["xfs_dax_notify_failure_ret"], nullptr);
  EXPECT_EQ(result["per_event"][1]["class"], "holder-error");
  EXPECT_EQ(result["per_event"][1]["xfs_dax_notify_failure_ret"], -117);
  EXPECT_EQ(result["summary"], json({{"holder", 1}, {"holder-error", 1}}));
}

// XFS without a reverse map declines; memory_failure then takes the generic path.
TEST(NotifyPath, XfsDecliningIsTheGenericFallback) {
  json events = json::array({
      ev(10, 1, "memory_failure", {{"pfn", "0x100"}}),
      ev(20, 1, "pmem_pagemap_memory_failure"),
      ev(30, 1, "xfs_dax_notify_failure"),
      ev(40, 1, "xfs_dax_notify_failure_ret", {{"ret", "-95"}}),
      ev(50, 1, "dax_holder_notify_failure_ret", {{"ret", "-95"}}),
  });
  json result = classify_notify_path(events, all_probes());
  ASSERT_EQ(result["per_event"].size(), 1u);
  EXPECT_EQ(result["per_event"][0]["class"], "generic-fallback");
  EXPECT_NE(result["per_event"][0]["reason"].get<std::string>().find("declined"), std::string::npos);
}

TEST(NotifyPath, GenericFallbackWithEopnotsupp) {
  json events = json::array({
      ev(100, 42, "memory_failure", {{"pfn", "0x10027c"}, {"flags", "0x0"}}),
      ev(110, 42, "pmem_pagemap_memory_failure", {{"pfn", "0x10027c"}}),
      ev(120, 42, "dax_holder_notify_failure"),
      ev(130, 42, "dax_holder_notify_failure_ret", {{"ret", "-95"}}),
      ev(140, 42, "unmap_mapping_range"),
      ev(150, 42, "memory_failure_ret", {{"ret", "0"}}),
  });
  json result = classify_notify_path(events, all_probes());
  ASSERT_EQ(result["per_event"].size(), 1u);
  EXPECT_EQ(result["per_event"][0]["class"], "generic-fallback");
  EXPECT_EQ(result["per_event"][0]["dax_holder_notify_failure_ret"], -95);
  EXPECT_FALSE(result["per_event"][0]["mf_dax_kill_procs"]);
  EXPECT_EQ(result["summary"], json({{"generic-fallback", 1}}));
}

TEST(NotifyPath, FallbackWithoutReturnNeedsTheXfsProbe) {
  json events = json::array({
      ev(100, 42, "memory_failure", {{"pfn", "0x10027c"}}),
      ev(110, 42, "pmem_pagemap_memory_failure"),
      ev(120, 42, "dax_holder_notify_failure"),
  });
  auto with_xfs = probes({{"memory_failure", true},
                          {"pmem_pagemap_memory_failure", true},
                          {"dax_holder_notify_failure", true},
                          {"xfs_dax_notify_failure", true}});
  EXPECT_EQ(classify_notify_path(events, with_xfs)["per_event"][0]["class"], "generic-fallback");
  auto without_xfs = probes({{"memory_failure", true},
                             {"pmem_pagemap_memory_failure", true},
                             {"dax_holder_notify_failure", true},
                             {"xfs_dax_notify_failure", false}});
  json result = classify_notify_path(events, without_xfs);
  EXPECT_EQ(result["per_event"][0]["class"], "unknown");
  EXPECT_EQ(result["unavailable_probes"], json::array({"xfs_dax_notify_failure"}));
}

TEST(NotifyPath, MissingProbesGiveUnknown) {
  json events =
      json::array({ev(5, 9, "memory_failure", {{"pfn", "0x10"}}), ev(6, 9, "memory_failure_ret", {{"ret", "0"}})});
  json result =
      classify_notify_path(events, probes({{"memory_failure", true}, {"pmem_pagemap_memory_failure", false}}));
  ASSERT_EQ(result["per_event"].size(), 1u);
  EXPECT_EQ(result["per_event"][0]["class"], "unknown");
  EXPECT_EQ(result["summary"], json({{"unknown", 1}}));
  // trace disabled: no probes at all, no events
  json none = classify_notify_path(json::array(), nullptr);
  EXPECT_TRUE(none["per_event"].empty());
  EXPECT_TRUE(none["summary"].empty());
  EXPECT_EQ(none["unavailable_probes"].size(), 4u);
}

TEST(NotifyPath, NoDaxHandler) {
  json events = json::array({
      ev(5, 9, "memory_failure", {{"pfn", "0x3f00"}}),
      ev(6, 9, "unmap_mapping_range"),
      ev(7, 9, "memory_failure_ret", {{"ret", "-16"}}),
  });
  json g = classify_notify_path(events, all_probes())["per_event"][0];
  EXPECT_EQ(g["class"], "no-dax-handler");
  EXPECT_EQ(g["memory_failure_ret"], -16);
  EXPECT_NE(g["reason"].get<std::string>().find("-16"), std::string::npos);
}

TEST(NotifyPath, TwoPagesFromOnePidAndAnInterleavedPid) {
  // pid 300 poisons 0x100 then 0x101 without a captured return in between;
  // pid 301 poisons 0x200 while pid 300 is busy. Events arrive out of order.
  json events = json::array({
      ev(10, 300, "memory_failure", {{"pfn", "0x100"}}),
      ev(12, 301, "memory_failure", {{"pfn", "0x200"}}),
      ev(14, 300, "pmem_pagemap_memory_failure"),
      ev(16, 301, "pmem_pagemap_memory_failure"),
      ev(18, 300, "xfs_dax_notify_failure"),
      ev(19, 301, "dax_holder_notify_failure_ret", {{"ret", "-95"}}),
      ev(30, 300, "memory_failure", {{"pfn", "0x101"}}),
      ev(20, 300, "xfs_dax_notify_failure_ret", {{"ret", "0"}}),
      ev(32, 300, "pmem_pagemap_memory_failure"),
      ev(34, 300, "dax_holder_notify_failure_ret", {{"ret", "-95"}}),
      ev(36, 300, "memory_failure_ret", {{"ret", "0"}}),
      ev(40, 301, "memory_failure_ret", {{"ret", "0"}}),
  });
  json result = classify_notify_path(events, all_probes());
  const json& per = result["per_event"];
  ASSERT_EQ(per.size(), 3u);
  EXPECT_EQ(per[0]["pfn"], 0x100);
  EXPECT_EQ(per[0]["class"], "holder");
  EXPECT_EQ(per[0]["end_ns"], 20);
  EXPECT_EQ(per[0]["memory_failure_ret"], nullptr);
  EXPECT_EQ(per[1]["pfn"], 0x200);
  EXPECT_EQ(per[1]["pid"], 301);
  EXPECT_EQ(per[1]["class"], "generic-fallback");
  EXPECT_EQ(per[1]["duration_ns"], 28);
  EXPECT_EQ(per[2]["pfn"], 0x101);
  EXPECT_EQ(per[2]["class"], "generic-fallback");
  EXPECT_EQ(per[2]["duration_ns"], 6);
  EXPECT_EQ(result["summary"], json({{"holder", 1}, {"generic-fallback", 2}}));
}

TEST(NotifyPath, ReturnValuesInUnsignedRenderingAndGroupPrefix) {
  json events = json::array({
      ev(1, 7, "poisonlab/memory_failure", {{"pfn", "10027b"}}),
      ev(2, 7, "poisonlab/dax_holder_notify_failure_ret", {{"ret", "0xffffffa1"}}),
  });
  json g = classify_notify_path(events, all_probes())["per_event"][0];
  EXPECT_EQ(g["pfn"], 0x10027b);
  EXPECT_EQ(g["dax_holder_notify_failure_ret"], -95);
  EXPECT_EQ(g["class"], "generic-fallback");
}

TEST(NotifyPath, FlagsAreNamedWithTheKernelsEnum) {
  json events = json::array({ev(1, 7, "memory_failure", {{"pfn", "0x10021d"}, {"flags", "0x23"}}),
                             ev(2, 7, "memory_failure", {{"pfn", "0x10021e"}})});
  json mf_flags = {{"MF_COUNT_INCREASED", 1}, {"MF_ACTION_REQUIRED", 2}, {"MF_SW_SIMULATED", 32}};
  json per = classify_notify_path(events, all_probes(), mf_flags)["per_event"];
  EXPECT_EQ(per[0]["flags"], "0x23");
  EXPECT_EQ(per[0]["flag_names"], json({"MF_COUNT_INCREASED", "MF_ACTION_REQUIRED", "MF_SW_SIMULATED"}));
  EXPECT_EQ(per[0]["unknown_flag_bits"], "0x0");
  EXPECT_EQ(per[1]["flags"], nullptr);  // not traced: nothing to name
  EXPECT_EQ(per[1]["flag_names"], nullptr);

  json unnamed = classify_notify_path(events, all_probes())["per_event"][0];  // no enum recorded
  EXPECT_EQ(unnamed["flags"], "0x23");
  EXPECT_EQ(unnamed["flag_names"], nullptr);
}

TEST(NotifyPath, MalformedEventsNameTheField) {
  json events = json::array({ev(1, 7, "memory_failure"), {{"time_ns", 2}, {"pid", 7}}});
  try {
    classify_notify_path(events, all_probes());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), "/trace_events/1/event");
    EXPECT_EQ(e.exit_code(), kExitBadInput);
  }
  EXPECT_THROW(classify_notify_path(json::object(), all_probes()), InputError);
}

}  // namespace
}  // namespace poisonlab

#include "observe/perf_parse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poisonlab {
namespace {

using ::testing::ElementsAre;

// perf stat -a -x, -o FILE, as perf 6.1 writes it.
constexpr const char* kStatCsv =
    "# started on Wed Nov 25 13:53:43 2026\n"
    "\n"
    "64,,ras:memory_failure_event,1002345678,100.00,,\n"
    "128,,signal:signal_generate,1002345678,100.00,,\n"
    "<not counted>,,poisonlab:xfs_dax_notify_failure,0,0.00,,\n"
    "<not supported>,,poisonlab:mf_generic_kill_procs,0,0.00,,\n"
    "431.96,msec,cpu-clock,431960325,100.00,2.000,CPUs utilized\n";

TEST(PerfStat, CountsPerEvent) {
  PerfStatOutput out = parse_perf_stat_csv(kStatCsv);
  ASSERT_EQ(out.counts.size(), 5u);
  EXPECT_TRUE(out.unparsed.empty());
  EXPECT_EQ(out.counts[0].event, "ras:memory_failure_event");
  EXPECT_EQ(out.counts[0].value, 64.0);
  EXPECT_EQ(out.counts[1].value, 128.0);
  EXPECT_FALSE(out.counts[2].value.has_value());
  EXPECT_FALSE(out.counts[3].value.has_value());
  EXPECT_EQ(out.counts[4].unit, "msec");
  EXPECT_DOUBLE_EQ(*out.counts[4].value, 431.96);
}

TEST(PerfStat, JsonKeepsIntegersWholeAndNotCountedNull) {
  nlohmann::json j = stat_counts_json(parse_perf_stat_csv(kStatCsv));
  EXPECT_TRUE(j["ras:memory_failure_event"].is_number_unsigned());
  EXPECT_EQ(j["ras:memory_failure_event"], 64);
  EXPECT_TRUE(j["poisonlab:xfs_dax_notify_failure"].is_null());
  EXPECT_TRUE(j["cpu-clock"].is_number_float());
}

TEST(PerfStat, GarbageLinesAreReportedNotCounted) {
  PerfStatOutput out = parse_perf_stat_csv("Events disabled\nabc,,ras:memory_failure_event,1,100.00,,\n7,,\n");
  EXPECT_TRUE(out.counts.empty());
  EXPECT_THAT(out.unparsed, ElementsAre("Events disabled", "abc,,ras:memory_failure_event,1,100.00,,", "7,,"));
}

// perf script -F comm,pid,tid,period,event,ip,sym,dso of a guest: a kernel
// chain through memory_failure (module frames included), an idle sample, a
// user-space chain with a C++ symbol holding spaces and parentheses, a comm
// with a space, and a sample whose chain is empty.
constexpr const char* kScript =
    "pl-agent   201/201   1001001 cpu-clock: \n"
    "\tffffffff8a2b1c40 __rmap_walk_file ([kernel.kallsyms])\n"
    "\tffffffff8a2b3d10 mf_dax_kill_procs ([kernel.kallsyms])\n"
    "\tffffffffc0a51234 xfs_dax_notify_failure ([xfs])\n"
    "\tffffffff8a7c0a10 dax_holder_notify_failure ([kernel.kallsyms])\n"
    "\tffffffffc09f0010 pmem_pagemap_memory_failure ([nd_pmem])\n"
    "\tffffffff8a2b4f00 memory_failure+0x2d0 ([kernel.kallsyms])\n"
    "\tffffffffc0b00123 hwpoison_inject ([hwpoison_inject])\n"
    "\tffffffff8a3f1b22 vfs_write ([kernel.kallsyms])\n"
    "\t    7f3a1c2e4b10 __GI___libc_write (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
    "\n"
    "swapper     0/0   1001001 cpu-clock: \n"
    "\tffffffff8a9e4a1f pv_native_safe_halt ([kernel.kallsyms])\n"
    "\tffffffff8a9e4c30 default_idle ([kernel.kallsyms])\n"
    "\n"
    "pl-agent   201/201   1001001 cpu-clock: \n"
    "\tffffffff8a2b3d10 mf_dax_kill_procs ([kernel.kallsyms])\n"
    "\tffffffffc0a51234 xfs_dax_notify_failure ([xfs])\n"
    "\tffffffff8a2b4f00 memory_failure ([kernel.kallsyms])\n"
    "\n"
    "cc1plus 18822/18822   10101010 cpu-clock: \n"
    "\t          57ab69 hash_table<cgraph_edge_hasher, false, xcallocator>::find_slot_with_hash (/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus)\n"
    "\t             1fd [unknown] ([unknown])\n"
    "\t          2e74be [unknown] (/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus)\n"
    "\n"
    "Web Content 77/78   1001001 cpu-clock: \n"
    "\n"
    "pl-early-0   210/210   1001001 cpu-clock: \n"
    "\tffffffff8a2b4f00 memory_failure ([kernel.kallsyms])\n"
    "\tffffffff8a2b4f00 memory_failure ([kernel.kallsyms])\n";

TEST(PerfScript, ParsesHeadersAndChains) {
  auto samples = parse_perf_script(kScript);
  ASSERT_EQ(samples.size(), 6u);
  EXPECT_EQ(samples[0].comm, "pl-agent");
  EXPECT_EQ(samples[0].pid, 201);
  ASSERT_EQ(samples[0].frames.size(), 9u);
  EXPECT_EQ(samples[0].frames[0].name, "__rmap_walk_file");
  EXPECT_EQ(samples[0].frames[5].name, "memory_failure");  // offset stripped
  EXPECT_TRUE(samples[0].frames[2].kernel);                 // module frame
  EXPECT_FALSE(samples[0].frames[8].kernel);
  EXPECT_TRUE(samples[1].idle());
  EXPECT_EQ(samples[3].frames[0].name, "hash_table<cgraph_edge_hasher, false, xcallocator>::find_slot_with_hash");
  EXPECT_EQ(samples[3].frames[1].name, "[unknown]");
  EXPECT_EQ(samples[3].frames[2].name, "[cc1plus]");
  EXPECT_EQ(samples[4].comm, "Web Content");
  EXPECT_EQ(samples[4].tid, 78);
  EXPECT_TRUE(samples[4].frames.empty());
}

TEST(PerfScript, HeaderWithoutCallChainCarriesTheIp) {
  auto samples = parse_perf_script("pl-agent 5/5 1001001 cpu-clock:  ffffffff8a2b4f00 memory_failure ([kernel.kallsyms])\n");
  ASSERT_EQ(samples.size(), 1u);
  ASSERT_EQ(samples[0].frames.size(), 1u);
  EXPECT_EQ(samples[0].frames[0].name, "memory_failure");
  EXPECT_TRUE(samples[0].frames[0].kernel);
}

TEST(PerfScript, FoldsRootFirstWithCounts) {
  auto folded = fold_stacks(parse_perf_script(std::string(kScript) + "\n" +
                                              "pl-agent   201/201   1001001 cpu-clock: \n"
                                              "\tffffffff8a2b3d10 mf_dax_kill_procs ([kernel.kallsyms])\n"
                                              "\tffffffffc0a51234 xfs_dax_notify_failure ([xfs])\n"
                                              "\tffffffff8a2b4f00 memory_failure ([kernel.kallsyms])\n"));
  EXPECT_EQ(folded.at("pl-agent;memory_failure;xfs_dax_notify_failure;mf_dax_kill_procs"), 2u);
  EXPECT_EQ(folded.at("pl-agent;__GI___libc_write;vfs_write;hwpoison_inject;memory_failure;pmem_pagemap_memory_failure;"
                      "dax_holder_notify_failure;xfs_dax_notify_failure;mf_dax_kill_procs;__rmap_walk_file"),
            1u);
  EXPECT_EQ(folded.at("swapper;default_idle;pv_native_safe_halt"), 1u);
  EXPECT_EQ(folded.at("Web_Content"), 1u);
  std::string text = folded_text(folded);
  EXPECT_NE(text.find("swapper;default_idle;pv_native_safe_halt 1\n"), std::string::npos);
  EXPECT_NE(text.find("pl-agent;memory_failure;xfs_dax_notify_failure;mf_dax_kill_procs 2\n"), std::string::npos);
}

TEST(PerfScript, RanksKernelFunctionsWithoutIdle) {
  KernelProfile p = rank_kernel_functions(parse_perf_script(kScript), 3);
  EXPECT_EQ(p.samples, 6u);
  EXPECT_EQ(p.idle_samples, 1u);
  EXPECT_EQ(p.kernel_leaf_samples, 3u);  // two pl-agent, one pl-early-0; cc1plus is user, Web Content empty
  ASSERT_EQ(p.top_self.size(), 3u);
  // Ties (1 sample each) go by name.
  EXPECT_EQ(p.top_self[0].function, "__rmap_walk_file");
  EXPECT_EQ(p.top_self[1].function, "memory_failure");
  EXPECT_EQ(p.top_self[2].function, "mf_dax_kill_procs");
  // memory_failure is in three chains, counted once in the recursive one.
  ASSERT_EQ(p.top_inclusive.size(), 3u);
  EXPECT_EQ(p.top_inclusive[0].function, "memory_failure");
  EXPECT_EQ(p.top_inclusive[0].samples, 3u);
  EXPECT_EQ(p.top_inclusive[1].function, "mf_dax_kill_procs");
  EXPECT_EQ(p.top_inclusive[1].samples, 2u);
  EXPECT_EQ(p.top_inclusive[2].function, "xfs_dax_notify_failure");
  for (const auto& f : p.top_inclusive) EXPECT_NE(f.function, "default_idle");
  nlohmann::json j = to_json(p);
  EXPECT_EQ(j["top_inclusive"][0]["function"], "memory_failure");
  EXPECT_EQ(j["idle_samples"], 1);
}

}  // namespace
}  // namespace poisonlab

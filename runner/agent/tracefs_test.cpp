#include "agent/tracefs.h"

#include <gtest/gtest.h>

namespace poisonlab::agent {
namespace {

TEST(Tracefs, KprobeCommands) {
  const auto& probes = default_probes();
  ASSERT_GE(probes.size(), 13u);
  EXPECT_EQ(kprobe_command(probes[0]), "p:poisonlab/memory_failure memory_failure pfn=$arg1:x64 flags=$arg2:x32");
  EXPECT_EQ(kprobe_command(probes[1]), "r:poisonlab/memory_failure_ret memory_failure ret=$retval:s32");
}

TEST(Tracefs, ProtocolProbeNamesAreAllPresent) {
  std::vector<std::string> names;
  for (const auto& p : default_probes()) names.push_back(p.name);
  for (const char* want : {"memory_failure", "memory_failure_ret", "pmem_pagemap_memory_failure",
                           "dax_holder_notify_failure", "dax_holder_notify_failure_ret", "xfs_dax_notify_failure",
                           "xfs_dax_notify_failure_ret", "mf_dax_kill_procs", "mf_generic_kill_procs",
                           "unmap_mapping_range", "unmap_mapping_range_ret", "memory_failure_event", "signal_generate", "xfs_force_shutdown"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
}

TEST(Tracefs, UnusableRootIsReportedNotThrown) {
  TraceSession s("/nonexistent-tracefs");
  EXPECT_FALSE(s.usable());
  ASSERT_TRUE(s.error().has_value());
  EXPECT_NE(s.error()->find("/nonexistent-tracefs/kprobe_events"), std::string::npos);
  EXPECT_EQ(s.to_json(true)["enabled"], false);
}

}  // namespace
}  // namespace poisonlab::agent

#include "agent/kmsg.h"

#include <gtest/gtest.h>

namespace poisonlab::agent {
namespace {

TEST(Kmsg, FormatsLikeDmesg) {
  EXPECT_EQ(format_kmsg_record("6,339,5140900,-;XFS (pmem0): Ending clean mount\n").value_or(""),
            "[    5.140900] XFS (pmem0): Ending clean mount");
  // With the caller field (CONFIG_PRINTK_CALLER) and a dictionary.
  EXPECT_EQ(format_kmsg_record("4,12,123456789012,-,caller=T42;hello\n SUBSYSTEM=nd\n").value_or(""),
            "[123456.789012] hello");
  EXPECT_EQ(format_kmsg_record("3,1,0,c;x").value_or(""), "[    0.000000] x");
}

TEST(Kmsg, RejectsMalformed) {
  EXPECT_FALSE(format_kmsg_record(" SUBSYSTEM=nd").has_value());
  EXPECT_FALSE(format_kmsg_record("6,339;text").has_value());
  EXPECT_FALSE(format_kmsg_record("6,339,abc,-;text").has_value());
  EXPECT_FALSE(format_kmsg_record("no semicolon").has_value());
}

TEST(Kmsg, ParsesMadviseLine) {
  auto l = parse_kernel_pfn_line(
      "[   20.123456] Injecting memory failure for pfn 0x10027b at process virtual address 0x7f0011223000");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->kind, KernelPfnLine::Kind::kMadviseInject);
  EXPECT_EQ(l->pfn, 0x10027bu);
  EXPECT_EQ(l->vaddr.value_or(0), 0x7f0011223000u);
}

TEST(Kmsg, ParsesHwpoisonInjectLine) {
  auto l = parse_kernel_pfn_line("[   20.1] Injecting memory failure at pfn 0x101205");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->kind, KernelPfnLine::Kind::kHwpoisonInject);
  EXPECT_EQ(l->pfn, 0x101205u);
  EXPECT_FALSE(l->vaddr.has_value());
}

TEST(Kmsg, ParsesRecoveryAction) {
  auto l = parse_kernel_pfn_line("[   20.2] Memory failure: 0x10027b: recovery action for dax page: Recovered");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->kind, KernelPfnLine::Kind::kRecoveryAction);
  EXPECT_EQ(l->pfn, 0x10027bu);
  EXPECT_EQ(l->page_type, "dax page");
  EXPECT_EQ(l->result, "Recovered");
  EXPECT_FALSE(parse_kernel_pfn_line("[ 1.0] XFS (pmem0): Mounting V5 Filesystem").has_value());
}

}  // namespace
}  // namespace poisonlab::agent

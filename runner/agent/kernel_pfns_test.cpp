#include "agent/kernel_pfns.h"

#include <gtest/gtest.h>

namespace poisonlab::agent {
namespace {

const std::vector<std::string> kMadviseLog{
    "[   30.000001] Injecting memory failure for pfn 0x10027e at process virtual address 0x7f0000002000",
    "[   30.000002] Memory failure: 0x10027e: recovery action for dax page: Recovered",
    "[   30.000003] Injecting memory failure for pfn 0x10027c at process virtual address 0x7f0000000000",
    "[   30.000004] Memory failure: 0x10027c: recovery action for dax page: Failed",
    "[   30.000005] Injecting memory failure for pfn 0x1 at process virtual address 0x7f0000009000",  // outside
};

TEST(KernelPfns, MadviseLinesMapToFilePagesByAddress) {
  // The injector maps file pages 4..7 at 0x7f0000000000.
  auto m = madvise_pfns_by_file_page(kMadviseLog, {0x7f0000000000, 4, 4, 4096});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.at(4), 0x10027cu);
  EXPECT_EQ(m.at(6), 0x10027eu);
  EXPECT_EQ(m.count(5), 0u);
}

TEST(KernelPfns, HwpoisonInjectLine) {
  EXPECT_EQ(hwpoison_inject_pfn({"[ 1.0] something", "[ 1.1] Injecting memory failure at pfn 0x101205"}),
            0x101205u);
  EXPECT_FALSE(hwpoison_inject_pfn(kMadviseLog).has_value());
}

TEST(KernelPfns, RecoveryActionForPfn) {
  auto actions = recovery_actions(kMadviseLog);
  EXPECT_EQ(actions[0x10027e], "dax page: Recovered");
  EXPECT_EQ(actions[0x10027c], "dax page: Failed");
  EXPECT_FALSE(actions.count(0x10027d));
}

}  // namespace
}  // namespace poisonlab::agent

#include "agent/victims.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <gtest/gtest.h>
#include <thread>

#include "agent/trial_file.h"

namespace poisonlab::agent {
namespace {

CellSpec spec_with(uint64_t file_pages, uint64_t offset, uint64_t pages, std::string method) {
  CellSpec s;
  s.file_pages = file_pages;
  s.offset_pages = offset;
  s.pages = pages;
  s.method = std::move(method);
  s.early_kill = 2;
  s.late_kill = 1;
  s.neighbour = 1;
  return s;
}

TEST(Victims, PlanWithInjectorAndNeighbourAfterRange) {
  std::vector<std::string> errors;
  auto plans = plan_victims(spec_with(16, 4, 4, "madvise"), errors);
  ASSERT_EQ(plans.size(), 5u);
  EXPECT_EQ(plans[0].id, "early-0");
  EXPECT_EQ(plans[1].id, "early-1");
  EXPECT_EQ(plans[2].role, Role::kLateKill);
  EXPECT_EQ(plans[2].map_pages, 16u);
  EXPECT_EQ(plans[3].role, Role::kNeighbour);
  EXPECT_EQ(plans[3].map_offset_pages, 8u);
  EXPECT_EQ(plans[3].map_pages, 8u);
  EXPECT_TRUE(plans[3].early_kill());
  EXPECT_EQ(plans[4].role, Role::kInjector);
  EXPECT_EQ(plans[4].map_offset_pages, 4u);
  EXPECT_EQ(plans[4].map_pages, 4u);
  EXPECT_FALSE(plans[4].early_kill());
  EXPECT_TRUE(errors.empty());
}

TEST(Victims, NeighbourBeforeRangeOrNone) {
  std::vector<std::string> errors;
  auto plans = plan_victims(spec_with(8, 4, 4, "hwpoison-pfn"), errors);
  ASSERT_EQ(plans.size(), 4u);  // no injector for hwpoison-pfn
  EXPECT_EQ(plans[3].map_offset_pages, 0u);
  EXPECT_EQ(plans[3].map_pages, 4u);
  EXPECT_FALSE(plans[3].maps_page(4));
  plans = plan_victims(spec_with(4, 0, 4, "hwpoison-pfn"), errors);
  EXPECT_EQ(plans.size(), 3u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("no neighbour"), std::string::npos);
}

// Real processes on an ordinary file: mapping, a recorded SIGBUS (sent by
// kill, so code SI_USER), a re-access that reads the page's pattern, exit.
TEST(Victims, LifecycleOnOrdinaryFile) {
  auto dir = std::filesystem::temp_directory_path() / ("pl-victims-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / "f";
  try {
    create_trial_file(path, 4, 4096);
  } catch (const std::exception& e) {
    std::filesystem::remove_all(dir);
    GTEST_SKIP() << e.what();  // no FIEMAP here
  }
  {
    VictimGroup g({{"early-0", Role::kEarlyKill, 0, 4}, {"late-0", Role::kLateKill, 2, 2}}, path, 4096);
    std::vector<std::string> errors;
    g.wait_ready(std::chrono::seconds(10), errors);
    ASSERT_TRUE(errors.empty()) << errors[0];
    ASSERT_TRUE(g.ready(0));
    EXPECT_NE(g.map_addr(0), 0u);
    EXPECT_FALSE(g.has_signal_for(0, 1));
    ::kill(g.pid(0), SIGBUS);
    for (int i = 0; i < 2000 && g.signals(0).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto sig = g.signals(0);
    ASSERT_EQ(sig.size(), 1u);
    EXPECT_EQ(sig[0].signo, SIGBUS);
    EXPECT_EQ(sig[0].code, SI_USER);
    auto r = g.reaccess(1, 3, std::chrono::seconds(10));
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.outcome, "read-ok");
    EXPECT_EQ(r.data_matches, true);  // page 3 holds the number 3
    EXPECT_EQ(r.file_page, 3u);
    auto e0 = g.finish(0, std::chrono::seconds(10));
    EXPECT_EQ(e0.status, "exited");
    EXPECT_EQ(e0.code, 0);
    auto again = g.reaccess(0, 0, std::chrono::seconds(1));
    EXPECT_FALSE(again.done);
    EXPECT_EQ(again.outcome, "not-run");
  }  // late-0 is killed by the destructor
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace poisonlab::agent

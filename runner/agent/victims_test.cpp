#include "agent/victims.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <gtest/gtest.h>
#include <thread>

#include "agent/trial_file.h"
#include "common/temp_dir.h"

namespace poisonlab::agent {
namespace {

CellSpec spec_with(std::string method) {
  CellSpec s;
  s.method = std::move(method);
  s.early_kill = 2;
  s.late_kill = 1;
  s.neighbour = 1;
  return s;
}

VictimLayout layout(uint64_t window_first, uint64_t window_pages, std::optional<uint64_t> range_first,
                    uint64_t range_pages) {
  return {"/m/victim", window_first, window_pages, range_first, range_pages, {}, {}};
}

TEST(Victims, PlanWithInjectorAndNeighbourAfterRange) {
  std::vector<std::string> errors;
  auto plans = plan_victims(spec_with("madvise"), layout(0, 16, 4, 4), errors);
  ASSERT_EQ(plans.size(), 5u);
  EXPECT_EQ(plans[0].id, "early-0");
  EXPECT_EQ(plans[0].file, "victim");
  EXPECT_EQ(plans[0].path, "/m/victim");
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
  auto plans = plan_victims(spec_with("hwpoison-pfn"), layout(0, 8, 4, 4), errors);
  ASSERT_EQ(plans.size(), 4u);  // no injector for hwpoison-pfn
  EXPECT_EQ(plans[3].map_offset_pages, 0u);
  EXPECT_EQ(plans[3].map_pages, 4u);
  EXPECT_FALSE(plans[3].maps_page(4));
  plans = plan_victims(spec_with("hwpoison-pfn"), layout(0, 4, 0, 4), errors);
  EXPECT_EQ(plans.size(), 3u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("no neighbour"), std::string::npos);
}

TEST(Victims, WindowInsideALargeFileAndSharers) {
  std::vector<std::string> errors;
  VictimLayout l = layout(1000, 16, 1006, 4);
  l.sharers = {{"sharer-0", "/m/s0"}, {"sharer-1", "/m/s1"}};
  auto plans = plan_victims(spec_with("mce"), l, errors);
  ASSERT_EQ(plans.size(), 6u);
  EXPECT_EQ(plans[0].map_offset_pages, 1000u);
  EXPECT_EQ(plans[3].role, Role::kNeighbour);
  EXPECT_EQ(plans[3].map_offset_pages, 1010u);
  EXPECT_EQ(plans[3].map_pages, 6u);
  EXPECT_EQ(plans[4].id, "sharer-0-early-0");
  EXPECT_EQ(plans[4].file, "sharer-0");
  EXPECT_EQ(plans[4].path, "/m/s0");
  EXPECT_EQ(plans[4].map_offset_pages, 1000u);
  EXPECT_TRUE(plans[5].early_kill());
}

TEST(Victims, EveryVictimFileGetsItsOwnMappers) {
  std::vector<std::string> errors;
  VictimLayout l = layout(0, 16, 4, 2);
  l.more_victims = {{"victim-1", "/m/victim-1"}, {"victim-2", "/m/victim-2"}};
  l.sharers = {{"sharer-0", "/m/sharer-0"}};
  auto plans = plan_victims(spec_with("hwpoison-pfn"), l, errors);
  ASSERT_EQ(plans.size(), 3u * 4u + 1u);
  EXPECT_EQ(plans[4].id, "f1-early-0");
  EXPECT_EQ(plans[4].file, "victim-1");
  EXPECT_EQ(plans[4].path, "/m/victim-1");
  EXPECT_EQ(plans[4].map_pages, 16u);
  EXPECT_EQ(plans[6].id, "f1-late-0");
  EXPECT_EQ(plans[7].id, "f1-neighbour-0");
  EXPECT_EQ(plans[7].map_offset_pages, 6u);  // the same range in every file
  EXPECT_EQ(plans[11].id, "f2-neighbour-0");
  EXPECT_EQ(plans[11].file, "victim-2");
  EXPECT_EQ(plans[12].id, "sharer-0-early-0");
  EXPECT_TRUE(errors.empty());
}

TEST(Victims, ActionRequiredMachineCheckGetsAPinnedConsumer) {
  std::vector<std::string> errors;
  CellSpec spec = spec_with("mce");
  spec.mce_mode = "ar";
  auto plans = plan_victims(spec, layout(0, 16, 4, 2), errors);
  ASSERT_EQ(plans.size(), 5u);
  EXPECT_EQ(plans[4].role, Role::kConsumer);
  EXPECT_EQ(plans[4].map_offset_pages, 4u);
  EXPECT_EQ(plans[4].map_pages, 2u);
  EXPECT_EQ(plans[4].pin_cpu, kConsumerCpu);
  EXPECT_FALSE(plans[4].early_kill());
  spec.mce_mode = "ao";
  EXPECT_EQ(plan_victims(spec, layout(0, 16, 4, 2), errors).size(), 4u);
}

TEST(Victims, NoRangeInTheFileMeansNoNeighbourOrInjector) {
  std::vector<std::string> errors;
  auto plans = plan_victims(spec_with("hwpoison-pfn"), layout(0, 16, std::nullopt, 0), errors);
  EXPECT_EQ(plans.size(), 3u);
  EXPECT_TRUE(errors.empty());
}

// Real processes on an ordinary file: mapping, a recorded SIGBUS (sent by
// kill, so code SI_USER), a re-access that reads the page's pattern, exit.
TEST(Victims, LifecycleOnOrdinaryFile) {
  TempDir dir("pl-victims");
  auto path = dir / "f";
  try {
    create_pattern_file(path, "victim", 4);
  } catch (const std::exception& e) {
    GTEST_SKIP() << e.what();  // no FIEMAP here
  }
  {
    VictimGroup g({{"early-0", Role::kEarlyKill, "victim", path, 0, 4}, {"late-0", Role::kLateKill, "victim", path, 2, 2}},
                  4096);
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
    // A spin ends when told to (no SIGBUS here: an ordinary file).
    ASSERT_TRUE(g.start_spin(1, 2));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto spin = g.stop_spin(1, 2, std::chrono::seconds(10));
    EXPECT_TRUE(spin.done);
    EXPECT_EQ(spin.outcome, "read-ok");
    auto e0 = g.finish(0, std::chrono::seconds(10));
    EXPECT_EQ(e0.status, "exited");
    EXPECT_EQ(e0.code, 0);
    auto again = g.reaccess(0, 0, std::chrono::seconds(1));
    EXPECT_FALSE(again.done);
    EXPECT_EQ(again.outcome, "not-run");
  }  // late-0 is killed by the destructor
}

TEST(Victims, SignalLogHoldsOnePerMappedPageAndCountsTheRest) {
  TempDir dir("pl-victims");
  auto path = dir / "f";
  try {
    create_pattern_file(path, "victim", 4);
  } catch (const std::exception& e) {
    GTEST_SKIP() << e.what();
  }
  VictimGroup g({{"early-0", Role::kEarlyKill, "victim", path, 0, 4}}, 4096);
  std::vector<std::string> errors;
  g.wait_ready(std::chrono::seconds(10), errors);
  ASSERT_TRUE(errors.empty()) << errors[0];
  // Room for the 4 mapped pages and 64 more; a standard signal is not queued
  // twice, so each is sent once the previous one was handled.
  constexpr size_t kSent = 4 + 64 + 10;
  for (size_t sent = 1; sent <= kSent; ++sent) {
    ::kill(g.pid(0), SIGBUS);
    for (int i = 0; i < 2000 && g.signals(0).size() + g.signals_dropped(0) < sent; ++i)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_EQ(g.signals(0).size(), 68u);
  EXPECT_EQ(g.signals_dropped(0), 10u);
}

}  // namespace
}  // namespace poisonlab::agent

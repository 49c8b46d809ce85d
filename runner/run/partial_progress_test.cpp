#include "run/partial_progress.h"

#include <gtest/gtest.h>

namespace poisonlab {
namespace {
using nlohmann::json;

json progress(const char* stage, int trial, json detail, uint64_t time_ns) {
  json m = {{"type", "progress"}, {"cell_id", "c"}, {"stage", stage}, {"trial", trial}, {"time_ns", time_ns}};
  if (!detail.is_null()) m["detail"] = detail;
  return m;
}

TEST(PartialProgress, KeepsTrialDigestsAndTheLatestInjectionProgress) {
  json partial = json::object();
  note_progress(progress("trial", 0, nullptr, 1), partial);
  EXPECT_TRUE(partial.empty());
  note_progress(progress("trial-done", 0, {{"units", 4}, {"signals_received", 12}}, 2), partial);
  note_progress(progress("inject", 1, {{"units_done", 100}, {"units", 262144}}, 3), partial);
  note_progress(progress("inject", 1, {{"units_done", 900}, {"units", 262144}}, 4), partial);
  note_progress(progress("stack", 1, "not an object", 5), partial);
  ASSERT_EQ(partial["trials_done"].size(), 1u);
  EXPECT_EQ(partial["trials_done"][0]["signals_received"], 12);
  EXPECT_EQ(partial["trials_done"][0]["trial"], 0);
  EXPECT_EQ(partial["injection_progress"]["units_done"], 900);
  EXPECT_EQ(partial["injection_progress"]["trial"], 1);
  EXPECT_EQ(partial["injection_progress"]["time_ns"], 4);
  EXPECT_FALSE(partial.contains("stack"));
  EXPECT_EQ(partial["last"]["stage"], "inject");
  note_progress(progress("trial", 1, {{"phase_done", "before"}}, 6), partial);
  EXPECT_EQ(partial["last"]["phase_done"], "before");
  EXPECT_EQ(partial["last"]["stage"], "trial");
}

}  // namespace
}  // namespace poisonlab

#include "slurm/array_tasks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace poisonlab {
namespace {

using ::testing::ElementsAre;

TEST(ArrayTasks, TaskIdsInEveryFormSlurmPrints) {
  EXPECT_THAT(parse_task_ids("3"), ElementsAre(3));
  EXPECT_THAT(parse_task_ids("[0-3]"), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(parse_task_ids("[0,2-4%2]"), ElementsAre(0, 2, 3, 4));
  EXPECT_THROW(parse_task_ids("N/A"), UserError);
  EXPECT_THROW(parse_task_ids("[4-2]"), UserError);
  EXPECT_THROW(parse_task_ids(""), UserError);
}

// Output captured from squeue 22.05 -O ArrayJobID:|,ArrayTaskID:|,State:|,exit_code:|
// on an array whose task 2 ran `exit 5`; exit_code is a wait status.
TEST(ArrayTasks, SqueueLinesGiveStateAndExitStatus) {
  auto tasks = parse_squeue_tasks("2|3|COMPLETED|0|\n2|1|RUNNING|0|\n2|2|FAILED|1280|\n17|0|FAILED|256|\n"
                                  "2|[4-5%1]|PENDING|0|\n2|6|CANCELLED|9|\n",
                                  "2");
  ASSERT_EQ(tasks.size(), 6u);
  EXPECT_EQ(tasks[0], (TaskState{3, "COMPLETED", 0, 0}));
  EXPECT_EQ(tasks[1], (TaskState{1, "RUNNING", std::nullopt, 0}));
  EXPECT_EQ(tasks[2], (TaskState{2, "FAILED", 5, 0}));
  EXPECT_EQ(tasks[3], (TaskState{4, "PENDING", std::nullopt, 0}));
  EXPECT_EQ(tasks[4], (TaskState{5, "PENDING", std::nullopt, 0}));
  EXPECT_EQ(tasks[5], (TaskState{6, "CANCELLED", std::nullopt, 9}));
}

TEST(ArrayTasks, SacctLinesSkipStepsAndOtherJobs) {
  auto tasks = parse_sacct_tasks("41_0|COMPLETED|0:0\n41_0.batch|COMPLETED|0:0\n41_1|FAILED|3:0\n"
                                 "41_1.batch|FAILED|3:0\n41_2|CANCELLED by 0|0:15\n41_[3-4]|PENDING|0:0\n"
                                 "410_0|FAILED|1:0\n",
                                 "41");
  ASSERT_EQ(tasks.size(), 5u);
  EXPECT_EQ(tasks[0], (TaskState{0, "COMPLETED", 0, 0}));
  EXPECT_EQ(tasks[1], (TaskState{1, "FAILED", 3, 0}));
  EXPECT_EQ(tasks[2], (TaskState{2, "CANCELLED", 0, 15}));
  EXPECT_EQ(tasks[3], (TaskState{3, "PENDING", std::nullopt, 0}));
  EXPECT_EQ(tasks[4].index, 4u);
}

TEST(ArrayTasks, FinalStatesAndSuccess) {
  for (auto s : {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", kLeftQueue})
    EXPECT_TRUE(is_final_state(s)) << s;
  for (auto s : {"PENDING", "RUNNING", "COMPLETING", "REQUEUED", "SUSPENDED", "CONFIGURING"})
    EXPECT_FALSE(is_final_state(s)) << s;
  EXPECT_TRUE(task_succeeded({0, "COMPLETED", 0, 0}));
  EXPECT_FALSE(task_succeeded({0, "COMPLETED", 3, 0}));
  EXPECT_FALSE(task_succeeded({0, "FAILED", 0, 0}));
  EXPECT_EQ(describe_task({0, "FAILED", 5, 0}), "FAILED (exit 5)");
  EXPECT_EQ(describe_task({0, "CANCELLED", std::nullopt, 9}), "CANCELLED (signal 9)");
}

TEST(ArrayTasks, ProgressKeepsFinalStatesAndNamesTheUnseen) {
  ArrayProgress progress(3);
  progress.update({{0, "RUNNING"}, {1, "PENDING"}, {7, "COMPLETED", 0}});  // 7: not in this array
  EXPECT_EQ(progress.summary(), "1 RUNNING, 1 PENDING, 1 UNSEEN");
  progress.update({{0, "FAILED", 2}, {1, "COMPLETED", 0}, {2, "RUNNING"}});
  progress.update({{0, "RUNNING"}});  // a stale record does not undo an ending
  EXPECT_EQ(progress.tasks()[0], (TaskState{0, "FAILED", 2, 0}));
  EXPECT_FALSE(progress.all_final());
  EXPECT_EQ(progress.final_count(), 2u);
  EXPECT_THAT(progress.unfinished(), ElementsAre(2));
  progress.mark_left_queue({0, 2});  // 0 is final already: it keeps FAILED
  EXPECT_TRUE(progress.all_final());
  EXPECT_EQ(progress.tasks()[0].state, "FAILED");
  EXPECT_EQ(progress.tasks()[2].state, kLeftQueue);
  EXPECT_EQ(progress.summary(), "1 FAILED, 1 COMPLETED, 1 NOT_IN_QUEUE");
}

// A pending task cancelled before it started has no record: it drops out of
// the listings. One missing listing is not enough (a listing may race a
// task's start); two in a row are.
TEST(ArrayTasks, TaskMissingFromTwoListingsHasLeftTheQueue) {
  ArrayProgress progress(3);
  progress.update_from_listing({{0, "PENDING"}, {1, "PENDING"}, {2, "PENDING"}});
  progress.update_from_listing({{0, "RUNNING"}, {2, "PENDING"}});
  EXPECT_TRUE(progress.left_queue().empty());
  progress.update_from_listing({{0, "COMPLETED", 0}, {2, "PENDING"}});
  EXPECT_THAT(progress.left_queue(), ElementsAre(1));
  progress.update_from_listing({{2, "RUNNING"}});  // a final task may drop out (purged): it stays COMPLETED
  EXPECT_THAT(progress.left_queue(), ElementsAre(1));
  EXPECT_EQ(progress.tasks()[0].state, "COMPLETED");
}

}  // namespace
}  // namespace poisonlab

#include "run/serial_watch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include "common/temp_dir.h"

namespace poisonlab {
namespace {

TEST(SerialWatch, ReportsOnlyNewFatalReportsOnceTheirLineEnds) {
  TempDir dir("pl-serial");
  auto path = dir.write("serial.log", "[    1.0] BUG: unable to handle page fault for address: 0000000000000001\n");
  SerialWatch watch(path);  // what was there before is not this cell's
  EXPECT_FALSE(watch.poll());
  std::ofstream(path, std::ios::app) << "[   13.0] WARNING: CPU: 0 PID: 1 at mm/x.c:1 f+0x1/0x2\n[   13.1] Oops: 0000 [#1";
  EXPECT_FALSE(watch.poll());  // a warning is not fatal; the Oops line is not finished
  std::ofstream(path, std::ios::app) << "] PREEMPT SMP PTI\n[   13.2] CPU: 1 PID: 131 Comm: poisonlab-agent\n";
  auto found = watch.poll();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->kind, "Oops");
  EXPECT_FALSE(watch.poll());
}

}  // namespace
}  // namespace poisonlab

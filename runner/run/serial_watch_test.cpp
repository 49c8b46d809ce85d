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

TEST(ConsoleSince, ACellsOwnConsoleWholeOrItsLastWholeLines) {
  TempDir dir("pl-serial");
  auto path = dir.write("serial.log", "[ 1.0] WARNING: an earlier cell's\n");
  uint64_t start = serial_log_size(path);
  EXPECT_EQ(console_since(path, start), "");
  std::ofstream(path, std::ios::app) << "[ 2.0] BUG: this cell's\n[ 2.1] RIP: 0010:f+0x1/0x2\n";
  EXPECT_EQ(console_since(path, start), "[ 2.0] BUG: this cell's\n[ 2.1] RIP: 0010:f+0x1/0x2\n");
  // Longer than the limit: the end, from a line start.
  EXPECT_EQ(console_since(path, start, 30), "[ 2.1] RIP: 0010:f+0x1/0x2\n");
  EXPECT_EQ(console_since(dir.path() / "missing.log", 0), "");
}

}  // namespace
}  // namespace poisonlab

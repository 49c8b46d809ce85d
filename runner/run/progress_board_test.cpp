#include "run/progress_board.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace poisonlab {
namespace {
using ::testing::HasSubstr;

TEST(ProgressBoard, EtaComesFromTheCellsThisProcessFinished) {
  EXPECT_EQ(format_eta(0, 10, 100), "ETA ?");
  EXPECT_EQ(format_eta(5, 0, 100), "ETA 0 s");
  EXPECT_EQ(format_eta(2, 1, 60), "ETA 30 s");
  EXPECT_EQ(format_eta(1, 10, 60), "ETA 10 min");
  EXPECT_EQ(format_eta(1, 100, 360), "ETA 10.0 h");
}

TEST(ProgressBoard, PlainLinesCountDoneRunningAndFailed) {
  std::ostringstream out;
  ProgressBoard board(out, 4, 1, false);  // one cell done before (a resumed run)
  board.cell_started("a");
  board.cell_started("b");
  board.cell_finished("a", "pass", "cell a: pass");
  board.cell_finished("b", "error", "cell b: error [hang]");
  EXPECT_THAT(out.str(), HasSubstr("[2/4] cell a: pass -- 2/4 cells, 1 running, 0 failed"));
  EXPECT_THAT(out.str(), HasSubstr("[3/4] cell b: error [hang] -- 3/4 cells, 0 running, 1 failed"));
  EXPECT_EQ(out.str().find('\r'), std::string::npos);  // nothing for a terminal in a log file
  EXPECT_EQ(board.failures(), 1u);
}

TEST(ProgressBoard, OnATerminalTheStatusLineIsRedrawnUnderTheLog) {
  std::ostringstream out;
  ProgressBoard board(out, 2, 0, true);
  board.cell_started("a");
  board.line("booted");
  std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("\r\033[Kbooted\n\r\033[K0/2 cells, 1 running, 0 failed, ETA ?"));
  board.close();
  EXPECT_TRUE(out.str().ends_with("\r\033[K"));
}

TEST(ProgressBoard, JobLogsKeepLinesWholeAcrossThreads) {
  std::ostringstream out;
  ProgressBoard board(out, 1, 0, false);
  auto writer = [&](std::string prefix) {
    JobLog log(board, "[" + prefix + "] ");
    for (int i = 0; i < 200; ++i) log << "part one, " << "part two " << i << "\n";
    log << "unterminated";
  };
  std::thread a(writer, "a"), b(writer, "b");
  a.join();
  b.join();
  std::istringstream lines(out.str());
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count)
    EXPECT_TRUE(line.starts_with("[a] part one, part two ") || line.starts_with("[b] part one, part two ") ||
                line == "[a] unterminated" || line == "[b] unterminated")
        << line;
  EXPECT_EQ(count, 402);
}

}  // namespace
}  // namespace poisonlab

#include "run/stop_request.h"

#include <csignal>

#include <gtest/gtest.h>

namespace poisonlab {
namespace {

TEST(StopRequest, ASignalIsRecordedAndNoticedWhereTheRunLooks) {
  install_stop_handlers();
  reset_stop_request();
  EXPECT_EQ(stop_signal(), 0);
  EXPECT_NO_THROW(throw_if_stop_requested());
  raise(SIGTERM);  // the handler records it; the process goes on
  EXPECT_EQ(stop_signal(), SIGTERM);
  try {
    throw_if_stop_requested();
    FAIL() << "no RunInterrupted";
  } catch (const RunInterrupted& e) {
    EXPECT_EQ(e.signo, SIGTERM);
    EXPECT_EQ(exit_code_for_signal(e.signo), 143);
  }
  reset_stop_request();
  EXPECT_EQ(stop_signal(), 0);
}

}  // namespace
}  // namespace poisonlab

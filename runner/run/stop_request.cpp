#include "run/stop_request.h"

#include <csignal>
#include <cstring>

#include <atomic>

namespace poisonlab {
namespace {

std::atomic<int> requested{0};
static_assert(std::atomic<int>::is_always_lock_free, "set from a signal handler");

extern "C" void record_stop(int signo) { requested.store(signo); }

}  // namespace

void install_stop_handlers() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = record_stop;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: a blocking wait returns EINTR and the loop looks
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    return true;
  }();
  (void)installed;
}

int stop_signal() { return requested.load(); }
void reset_stop_request() { requested.store(0); }

RunInterrupted::RunInterrupted(int signo)
    : std::runtime_error(std::string("stopped by signal ") + std::to_string(signo) + " (" + strsignal(signo) + ")"),
      signo(signo) {}

void throw_if_stop_requested() {
  if (int signo = stop_signal()) throw RunInterrupted(signo);
}

int exit_code_for_signal(int signo) { return 128 + signo; }

}  // namespace poisonlab

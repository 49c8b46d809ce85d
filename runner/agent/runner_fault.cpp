#include "agent/runner_fault.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "common/error.h"

namespace poisonlab::agent {

void provoke_runner_fault(const std::string& fault) {
  if (fault == "guest-panic") {
    std::ofstream("/proc/sysrq-trigger") << "c" << std::flush;
    throw UserError("writing 'c' to /proc/sysrq-trigger did not crash the kernel");
  }
  if (fault == "hang") {
    raise(SIGSTOP);  // every thread stops, the heartbeat too; only the runner's watchdog ends this
    throw UserError("the agent was continued after stopping itself");
  }
  if (fault == "agent-crash") std::abort();
  throw UserError("unknown runner_fault '" + fault + "' (guest-panic, hang, agent-crash)");
}

}  // namespace poisonlab::agent

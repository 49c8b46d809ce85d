#pragma once
// Runner self-tests (a scenario injection's "runner_fault"): the agent
// provokes the fault instead of running the cell, so the runner's handling
// of a dying guest is tested against real failures, not mocks.
//   guest-panic  sysrq-trigger 'c': the kernel panics (panic=-1, -no-reboot: QEMU ends)
//   hang         the agent stops itself (SIGSTOP): no message, no heartbeat
//   agent-crash  the agent aborts (SIGABRT); the guest init reports it and powers off
// "qemu-crash" is the runner's own doing and never reaches the agent.
#include <string>

namespace poisonlab::agent {

// Provokes the fault; returns only for a fault it does not know (after
// throwing nothing: the caller reports it as an error).
void provoke_runner_fault(const std::string& fault);

}  // namespace poisonlab::agent

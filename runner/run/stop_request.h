#pragma once
// SIGINT / SIGTERM ask a run to stop: the handler only records the signal;
// the run notices it within a second (between agent messages, while a VM
// boots, between cells), kills its VMs, keeps every finished cell and
// writes the report as "interrupted". A second signal is not special: the
// run is already on its way out.
#include <stdexcept>
#include <string>

namespace poisonlab {

// Installs the handlers (once; later calls do nothing).
void install_stop_handlers();
// The signal that asked to stop, or 0.
int stop_signal();
// For tests: forget a recorded signal.
void reset_stop_request();

// Thrown where a run notices the stop; never caught as a cell's failure.
class RunInterrupted : public std::runtime_error {
 public:
  explicit RunInterrupted(int signo);
  int signo;
};

// Throws RunInterrupted when a stop was asked for.
void throw_if_stop_requested();
// The exit status of a run stopped by signo (128 + signo, as a shell shows it).
int exit_code_for_signal(int signo);

}  // namespace poisonlab

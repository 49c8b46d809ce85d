#include "target/target.h"

#include "common/process.h"

namespace poisonlab {

TargetFailure::TargetFailure(std::string kind_, std::string detail_, std::string serial_tail_,
                             std::optional<int> qemu_wait_status_, nlohmann::json monitor_events_)
    : UserError("VM failure (" + kind_ + "): " + detail_),
      kind(std::move(kind_)),
      detail(std::move(detail_)),
      serial_tail(std::move(serial_tail_)),
      qemu_wait_status(qemu_wait_status_),
      monitor_events(std::move(monitor_events_)) {}

nlohmann::json TargetFailure::to_json() const {
  nlohmann::json j = {{"kind", kind},
                      {"detail", detail},
                      {"serial_tail", serial_tail},
                      {"monitor_events", monitor_events},
                      {"qemu_status", nullptr},
                      {"qemu_wait_status", nullptr}};
  if (qemu_wait_status) {
    j["qemu_status"] = describe_wait_status(*qemu_wait_status);
    j["qemu_wait_status"] = *qemu_wait_status;
  }
  return j;
}

}  // namespace poisonlab

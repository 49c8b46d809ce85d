#pragma once
// Injection methods for real hardware (issue 7, the local target), and the
// System RAM guard every physical injection passes first.
//   ndctl-inject-error: `ndctl inject-error --block=B --count=8 namespaceX.Y`
//     (B: the unit's 512-byte block on the pmem disk, i.e. in the namespace's
//     data area), then `ndctl inject-error --status` for the record. Needs
//     the platform's ARS error-injection DSM (real NVDIMMs, nfit_test); QEMU's
//     NVDIMM has none, and ndctl's refusal is the step's error.
//   einj: ACPI EINJ through debugfs apei/einj (error_type 0x10, memory
//     uncorrectable non-fatal, at the unit's physical address, page mask).
//     Needs the firmware's EINJ table; without it the step's error says so.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/inject.h"
#include "target/local/local_safety.h"

namespace poisonlab::agent {

// Methods whose step names a physical address (or its pfn) to the kernel.
bool names_physical_address(const std::string& method);

// Refuses any physical injection into System RAM (/proc/iomem, read once
// per injection when the method names physical addresses).
class SystemRamGuard {
 public:
  explicit SystemRamGuard(const std::string& method);
  // With /proc/iomem's text given (tests).
  SystemRamGuard(const std::string& method, const std::string& iomem_text);
  // Why the page at phys must not be poisoned, or nullopt.
  std::optional<std::string> refusal(uint64_t phys) const;

 private:
  bool physical_ = false;
  std::vector<local::IomemEntry> iomem_;
  std::optional<std::string> error_;  // /proc/iomem could not tell: every page is refused
};

struct EinjPaths {
  std::filesystem::path einj = "/sys/kernel/debug/apei/einj";
  std::filesystem::path acpi_table = "/sys/firmware/acpi/tables/EINJ";
};
inline constexpr uint64_t kEinjMemoryUncorrectable = 0x10;
// Why EINJ cannot inject a memory error here ("not available on this
// machine: ..."), or nullopt (reads only the paths).
std::optional<std::string> einj_unavailable(const EinjPaths& paths);

void ndctl_inject_error_step(const Stack& stack, const PoisonUnit& unit, InjectionStep& step);
void einj_step(const PoisonUnit& unit, InjectionStep& step, const EinjPaths& paths = {});

}  // namespace poisonlab::agent

#include "agent/local_inject.h"

#include <cstring>
#include <sstream>

#include <fmt/format.h>

#include "agent/clock.h"
#include "agent/sysfs.h"
#include "common/error.h"
#include "common/fs_util.h"
#include "common/process.h"

namespace poisonlab::agent {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t kSectorsPerPage = address::kPageSize / address::kSectorSize;
constexpr uint64_t kEinjPageMask = ~(address::kPageSize - 1);
constexpr uint64_t kEinjFlagMemoryAddressValid = 0x2;  // SETWA_FLAGS_MEM: param1/param2 are address and mask

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string ndctl_namespace_of(const Stack& stack, const std::string& disk) {
  for (const auto& ns : stack.namespaces())
    if (ns.blockdev == disk) return ns.ns_dev;
  throw UserError("no namespace of the stack holds " + disk);
}

// Whether available_error_type lists the type ("0x00000010\tMemory Uncorrectable non-fatal").
bool lists_error_type(const std::string& available, uint64_t type) {
  std::istringstream lines(available);
  for (std::string line; std::getline(lines, line);) {
    try {
      if (parse_u64(line.substr(0, line.find_first_of(" \t"))) == type) return true;
    } catch (const std::exception&) {
    }
  }
  return false;
}

}  // namespace

bool names_physical_address(const std::string& method) {
  return method == "hwpoison-pfn" || method == "hard-offline" || method == "mce" || method == "einj";
}

SystemRamGuard::SystemRamGuard(const std::string& method) : physical_(names_physical_address(method)) {
  if (!physical_) return;
  try {
    iomem_ = local::parse_iomem(read_file("/proc/iomem"));
  } catch (const std::exception& e) {
    error_ = std::string("cannot read /proc/iomem: ") + e.what();
  }
}

SystemRamGuard::SystemRamGuard(const std::string& method, const std::string& iomem_text)
    : physical_(names_physical_address(method)), iomem_(local::parse_iomem(iomem_text)) {}

std::optional<std::string> SystemRamGuard::refusal(uint64_t phys) const {
  if (!physical_) return std::nullopt;
  if (error_) return "refusing the physical injection: " + *error_;
  try {
    return local::system_ram_refusal(iomem_, phys, address::kPageSize, "physical page");
  } catch (const UserError& e) {
    return std::string("refusing the physical injection: ") + e.what();
  }
}

std::optional<std::string> einj_unavailable(const EinjPaths& paths) {
  std::error_code ec;
  if (fs::exists(paths.einj, ec)) {
    auto available = read_attr(paths.einj / "available_error_type");
    if (!available) return "not available on this machine: cannot read " + (paths.einj / "available_error_type").string();
    if (!lists_error_type(*available, kEinjMemoryUncorrectable))
      return fmt::format("not available on this machine: the firmware's EINJ does not offer error type {:#x} "
                         "(memory uncorrectable non-fatal); it offers: {}",
                         kEinjMemoryUncorrectable, *available);
    return std::nullopt;
  }
  if (!fs::exists(paths.acpi_table, ec))
    return "not available on this machine: the firmware has no ACPI EINJ table (" + paths.acpi_table.string() +
           " is absent)";
  return "not available on this machine: the ACPI EINJ table exists but " + paths.einj.string() +
         " does not: load the einj module (CONFIG_ACPI_APEI_EINJ) and mount debugfs";
}

void ndctl_inject_error_step(const Stack& stack, const PoisonUnit& unit, InjectionStep& step) {
  std::string ns = ndctl_namespace_of(stack, unit.disk_name);
  uint64_t block = unit.disk_offset / address::kSectorSize;
  std::vector<std::string> argv = {"ndctl", "inject-error", fmt::format("--block={}", block),
                                   fmt::format("--count={}", kSectorsPerPage), ns};
  step.action = join_command(argv);
  step.start_ns = monotonic_ns();
  if (!find_program("ndctl")) {
    step.end_ns = monotonic_ns();
    step.error = "ndctl not found (Debian package ndctl)";
    return;
  }
  auto r = run_command(argv, {.timeout = std::chrono::minutes(1), .merge_stderr = true});
  step.end_ns = monotonic_ns();
  step.ret = r.exit_code;
  if (!r.ok())
    step.error = fmt::format("{} failed ({}): {}", step.action, r.timed_out ? "timed out" : "exit " + std::to_string(r.exit_code),
                             trimmed(r.out));
  std::vector<std::string> status_argv = {"ndctl", "inject-error", "--status", ns};
  auto status = run_command(status_argv, {.timeout = std::chrono::minutes(1), .merge_stderr = true});
  step.tool_output = {{"output", trimmed(r.out)},
                      {"status_command", join_command(status_argv)},
                      {"status_exit", status.exit_code},
                      {"status_output", trimmed(status.out)}};
}

void einj_step(const PoisonUnit& unit, InjectionStep& step, const EinjPaths& paths) {
  uint64_t address = unit.phys & kEinjPageMask;
  step.action = fmt::format("einj error_type {:#x} param1 {:#x} param2 {:#x}", kEinjMemoryUncorrectable, address,
                            kEinjPageMask);
  step.start_ns = monotonic_ns();
  // The table may be there with the module not yet loaded.
  if (!fs::exists(paths.einj) && fs::exists(paths.acpi_table)) run_command({"modprobe", "einj"});
  if (auto why = einj_unavailable(paths)) {
    step.end_ns = monotonic_ns();
    step.error = "einj: " + *why;
    return;
  }
  const std::vector<std::pair<const char*, std::string>> writes = {
      {"error_type", fmt::format("{:#x}", kEinjMemoryUncorrectable)},
      {"flags", fmt::format("{:#x}", kEinjFlagMemoryAddressValid)},
      {"param1", fmt::format("{:#x}", address)},
      {"param2", fmt::format("{:#x}", kEinjPageMask)},
      {"notrigger", "0"},
      {"error_inject", "1"}};
  json record = json::object();
  for (const auto& [file, value] : writes) {
    if (!fs::exists(paths.einj / file) && std::string(file) == "flags") continue;  // before ACPI 5 EINJ
    int err = write_attr(paths.einj / file, value);
    record[file] = value;
    if (err) {
      step.end_ns = monotonic_ns();
      step.err = err;
      step.error = fmt::format("einj: write {} <- {}: {}", (paths.einj / file).string(), value, strerror(err));
      step.tool_output = {{"einj", record}};
      return;
    }
  }
  step.end_ns = monotonic_ns();
  step.ret = 0;
  step.tool_output = {{"einj", record}};
}

}  // namespace poisonlab::agent

#pragma once
// Kernel log parsing, in the spirit of syzkaller's report parser: finds
// problem reports (BUG, WARNING, Oops, panics, lockdep, stalls, ...) and
// extracts the memory-failure, hwpoison-injection, XFS-shutdown and DAX
// mount messages the oracles look at. Works on serial console lines and on
// /dev/kmsg lines, with or without the "[   12.345678] " prefix.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poisonlab {

// kind is one of the kKind* names below.
struct KernelLogFinding {
  std::string kind;
  std::string title;                 // one line, e.g. "WARNING in cxl_region_invalidate_memregion"
  size_t line_index = 0;             // index of the report's first line in the input
  std::vector<std::string> excerpt;  // that line and up to 20 following lines, as given
};

inline constexpr std::string_view kKindBug = "BUG";
inline constexpr std::string_view kKindWarning = "WARNING";
inline constexpr std::string_view kKindOops = "Oops";
inline constexpr std::string_view kKindGeneralProtectionFault = "general protection fault";
inline constexpr std::string_view kKindKernelPanic = "Kernel panic";
inline constexpr std::string_view kKindCallTrace = "Call Trace";
inline constexpr std::string_view kKindLockdep = "lockdep";
inline constexpr std::string_view kKindRcuStall = "RCU stall";
inline constexpr std::string_view kKindSoftLockup = "soft lockup";
inline constexpr std::string_view kKindHardLockup = "hard lockup";
inline constexpr std::string_view kKindHungTask = "hung task";
inline constexpr std::string_view kKindKasan = "KASAN";
inline constexpr std::string_view kKindUbsan = "UBSAN";

std::vector<KernelLogFinding> find_kernel_problems(const std::vector<std::string>& lines);
std::vector<KernelLogFinding> find_kernel_problems(std::string_view text);

// Splits a log text into lines (handles "\r\n", drops a trailing empty line).
std::vector<std::string> split_log_lines(std::string_view text);

// The message part of a log line: without a "<6>" level, a raw /dev/kmsg
// "6,123,4567,-;" header, a "[   12.345678] " timestamp or a "[    T1] "
// caller id.
std::string_view log_message(std::string_view line);

// "Memory failure: 0x%lx: recovery action for %s: %s" (mm/memory-failure.c)
struct RecoveryResult {
  uint64_t pfn = 0;
  std::string page_type;  // "dax page", "reserved kernel page", ...
  std::string result;     // "Recovered", "Failed", "Ignored", "Delayed"
  size_t line_index = 0;
};

// "Memory failure: 0x%lx: already hardware poisoned"
struct AlreadyPoisoned {
  uint64_t pfn = 0;
  size_t line_index = 0;
};

// "Memory failure: 0x%lx: Sending SIGBUS to %s:%d due to hardware memory
// corruption" (older kernels: "Killing %s:%d ..."): whom the kernel signalled.
struct SigbusMessage {
  uint64_t pfn = 0;
  std::string comm;
  int64_t pid = 0;
  size_t line_index = 0;
};

// madvise(MADV_HWPOISON): "Injecting memory failure for pfn 0x%lx at process
// virtual address 0x%lx"; hwpoison-inject: "Injecting memory failure at pfn 0x%lx".
struct InjectionMessage {
  std::string source;  // "madvise" or "hwpoison-inject"
  uint64_t pfn = 0;
  std::optional<uint64_t> vaddr;
  size_t line_index = 0;
};

// XFS messages that mean the file system is (being) shut down.
struct XfsShutdownMessage {
  std::string device;  // "pmem0" from "XFS (pmem0): ..."
  std::string message;
  size_t line_index = 0;
};

// XFS mount messages about DAX.
struct DaxMountMessage {
  std::string device;
  bool dax_enabled = false;  // "DAX enabled" vs "... Turning off DAX"
  std::string message;
  size_t line_index = 0;
};

std::vector<RecoveryResult> find_recovery_results(const std::vector<std::string>& lines);
std::vector<AlreadyPoisoned> find_already_poisoned(const std::vector<std::string>& lines);
std::vector<SigbusMessage> find_sigbus_messages(const std::vector<std::string>& lines);
std::vector<InjectionMessage> find_injection_messages(const std::vector<std::string>& lines);
std::vector<XfsShutdownMessage> find_xfs_shutdown_messages(const std::vector<std::string>& lines);
std::vector<DaxMountMessage> find_dax_mount_messages(const std::vector<std::string>& lines);

void to_json(nlohmann::json& j, const KernelLogFinding& f);
void to_json(nlohmann::json& j, const RecoveryResult& r);
void to_json(nlohmann::json& j, const AlreadyPoisoned& a);
void to_json(nlohmann::json& j, const SigbusMessage& m);
void to_json(nlohmann::json& j, const InjectionMessage& m);
void to_json(nlohmann::json& j, const XfsShutdownMessage& m);
void to_json(nlohmann::json& j, const DaxMountMessage& m);

}  // namespace poisonlab

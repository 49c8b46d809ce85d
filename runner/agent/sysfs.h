#pragma once
// Small helpers for sysfs, procfs, debugfs and tracefs attribute files: one
// read or one write per call, errors name the path.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace poisonlab::agent {

// Whole content, trailing whitespace trimmed; nullopt if it cannot be read.
std::optional<std::string> read_attr(const std::filesystem::path& path);
// Like read_attr but throws UserError naming the path.
std::string read_attr_checked(const std::filesystem::path& path);
// "0x100000000" or "4096" -> number; throws std::invalid_argument.
uint64_t parse_u64(std::string_view text);
uint64_t read_u64_attr(const std::filesystem::path& path);
// One write(2); returns 0 or the errno of the failed open/write.
int write_attr(const std::filesystem::path& path, std::string_view value, bool truncate = false);
// Like write_attr but throws UserError naming the path and errno.
void write_attr_checked(const std::filesystem::path& path, std::string_view value);

// Waits until path exists (a device node udev-less sysfs creates late);
// throws UserError naming it after timeout.
void wait_for_path(const std::filesystem::path& path, std::chrono::milliseconds timeout);

}  // namespace poisonlab::agent

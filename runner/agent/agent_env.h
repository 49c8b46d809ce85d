#pragma once
// What the agent learns about its guest: the channel port, boot times.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab::agent {

// Value of KEY=VALUE on a kernel command line ("" keys absent -> nullopt).
std::optional<std::string> cmdline_value(const std::string& cmdline, const std::string& key);
// /dev/vportNpM whose /sys/class/virtio-ports/<port>/name is name; nullopt
// if none (yet).
std::optional<std::filesystem::path> find_virtio_port(const std::string& name,
                                                      const std::filesystem::path& sys_ports = "/sys/class/virtio-ports");
// Parses "init_start 4.83\nmodules_loaded 9.15\n" (seconds of uptime) into
// {"init_start_uptime_ns": ..., "modules_loaded_uptime_ns": ...}, null for
// a missing key.
nlohmann::json parse_init_times(const std::string& text);
// The hello message.
nlohmann::json hello_message(const std::filesystem::path& init_times = "/run/poisonlab/init-times");

}  // namespace poisonlab::agent

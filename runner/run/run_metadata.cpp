#include "run/run_metadata.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "version.h"

namespace poisonlab {

std::string utc_timestamp() {
  auto now = std::chrono::system_clock::now();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::seconds>(now));
}

std::string make_run_id(const std::string& scenario_name) {
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  std::random_device rd;
  return fmt::format("{:%Y%m%d-%H%M%S}-{}-{:04x}", now, scenario_name, rd() & 0xffff);
}

nlohmann::json host_metadata() {
  utsname u{};
  uname(&u);
  long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  std::string os;
  std::ifstream osr("/etc/os-release");
  for (std::string line; std::getline(osr, line);)
    if (line.rfind("PRETTY_NAME=", 0) == 0) os = line.substr(13, line.size() - 14);
  return {{"hostname", u.nodename},
          {"kernel", u.release},
          {"os", os},
          {"cpus", sysconf(_SC_NPROCESSORS_ONLN)},
          {"memory_mib", pages * page_size / (1024 * 1024)},
          {"kvm", access("/dev/kvm", R_OK | W_OK) == 0}};
}

nlohmann::json runner_metadata(const std::string& command_line) {
  return {{"version", kVersion}, {"git_sha", kGitSha}, {"command_line", command_line}};
}

uint64_t available_memory_mib() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib / 1024;
  return static_cast<uint64_t>(sysconf(_SC_AVPHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) >> 20;
}

}  // namespace poisonlab
